"""Bit balance (DCMH): every bit should be +1 on half of the items and -1 on the other half."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["BitBalanceLoss"]


class BitBalanceLoss(nn.Module):
    """Squared norm of the mean code: ``|| (1/b) F^T 1 ||^2 = sum_k (mean_i F_ik)^2``.

    DCMH's term ``eta * ||F^T 1||^2`` (``F``: the ``n x K`` continuous codes of
    all training items, ``1`` the all-ones vector) is the squared norm of the
    column sums; it is 0 when each bit sums to zero over the items.  hashx
    divides it by ``n^2``, as the pairwise likelihood's sum over ``n x n`` pairs
    becomes a mean, so the balance term keeps exactly the weight the paper
    gives it relative to the pairwise term (the paper's ``eta`` means the
    same).  With codes in (-1, 1) it lies in [0, K): the sum over the bits of
    each bit's squared mean.

    Given a batch, the mean is the batch's: an estimate of the mean code of all
    items (see :class:`~hashx.methods.DCMH` for why not the stored codes).
    """

    name = "bit_balance"

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        """
        Parameters
        ----------
        codes : Tensor of shape (b, K)
            Continuous codes.

        Returns
        -------
        Tensor of shape (), float32
            ``sum_k (mean_i codes[i, k]) ** 2``.
        """
        return (codes.mean(dim=0) ** 2).sum()
