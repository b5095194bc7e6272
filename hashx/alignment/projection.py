"""Projection alignment: SSAH's alternating GAN updates with label-conditioned discriminators."""

from __future__ import annotations

import torch

from ..exceptions import HashxValueError
from .gan import GANAlignment
from .registry import register_alignment

__all__ = ["ProjectionGANAlignment"]


@register_alignment("projection")
class ProjectionGANAlignment(GANAlignment):
    """Alternating GAN updates whose discriminators also see the items' labels.

    Each discriminator is a :class:`~hashx.models.ProjectionDiscriminator`:
    it scores a feature *given the item's labels*.  SSAH's label network
    maps every label combination to one point, so an unconditional
    discriminator separates label features from image/text features by
    their support alone and its generator gradient carries no semantics; a
    label-conditioned one must tell a plausible label feature *for these
    labels* from the modality's feature of the same item, so its gradient
    points each feature towards its own label feature.  Needs ``n_labels``.

    Parameters are those of :class:`~hashx.alignment.gan.GANAlignment`.
    """

    model = "projection_discriminator"

    def model_kwargs(self, feature_dim: int) -> dict:
        if self.n_labels is None:
            raise HashxValueError("The 'n_labels' parameter of ProjectionGANAlignment is required (the "
                                  "discriminators embed the labels).")
        return {"feature_dim": feature_dim, "n_labels": self.n_labels}

    def score(self, modality: str, x: torch.Tensor, labels, *, progress: float) -> torch.Tensor:
        if labels is None:
            raise HashxValueError("ProjectionGANAlignment needs the items' labels in every AlignmentBatch.")
        return self.forward[modality](self.noisy(x, progress), labels)
