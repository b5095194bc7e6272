"""Softmax cross-entropy label loss (ACMR's label classifier), registered in ``LABEL_LOSSES`` as ``"softmax"``."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .label import LABEL_LOSSES

__all__ = ["LabelSoftmaxLoss"]


class LabelSoftmaxLoss(nn.Module):
    """``-mean_i sum_c t_ic log softmax(logit_i)_c`` with ``t_i = y_i / sum_c y_ic``.

    The cross-entropy of a softmax classifier, as ACMR's label prediction
    (single-label data: ``t_i`` is the one-hot label).  A multi-hot label is
    spread evenly over the item's labels; an item without a label contributes
    0 (and still counts in the mean over the ``b`` items).
    """

    name = "softmax"

    def forward(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Same arguments as :meth:`~hashx.losses.LabelMSELoss.forward`."""
        target = labels / labels.sum(dim=1, keepdim=True).clamp_min(1.0)
        return -(target * F.log_softmax(logits, dim=1)).sum(dim=1).mean()


LABEL_LOSSES.register("softmax", LabelSoftmaxLoss)
