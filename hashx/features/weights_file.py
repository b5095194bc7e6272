"""Reading a backbone's published weights file safely (``weights_only=True``), with clear errors.

A weights file is what the backbone's project publishes: a state dict saved
with ``torch.save`` (torchvision's ``.pth``, open_clip's
``open_clip_pytorch_model.bin``) or a ``.safetensors`` file.  It is loaded
with ``torch.load(weights_only=True)`` (tensors and containers only: a file
cannot run code), checked key by key and shape by shape against the
architecture, and its SHA-256 goes into every feature file.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

from ..exceptions import CheckpointError
from .registry import BackboneSpec

__all__ = ["resolve_weights_path", "read_state_dict", "check_state_dict", "file_sha256"]


def resolve_weights_path(spec: BackboneSpec, weights) -> Path:
    """The weights file: ``weights`` itself, or the published file name inside a folder ``weights``.

    Raises
    ------
    CheckpointError
        The file does not exist (the message says which file to fetch and where to put it).
    """
    if weights is None:
        raise CheckpointError(f"Backbone '{spec.name}' needs a local weights file (hashx never downloads one): "
                              f"{spec.fetch_hint()}, and pass its path as weights (--weights).")
    path = Path(weights).expanduser()
    if path.is_dir():
        for name in spec.weights_files:
            if (path / name).is_file():
                return path / name
        raise CheckpointError(
            f"Folder '{path}' holds no weights file for backbone '{spec.name}' (looked for "
            f"{', '.join(spec.weights_files)}). hashx never downloads weights: {spec.fetch_hint()} "
            f"and save it in '{path}'.")
    if not path.is_file():
        raise CheckpointError(
            f"Weights file '{path}' for backbone '{spec.name}' does not exist. hashx never downloads weights: "
            f"{spec.fetch_hint()} and save it as '{path}' (or pass the folder holding it).")
    return path


def file_sha256(path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _load(path: Path, spec: BackboneSpec):
    import torch

    if path.suffix == ".safetensors":
        try:
            from safetensors.torch import load_file
        except ImportError as exc:
            raise ImportError(f"Reading '{path}' needs the package safetensors "
                              f"(pip install safetensors), or use the .bin/.pth file.") from exc
        try:
            return load_file(str(path), device="cpu")
        except Exception as exc:
            raise CheckpointError(f"Weights file '{path}' is not a readable .safetensors file (truncated or "
                                  f"corrupted?): {exc}. {spec.fetch_hint()}.") from None
    try:
        with warnings.catch_warnings():  # torch's own note on a TorchScript file, which is refused below
            warnings.filterwarnings("ignore", message=".*looks like a TorchScript archive")
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        text = " ".join(str(exc).split())
        if "TorchScript" in text:
            why = ("it is a TorchScript archive (like OpenAI's original CLIP .pt files), which cannot be "
                   "loaded as plain weights")
        elif "Weights only load failed" in text or type(exc).__name__ == "UnpicklingError":
            why = ("it holds Python objects besides tensors (a pickled model?), which "
                   "torch.load(weights_only=True) refuses to run")
        else:
            why = f"it is truncated, corrupted or not a PyTorch file ({type(exc).__name__}: {text[:200]})"
        raise CheckpointError(f"Weights file '{path}' for backbone '{spec.name}' cannot be loaded: {why}. "
                              f"hashx reads the published state dict: {spec.fetch_hint()}.") from None


def read_state_dict(path, spec: BackboneSpec) -> dict:
    """The state dict in ``path``, loaded with ``weights_only=True``, floats as float32.

    A ``{"state_dict": ...}`` wrapper and a ``module.`` prefix on every key
    (a model saved from DataParallel) are removed.

    Returns
    -------
    dict of str -> torch.Tensor

    Raises
    ------
    CheckpointError
        Truncated or corrupted file, a TorchScript archive, a pickled model,
        or anything but a mapping of names to tensors.
    """
    import torch

    path = Path(path)
    obj = _load(path, spec)
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not obj or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        kind = type(obj).__name__ if not isinstance(obj, dict) else "a dict whose values are not all tensors"
        raise CheckpointError(f"Weights file '{path}' for backbone '{spec.name}' is not a state dict "
                              f"(a mapping of parameter names to tensors): it holds {kind}. {spec.fetch_hint()}.")
    if all(k.startswith("module.") for k in obj):
        obj = {k[len("module."):]: v for k, v in obj.items()}
    return {k: (v.float() if v.is_floating_point() else v) for k, v in obj.items()}


def _examples(items, limit=3) -> str:
    items = sorted(items)
    more = f", ... ({len(items)} in all)" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def check_state_dict(expected: dict, state: dict, path, spec: BackboneSpec) -> None:
    """Check that ``state`` has exactly the keys and shapes of ``expected`` (the architecture's).

    Parameters
    ----------
    expected : dict of str -> torch.Size
        The architecture's parameter and buffer shapes.
    state : dict of str -> torch.Tensor
        The file's state dict.

    Raises
    ------
    CheckpointError
        Missing or unexpected keys, or shapes that differ; the message gives
        examples of each and says which file the backbone expects.
    """
    missing = set(expected) - set(state)
    unexpected = set(state) - set(expected)
    shapes = [f"{k}: file {tuple(state[k].shape)}, model {tuple(expected[k])}"
              for k in sorted(set(expected) & set(state)) if tuple(state[k].shape) != tuple(expected[k])]
    if not (missing or unexpected or shapes):
        return
    parts = []
    if missing:
        parts.append(f"{len(missing)} missing key(s) ({_examples(missing)})")
    if unexpected:
        parts.append(f"{len(unexpected)} unexpected key(s) ({_examples(unexpected)})")
    if shapes:
        parts.append(f"{len(shapes)} shape mismatch(es) ({'; '.join(shapes[:3])})")
    raise CheckpointError(f"Weights file '{path}' does not fit backbone '{spec.name}' ({spec.arch}): "
                          f"{', '.join(parts)}. Is it the weights of another architecture? {spec.fetch_hint()}.")
