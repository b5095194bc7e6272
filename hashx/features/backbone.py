"""A loaded backbone: its network, its preprocessing, the weights file it came from."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._validation import check_array
from .._version import __version__
from ..exceptions import HashxValueError
from .preprocessing import Preprocessing
from .registry import BackboneSpec, get_backbone
from .weights_file import file_sha256, read_state_dict, resolve_weights_path

__all__ = ["Backbone", "load_backbone"]

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class Backbone:
    """A backbone ready to embed images (and, for CLIP, texts). Build it with :func:`load_backbone`.

    Attributes
    ----------
    spec : BackboneSpec
    preprocessing : Preprocessing
    weights_path : pathlib.Path
    weights_sha256 : str
    image_tower : torch.nn.Module
        (B, 3, crop, crop) float32 -> (B, spec.dim) float32.
    text_tower : torch.nn.Module or None
        (B, context_length) int64 tokens -> (B, spec.dim) float32 (CLIP only).
    tokenizer : callable or None
        list of str -> tokens (CLIP only).
    device : str
    """

    spec: BackboneSpec
    preprocessing: Preprocessing
    weights_path: Path
    weights_sha256: str
    image_tower: object
    text_tower: object = None
    tokenizer: object = None
    device: str = "cpu"
    versions: dict = field(default_factory=dict)

    def encode_pixels(self, pixels: np.ndarray) -> np.ndarray:
        """Embed preprocessed images.

        Parameters
        ----------
        pixels : ndarray of shape (B, 3, crop, crop), dtype=float32
            Output of :attr:`preprocessing` stacked.

        Returns
        -------
        ndarray of shape (B, spec.dim), dtype=float32
        """
        import torch

        check_array(pixels, "pixels", caller="Backbone.encode_pixels", ndim=4, dtype=np.float32)
        crop = self.preprocessing.crop
        if pixels.shape[1:] != (3, crop, crop):
            raise HashxValueError(f"The 'pixels' parameter of Backbone.encode_pixels must have shape "
                                  f"(B, 3, {crop}, {crop}). Got {pixels.shape} instead.")
        with torch.inference_mode():
            out = self.image_tower(torch.from_numpy(np.ascontiguousarray(pixels)).to(self.device))
        return out.float().cpu().numpy()

    def encode_texts(self, texts) -> np.ndarray:
        """Embed texts with the CLIP text tower (truncated to the tokenizer's context length).

        Parameters
        ----------
        texts : list of str

        Returns
        -------
        ndarray of shape (len(texts), spec.dim), dtype=float32
        """
        import torch

        if self.text_tower is None:
            raise HashxValueError(f"Backbone '{self.spec.name}' has no text tower; CLIP backbones "
                                  f"({', '.join(n for n in _clip_names())}) embed text.")
        if not isinstance(texts, (list, tuple)) or not all(isinstance(t, str) for t in texts):
            raise HashxValueError("The 'texts' parameter of Backbone.encode_texts must be a list of str.")
        with torch.inference_mode():
            out = self.text_tower(self.tokenizer(list(texts)).to(self.device))
        return out.float().cpu().numpy()

    def metadata(self) -> dict:
        """How features made with this backbone were made (JSON-ready)."""
        return {"backbone": self.spec.name, "family": self.spec.family, "arch": self.spec.arch,
                "weights_tag": self.spec.weights_tag, "layer": self.spec.layer, "dim": self.spec.dim,
                "weights_file": self.weights_path.name, "weights_sha256": self.weights_sha256,
                "preprocessing": self.preprocessing.to_dict(), "hashx_version": __version__,
                "versions": dict(self.versions)}


def _clip_names():
    from .registry import BACKBONES

    return [n for n, s in BACKBONES.items() if s.has_text]


def _versions(spec: BackboneSpec) -> dict:
    import importlib.metadata as md

    import torch

    out = {"torch": torch.__version__}
    for dist in (("torchvision",) if spec.family == "torchvision" else ("open_clip_torch",)):
        try:
            out[dist] = md.version(dist)
        except md.PackageNotFoundError:
            out[dist] = "unknown"
    return out


def load_backbone(name: str, weights, *, device: str = "cpu") -> Backbone:
    """Build backbone ``name`` and load its local weights file; nothing is downloaded.

    Parameters
    ----------
    name : str
        A registered backbone (:func:`hashx.features.list_backbones`).
    weights : str or os.PathLike
        The published weights file, or a folder holding it under its published name.
    device : str, default="cpu"

    Returns
    -------
    Backbone

    Raises
    ------
    HashxValueError
        Unknown backbone name.
    CheckpointError
        Missing file (the message says which file to fetch and where to put
        it), truncated or corrupted file, or weights of another architecture.
    ImportError
        The ``features`` extra is not installed.
    """
    spec = get_backbone(name)
    path = resolve_weights_path(spec, weights)
    state = read_state_dict(path, spec)
    digest = file_sha256(path)
    if spec.family == "torchvision":
        from .torchvision_backbones import build_torchvision_backbone, torchvision_preprocessing

        tower = build_torchvision_backbone(spec, state, path)
        backbone = Backbone(spec, torchvision_preprocessing(spec), path, digest, tower.to(device), device=device)
    else:
        from .clip_backbones import ClipImageTower, ClipTextTower, build_open_clip_backbone

        clip, preprocessing, tokenizer = build_open_clip_backbone(spec, state, path)
        clip = clip.to(device)
        backbone = Backbone(spec, preprocessing, path, digest, ClipImageTower(clip).eval(),
                            ClipTextTower(clip).eval(), tokenizer, device=device)
    backbone.versions = _versions(spec)
    logger.info("loaded backbone %s from %s (sha256 %s)", name, path, digest[:12])
    return backbone
