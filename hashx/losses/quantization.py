"""Quantisation losses: pull continuous codes towards binary codes."""

from __future__ import annotations

import torch
from torch import nn

from .._registry import Registry

__all__ = ["SharedCodeQuantization", "SelfSignQuantization", "QUANTIZERS"]


class SharedCodeQuantization(nn.Module):
    """Distance to the shared binary codes of the training items (the paper's B).

    ``loss = mean_{i,k} (B_ik - h_ik)^2`` where ``B = sign(H_label + H_image +
    H_text)`` for the batch's items; the method keeps ``B`` up to date as
    training goes.  Mean over the ``b x K`` elements (SSAH sums), so the term
    is 1 for ``h = 0`` whatever the batch size and code length.
    """

    name = "shared"

    def forward(self, code: torch.Tensor, shared_codes: torch.Tensor) -> torch.Tensor:
        """
        Parameters
        ----------
        code : Tensor of shape (b, K)
            Continuous codes (tanh outputs).
        shared_codes : Tensor of shape (b, K)
            The items' rows of B, holding +1/-1.

        Returns
        -------
        Tensor of shape (), float32
        """
        return ((shared_codes - code) ** 2).mean()


class SelfSignQuantization(nn.Module):
    """SSAH official-code switch: each batch is pulled towards its own sign.

    ``loss = mean (sign(h) - h)^2`` with ``sign(h)`` taken as a constant (0
    maps to +1, as :func:`hashx.binarize`).  SSAH's code computes the shared B
    and never feeds it to its losses; this reproduces that.  The shared codes
    passed by the method are ignored.
    """

    name = "self_sign"

    def forward(self, code: torch.Tensor, shared_codes: torch.Tensor | None = None) -> torch.Tensor:
        """Same arguments as :meth:`SharedCodeQuantization.forward`; ``shared_codes`` is unused."""
        target = torch.where(code.detach() >= 0, 1.0, -1.0).to(code.dtype)
        return ((target - code) ** 2).mean()


#: Quantisation loss families by name.
QUANTIZERS = Registry("quantisation loss")
QUANTIZERS.register("shared", SharedCodeQuantization)
QUANTIZERS.register("self_sign", SelfSignQuantization)
