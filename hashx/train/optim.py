"""Optimiser construction shared by the methods."""

from __future__ import annotations

import torch

__all__ = ["adam"]


def adam(parameters, *, lr: float, weight_decay: float = 0.0, eps: float = 1e-8) -> torch.optim.Adam:
    """Adam, with PyTorch's fused kernel where the parameters' device supports it.

    The fused kernel gives the same update rule (elementwise, deterministic) and
    is an order of magnitude faster on CPU for the 30M-weight text network
    than the default per-tensor loop, where the optimiser step otherwise costs
    about a third of a training step.  Falls back to the default
    implementation where fused Adam is unavailable.  ``eps`` is Adam's
    (PyTorch's default 1e-8).
    """
    params = [p for p in parameters if p.requires_grad]
    try:
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, eps=eps, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, eps=eps)
