"""GRL alignment: the discriminators trained jointly with the networks through a gradient-reversal layer."""

from __future__ import annotations

from .._validation import check_int
from ..losses.adversarial import discriminator_loss, grad_reverse
from .batch import AlignmentBatch
from .discriminators import Discriminators
from .grl_schedule import GRL_SCHEDULES, grl_weight
from .registry import register_alignment

__all__ = ["GRLAlignment"]


@register_alignment("grl")
class GRLAlignment(Discriminators):
    """A gradient-reversal layer between the features and the discriminators.

    In each network step the term ``weight * (BCE(D(R(f)), 0) + BCE(D(a), 1)) / 2``
    is added, where ``f`` are the live features, ``a`` the anchors and ``R``
    is the identity forward and multiplies the gradient by ``-lambda``
    backward.  The discriminator descends its loss (its optimiser steps with
    the network's) while the network ascends it.  No separate stage.

    Parameters
    ----------
    schedule : {"constant", "dann", "samples"}, default="dann"
        How lambda grows (:func:`~hashx.alignment.grl_weight`).
    ramp_samples : int, default=100_000
        Samples over which lambda ramps up with ``schedule="samples"``.
    **kwargs
        The parameters of :class:`~hashx.alignment.discriminators.Discriminators`.
    """

    discriminator_stage = False

    def __init__(self, *, schedule: str = "dann", ramp_samples: int = 100_000, **kwargs):
        self.schedule = GRL_SCHEDULES.check(schedule, parameter="schedule", caller="GRLAlignment")
        self.ramp_samples = check_int(ramp_samples, "ramp_samples", caller="GRLAlignment", min_value=1)
        super().__init__(**kwargs)

    def generator_terms(self, modality: str, batch: AlignmentBatch, *, progress: float,
                        samples_seen: int) -> dict:
        """``{"adversarial": ...}`` (see the class docstring) for one modality's live batch."""
        lam = grl_weight(self.schedule, progress=progress, samples_seen=samples_seen,
                         ramp_samples=self.ramp_samples)
        reversed_features = grad_reverse(batch.features, lam)
        return {"adversarial": self.weight * discriminator_loss(
            self.score(modality, reversed_features, batch.labels, progress=progress),
            self.score(modality, batch.anchors, batch.labels, progress=progress))}

    def generator_optimizers(self) -> list:
        """The discriminators' optimiser: it steps with the network's."""
        return [self.optimizer]
