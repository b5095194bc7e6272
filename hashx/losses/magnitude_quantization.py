"""Magnitude quantisation (CSQ): every entry of a continuous code should have magnitude 1."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["MagnitudeQuantization"]


class MagnitudeQuantization(nn.Module):
    """``loss = mean_{i, k} (|h_ik| - 1)^2``, with no binary target.

    CSQ's official code uses this squared form; the CSQ paper writes a
    log-cosh, ``sum_k log cosh(|h_k| - 1)``, which is the same near
    ``|h| = 1`` (``log cosh x = x^2 / 2 + O(x^4)``).  Unlike
    :class:`~hashx.losses.SharedCodeQuantization` it needs no codes to aim
    at: the sign of each entry is left to the other terms.  Mean over the
    ``b x K`` elements: 1 at ``h = 0``, 0 at ``h = +-1``.
    """

    name = "magnitude"

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        """
        Parameters
        ----------
        code : Tensor of shape (b, K)
            Continuous codes (tanh outputs).

        Returns
        -------
        Tensor of shape (), float32
        """
        return ((code.abs() - 1) ** 2).mean()
