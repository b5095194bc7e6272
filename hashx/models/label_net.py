"""LabelNet: SSAH's self-supervised teacher on multi-hot labels."""

from __future__ import annotations

import torch
from torch import nn

from ._checks import check_net_args
from .init import he_init
from .heads import HashHeads, HashOutput
from .lrn import SSAHLocalResponseNorm
from .registry import register_model

__all__ = ["LabelNet"]


@register_model("label_net", role="label")
class LabelNet(nn.Module):
    """Multi-hot labels -> 4096 -> 512 semantic feature -> hash (K, tanh) and label (c) heads.

    As in SSAH's ``lab_net``: FC c->4096, ReLU, local response normalisation,
    FC 4096->512, ReLU (the feature); both heads read the feature.

    Parameters
    ----------
    n_labels : int
        Number of labels c (input width and label-head width).
    nbits : int
        Hash length K, a positive multiple of 8.
    hidden_dim : int, default=4096
    feature_dim : int, default=512

    Notes
    -----
    Initialisation: He-normal weights before ReLUs, LeCun-normal output
    layers, zero biases (:mod:`hashx.models.init`), not SSAH's N(0, 0.01).
    """

    def __init__(self, *, n_labels: int, nbits: int, hidden_dim: int = 4096, feature_dim: int = 512):
        super().__init__()
        check_net_args("LabelNet", nbits=nbits, n_labels=n_labels, hidden_dim=hidden_dim, feature_dim=feature_dim)
        self.in_dim = n_labels
        self.body = nn.Sequential(
            he_init(nn.Linear(n_labels, hidden_dim)),
            nn.ReLU(),
            SSAHLocalResponseNorm(),
            he_init(nn.Linear(hidden_dim, feature_dim)),
            nn.ReLU(),
        )
        self.heads = HashHeads(feature_dim=feature_dim, nbits=nbits, n_labels=n_labels)

    def forward(self, labels: torch.Tensor) -> HashOutput:
        """``labels``: float tensor of shape (b, n_labels) holding 0/1."""
        feature = self.body(labels)
        code, logit = self.heads(feature)
        return HashOutput(feature, code, logit)
