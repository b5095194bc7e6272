"""Label-prediction losses (the networks' label heads against the multi-hot labels)."""

from __future__ import annotations

import torch
from torch import nn

from .._registry import Registry
from torch.nn import functional as F

__all__ = ["LabelMSELoss", "LabelBCELoss", "LABEL_LOSSES"]


class LabelMSELoss(nn.Module):
    """``mean_{i,c} (sigmoid(logit_ic) - y_ic)^2``: SSAH's (paper and code) L2 label loss.

    Mean over the ``b x c`` elements (SSAH sums).
    """

    name = "mse"

    def forward(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """
        Parameters
        ----------
        logits : Tensor of shape (b, c)
        labels : Tensor of shape (b, c), float 0/1

        Returns
        -------
        Tensor of shape (), float32
        """
        return ((torch.sigmoid(logits) - labels) ** 2).mean()


class LabelBCELoss(nn.Module):
    """Binary cross-entropy on the label logits, mean over the ``b x c`` elements."""

    name = "bce"

    def forward(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Same arguments as :meth:`LabelMSELoss.forward`."""
        return F.binary_cross_entropy_with_logits(logits, labels)


#: Label loss families by name.
LABEL_LOSSES = Registry("label loss")
LABEL_LOSSES.register("mse", LabelMSELoss)
LABEL_LOSSES.register("bce", LabelBCELoss)
