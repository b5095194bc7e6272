"""Central similarity (CSQ): each code is pulled, bit by bit, towards its item's hash centre."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["CentralSimilarityLoss"]


class CentralSimilarityLoss(nn.Module):
    """Bitwise binary cross-entropy between a code and its hash centre (Yuan et al., CVPR 2020).

    With ``p = (h + 1) / 2`` (the code mapped to (0, 1)) and ``t = (c + 1) / 2``
    (the +1/-1 centre mapped to {0, 1})::

        loss = mean_{i, k} -[ t_ik log p_ik + (1 - t_ik) log(1 - p_ik) ]

    over the items that have a centre (``mask``) and the ``K`` bits: a mean, as
    in the official code (``nn.BCELoss``), so the term is log 2 at ``h = 0``
    whatever the batch size and code length.  Logarithms are clamped at -100
    (PyTorch's ``binary_cross_entropy``), so a saturated code gives a finite
    loss.  A batch in which no item has a centre contributes 0.
    """

    name = "central_similarity"

    def forward(self, code: torch.Tensor, centers: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """
        Parameters
        ----------
        code : Tensor of shape (b, K)
            Continuous codes in (-1, 1) (tanh outputs).
        centers : Tensor of shape (b, K)
            Each item's hash centre, +1/-1.
        mask : Tensor of shape (b,), bool, or None
            Items with a centre (None: all); the others are left out of the mean.

        Returns
        -------
        Tensor of shape (), float32
        """
        if mask is not None:
            code, centers = code[mask], centers[mask]
        if code.shape[0] == 0:
            return code.sum() * 0.0
        return F.binary_cross_entropy((code + 1) / 2, (centers + 1) / 2)
