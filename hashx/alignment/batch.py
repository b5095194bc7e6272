"""AlignmentBatch: what an alignment component sees of one batch."""

from __future__ import annotations

from typing import NamedTuple

import torch

__all__ = ["AlignmentBatch"]


class AlignmentBatch(NamedTuple):
    """One modality's features and the anchors they are aligned with, for ``b`` items.

    Attributes
    ----------
    features : Tensor of shape (b, d), float32
        The modality's features (live, with gradient, in a generator step;
        stored values in a discriminator step).
    anchors : Tensor of shape (b, d), float32
        What the features should be indistinguishable from: SSAH's label
        network features of the same items, or another modality's features.
    labels : Tensor of shape (b, c), float32, or None
        The items' multi-hot labels (for label-conditioned components).
    """

    features: torch.Tensor
    anchors: torch.Tensor
    labels: torch.Tensor | None = None
