"""SSAH's local response normalisation, for (b, channels) and (b, channels, h, w) tensors."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["SSAHLocalResponseNorm"]


class SSAHLocalResponseNorm(nn.Module):
    """Local response normalisation across channels, with SSAH's parameters.

    SSAH's code calls ``tf.nn.local_response_normalization(x, depth_radius=2,
    bias=2, alpha=1e-4, beta=0.75)``, i.e.::

        y_c = x_c / (bias + alpha * sum_{|c' - c| <= 2} x_{c'}^2) ** beta

    PyTorch's :class:`torch.nn.LocalResponseNorm` divides ``alpha`` by the
    window size, so it is built with ``alpha * size``.  A 2-d input (b, c) is
    treated as (b, c, 1), as the TensorFlow code does with its (b, 1, 1, c) layout.
    """

    def __init__(self, *, depth_radius: int = 2, bias: float = 2.0, alpha: float = 1e-4, beta: float = 0.75):
        super().__init__()
        self.size = 2 * depth_radius + 1
        self.alpha = alpha * self.size
        self.beta = beta
        self.k = bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            return F.local_response_norm(x.unsqueeze(-1), self.size, self.alpha, self.beta, self.k).squeeze(-1)
        return F.local_response_norm(x, self.size, self.alpha, self.beta, self.k)
