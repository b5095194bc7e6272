"""Helpers for the hashx.features tests: random-weight files, reference models, generated images, no network.

Weights files are the backbones' real formats (the state dict of the
architecture built by torchvision or open_clip, saved with ``torch.save``)
filled with seeded random values: a variance-preserving uniform draw per
tensor, cheaper than the packages' own initialisation for 100M+ parameters.
Each file is made once per test process (VGG's is 0.5 GB) in a temporary
folder removed at exit; each backbone is loaded once per process too.

The reference implementations are the backbones' own packages, imported
through :mod:`hashx.features._imports` (which copes with a torchvision build
whose compiled operators do not load beside the installed torch).
"""

from __future__ import annotations

import atexit
import functools
import math
import shutil
import socket
import tempfile
from pathlib import Path

import numpy as np
import pytest

from hashx.features import load_backbone
from hashx.features._imports import import_open_clip, import_torchvision
from hashx.features.registry import get_backbone

_WEIGHTS_DIR = Path(tempfile.mkdtemp(prefix="hashx-test-weights-"))
atexit.register(shutil.rmtree, _WEIGHTS_DIR, True)


def architecture(name: str, device: str = "meta"):
    """The backbone's full model from its own package (on ``meta``: shapes only, no initialisation)."""
    import torch

    spec = get_backbone(name)
    with torch.device(device):
        if spec.family == "torchvision":
            return getattr(import_torchvision().models, spec.arch)(weights=None)
        return import_open_clip().create_model(spec.arch, pretrained=None, force_quick_gelu=spec.quick_gelu,
                                               device=device)


def random_state_dict(name: str, seed: int = 0) -> dict:
    """A state dict of backbone ``name`` with seeded random values (keys and shapes of the real file)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    state = {}
    for key, t in architecture(name).state_dict().items():
        if not t.is_floating_point():
            state[key] = torch.zeros(t.shape, dtype=t.dtype)
            continue
        u = torch.rand(t.shape, generator=g) * 2 - 1
        if t.dim() >= 2:  # weights: uniform with variance 1 / fan_in
            value = u * math.sqrt(3.0 / math.prod(t.shape[1:]))
        elif key.endswith("running_var"):
            value = 1 + 0.1 * u.abs()
        elif key.endswith("weight"):  # norm scales
            value = 1 + 0.1 * u
        elif t.dim() == 0:  # CLIP's logit scale
            value = torch.tensor(math.log(1 / 0.07))
        else:  # biases, running means, class embeddings
            value = 0.1 * u
        state[key] = value.contiguous()
    return state


@functools.lru_cache(maxsize=None)
def weights_file(name: str) -> Path:
    """A weights file of backbone ``name`` in its published format, random weights (seed 0), made once."""
    import torch

    path = _WEIGHTS_DIR / f"{name}-{get_backbone(name).weights_files[-1]}"
    torch.save(random_state_dict(name), path)
    return path


@functools.lru_cache(maxsize=None)
def loaded_backbone(name: str):
    """``load_backbone(name, weights_file(name))``, loaded once per process."""
    return load_backbone(name, weights_file(name))


def make_images(folder: Path, sizes, *, seed: int = 0, suffixes=(".png", ".jpg")) -> list[Path]:
    """Write RGB images of the given (width, height) sizes as ``im1``, ``im2``, ... (cycling suffixes)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, (w, h) in enumerate(sizes):
        # smooth gradients plus noise: resampling filters have something to do
        yy, xx = np.mgrid[0:h, 0:w]
        base = np.stack([xx * 255 / max(w - 1, 1), yy * 255 / max(h - 1, 1), (xx + yy) % 256], axis=-1)
        pixels = np.clip(base + rng.normal(0, 40, size=(h, w, 3)), 0, 255).astype(np.uint8)
        path = folder / f"im{i + 1}{suffixes[i % len(suffixes)]}"
        Image.fromarray(pixels).save(path)
        paths.append(path)
    return paths


def _refuse(*args, **kwargs):
    raise AssertionError("a download or network connection was attempted")


@pytest.fixture
def no_network(monkeypatch):
    """Fail the test on any socket connection or any torch hub / open_clip / Hugging Face download call."""
    import torch.hub

    monkeypatch.setattr(socket.socket, "connect", _refuse)
    monkeypatch.setattr(socket, "create_connection", _refuse)
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", _refuse)
    monkeypatch.setattr(torch.hub, "download_url_to_file", _refuse)
    import_open_clip()
    import open_clip.factory
    import open_clip.pretrained

    for module in (open_clip.pretrained, open_clip.factory):
        for fn in ("download_pretrained", "download_pretrained_from_hf", "download_pretrained_from_url"):
            if hasattr(module, fn):
                monkeypatch.setattr(module, fn, _refuse)
    try:
        import huggingface_hub
    except ImportError:
        pass
    else:
        monkeypatch.setattr(huggingface_hub, "hf_hub_download", _refuse)
    yield
