"""CLIP image and text towers through open_clip, built without any download.

The model is open_clip's architecture (``create_model(name, pretrained=None,
load_weights=False)``, with QuickGELU for OpenAI's weights); no pretrained tag
is resolved, so neither its download table nor the Hugging Face hub is
touched.  It is created on the ``meta`` device (no time spent on a random
initialisation that the file replaces) and receives the file's tensors after
the key and shape check of :mod:`hashx.features.weights_file`; the causal
attention mask of the text tower, the one tensor a checkpoint does not hold,
is rebuilt as open_clip builds it (the tests compare every output with
open_clip's own model and loader).
"""

from __future__ import annotations

import torch

from ._imports import import_open_clip
from .preprocessing import Preprocessing
from .registry import BackboneSpec
from .weights_file import check_state_dict

__all__ = ["build_open_clip_backbone", "open_clip_preprocessing", "ClipImageTower", "ClipTextTower"]

_PREPROCESS_KEYS = ("size", "mode", "mean", "std", "interpolation", "resize_mode", "fill_color")


def _preprocess_cfg(open_clip, spec: BackboneSpec, model) -> dict:
    """The model's preprocessing config, with the pretrained tag's overrides (as open_clip merges them)."""
    cfg = dict(model.visual.preprocess_cfg)
    tag = open_clip.get_pretrained_cfg(spec.arch, spec.weights_tag) or {}
    cfg.update({k: v for k, v in tag.items() if k in _PREPROCESS_KEYS})
    return cfg


def open_clip_preprocessing(cfg: dict, spec: BackboneSpec) -> Preprocessing:
    """open_clip's evaluation preprocessing config as a :class:`Preprocessing`."""
    from ..exceptions import HashxValueError

    size = cfg["size"]
    size = (size, size) if isinstance(size, int) else tuple(size)
    if cfg.get("resize_mode", "shortest") != "shortest" or size[0] != size[1]:
        raise HashxValueError(f"Backbone '{spec.name}': open_clip preprocessing {cfg} (resize mode "
                              f"{cfg.get('resize_mode')!r}, size {size}) is not supported; hashx supports the "
                              f"'shortest' resize mode with a square size.")
    return Preprocessing(resize=size[0], crop=size[0], interpolation=cfg["interpolation"],
                         mean=tuple(cfg["mean"]), std=tuple(cfg["std"]))


class ClipImageTower(torch.nn.Module):
    """(B, 3, H, W) float32 pixels -> (B, dim) image embeddings (``CLIP.encode_image``)."""

    def __init__(self, clip):
        super().__init__()
        self.clip = clip

    def forward(self, pixels):
        return self.clip.encode_image(pixels)


class ClipTextTower(torch.nn.Module):
    """(B, context_length) int64 tokens -> (B, dim) text embeddings (``CLIP.encode_text``)."""

    def __init__(self, clip):
        super().__init__()
        self.clip = clip

    def forward(self, tokens):
        return self.clip.encode_text(tokens)


def _create(open_clip, spec: BackboneSpec, device: str):
    """open_clip's architecture for ``spec``, no pretrained tag resolved (so nothing is downloaded)."""
    with torch.device(device):
        return open_clip.create_model(spec.arch, pretrained=None, load_weights=False, force_quick_gelu=spec.quick_gelu,
                                      pretrained_image=False, pretrained_text=False, device=device)


def build_open_clip_backbone(spec: BackboneSpec, state: dict, path):
    """open_clip's CLIP model for ``spec`` with the weights ``state``, in eval mode.

    Parameters
    ----------
    spec : BackboneSpec
        An ``open_clip`` entry of the registry.
    state : dict of str -> torch.Tensor
        The published open_clip state dict (image and text towers).
    path : str or os.PathLike
        The weights file, for error messages.

    Returns
    -------
    clip : open_clip.CLIP
    preprocessing : Preprocessing
    tokenizer : callable
        list of str -> (B, context_length) int64 tokens (open_clip's BPE tokenizer, shipped with it).

    Raises
    ------
    CheckpointError
        The state dict does not fit the architecture.
    """
    open_clip = import_open_clip(f"Backbone '{spec.name}'")
    clip = _create(open_clip, spec, "meta")
    expected = {k: v.shape for k, v in clip.state_dict().items()}
    if "logit_scale" in state and "logit_scale" in expected and state["logit_scale"].numel() == 1:
        state = {**state, "logit_scale": state["logit_scale"].reshape(expected["logit_scale"])}  # 0-d or (1,)
    check_state_dict(expected, state, path, spec)
    clip.load_state_dict(state, strict=True, assign=True)
    left = [name for name, t in (*clip.named_parameters(), *clip.named_buffers()) if t.is_meta]
    if left == ["attn_mask"]:
        # the one tensor not in the file: CLIP's causal text mask (-inf above the diagonal), rebuilt as open_clip does
        length = clip.attn_mask.shape[0]
        clip.attn_mask = torch.full((length, length), float("-inf")).triu_(1)
    elif left:  # another open_clip layout: build it on the CPU (with its random initialisation) instead
        clip = _create(open_clip, spec, "cpu")
        clip.load_state_dict(state, strict=True)
    tokenizer = open_clip.get_tokenizer(spec.arch)
    return clip.eval(), open_clip_preprocessing(_preprocess_cfg(open_clip, spec, clip), spec), tokenizer
