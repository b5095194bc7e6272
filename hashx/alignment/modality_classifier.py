"""Modality-classifier alignment: one classifier tells the two modalities apart, both behind a gradient reversal."""

from __future__ import annotations

from .._validation import check_int
from ..losses.adversarial import discriminator_loss, grad_reverse
from .batch import AlignmentBatch
from .discriminators import Discriminators
from .grl_schedule import GRL_SCHEDULES, grl_weight
from .registry import register_alignment

__all__ = ["ModalityClassifierAlignment"]


@register_alignment("modality_classifier")
class ModalityClassifierAlignment(Discriminators):
    """ACMR's modality classifier: one network, trained jointly with the networks through gradient reversal.

    A method that puts two modalities into one common space calls
    :meth:`generator_terms` once per step with ``features`` = the first
    modality's common representations and ``anchors`` = the second's (of
    the same or of other items).  The term is::

        weight * (BCE(D(R(features)), 0) + BCE(D(R(anchors)), 1)) / 2

    where ``R`` is the identity forward and multiplies the gradient by
    ``-lambda`` backward, on *both* sides: the classifier ``D`` descends its
    loss (its optimiser steps with the networks'), while both modalities'
    networks ascend it.  For ACMR, with image features labelled 0 and texts
    labelled 1, the term is ``weight / 2`` times the paper's ``L_adv`` (the
    mean over items of the two log-losses), and ``lambda`` plays the role of
    the minus sign in the paper's ``L_emb - L_adv``.

    Why not :class:`~hashx.alignment.GRLAlignment` with text anchors: that
    component reverses the gradient of the *features* only; the anchors (for
    SSAH, the label network's features, a fixed target) reach the
    discriminator un-reversed, so a text network feeding them would be
    trained to *help* the classifier (or not at all, with detached anchors),
    and it keeps one discriminator per modality.  ACMR has one classifier
    that both projectors try to fool.

    Parameters
    ----------
    schedule : {"constant", "dann", "samples"}, default="dann"
        How lambda grows (:func:`~hashx.alignment.grl_weight`); ACMR's code
        uses the DANN schedule.
    ramp_samples : int, default=100_000
        Samples over which lambda ramps up with ``schedule="samples"``.
    feature_dim, weight, lr, weight_decay, device
        As :class:`~hashx.alignment.discriminators.Discriminators` (the
        classifier is the registered ``"discriminator"`` network).
    """

    discriminator_stage = False

    def __init__(self, *, schedule: str = "dann", ramp_samples: int = 100_000, feature_dim: int, weight: float,
                 lr: float, weight_decay: float = 0.0, device="cpu"):
        caller = "ModalityClassifierAlignment"
        self.schedule = GRL_SCHEDULES.check(schedule, parameter="schedule", caller=caller)
        self.ramp_samples = check_int(ramp_samples, "ramp_samples", caller=caller, min_value=1)
        super().__init__(modalities=("modality",), feature_dim=feature_dim, weight=weight, lr=lr,
                         weight_decay=weight_decay, device=device)

    def generator_terms(self, modality: str, batch: AlignmentBatch, *, progress: float,
                        samples_seen: int) -> dict:
        """``{"adversarial": ...}`` (see the class docstring).

        Parameters
        ----------
        modality : str
            Name of the ``features``' modality (recorded in logs only; one
            classifier serves both modalities).
        batch : AlignmentBatch
            ``features``: the first modality's live common representations
            (label 0); ``anchors``: the second modality's (label 1).
        progress : float in [0, 1]
        samples_seen : int
        """
        lam = grl_weight(self.schedule, progress=progress, samples_seen=samples_seen,
                         ramp_samples=self.ramp_samples)
        d = self.nets["modality"]
        loss = discriminator_loss(d(grad_reverse(batch.features, lam)), d(grad_reverse(batch.anchors, lam)))
        return {"adversarial": self.weight * loss}

    def generator_optimizers(self) -> list:
        """The classifier's optimiser: it steps with the networks'."""
        return [self.optimizer]
