"""The output heads shared by SSAH's label, image and text networks."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from .init import lecun_init

__all__ = ["HashOutput", "HashHeads"]


class HashOutput(NamedTuple):
    """What every SSAH network returns for a batch of ``b`` items.

    Attributes
    ----------
    feature : Tensor of shape (b, feature_dim), float32
        The semantic feature (512-d after ReLU in SSAH), used by the
        feature-level pairwise loss and by the discriminators.
    code : Tensor of shape (b, nbits), float32
        The continuous hash code, ``tanh`` of the hash layer, in (-1, 1).
    label_logit : Tensor of shape (b, n_labels), float32
        Label-prediction logits; ``sigmoid(label_logit)`` is SSAH's label output.
    """

    feature: torch.Tensor
    code: torch.Tensor
    label_logit: torch.Tensor


class HashHeads(nn.Module):
    """Hash layer (``nbits`` units, tanh) and label head (``n_labels`` logits) on one feature.

    Parameters
    ----------
    feature_dim : int
        Width of the feature the heads read.
    nbits : int
        Hash code length K.
    n_labels : int
        Number of labels c.
    """

    def __init__(self, *, feature_dim: int, nbits: int, n_labels: int):
        super().__init__()
        self.hash = lecun_init(nn.Linear(feature_dim, nbits))
        self.label = lecun_init(nn.Linear(feature_dim, n_labels))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(tanh(hash(x)), label(x))`` for ``x`` of shape (b, feature_dim)."""
        return torch.tanh(self.hash(x)), self.label(x)
