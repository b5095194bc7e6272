"""GAN alignment: alternating discriminator and generator updates (SSAH's adversarial module)."""

from __future__ import annotations

import torch

from ..losses.adversarial import discriminator_loss, generator_loss
from .batch import AlignmentBatch
from .discriminators import Discriminators
from .registry import register_alignment

__all__ = ["GANAlignment", "DetachedGANAlignment"]


@register_alignment("gan")
class GANAlignment(Discriminators):
    """Alternating adversarial updates, the generator gradient reaching the networks.

    Discriminator stage (the method runs it between its network stages):
    each modality's discriminator learns to tell the anchors (1) from the
    modality's features (0); the loss of one step is the mean over
    modalities of :func:`~hashx.losses.discriminator_loss` (SSAH's
    ``Loss_D``, the mean of the four cross-entropies).

    Generator term, added to a network's objective: ``weight * BCE(D(f), 1)``
    on the live features ``f``; its gradient flows through the discriminator
    (which that step does not update) into the network, as the paper intends.

    Parameters are those of :class:`~hashx.alignment.discriminators.Discriminators`.
    """

    #: The method runs :meth:`discriminator_step` in a stage of its own.
    discriminator_stage = True

    def _generator_input(self, features: torch.Tensor) -> torch.Tensor:
        return features

    def discriminator_step(self, batches: dict, *, progress: float = 0.0, weight: float = 1.0, part=None) -> float:
        """One Adam step of the discriminators.

        Parameters
        ----------
        batches : dict of str to AlignmentBatch
            Per modality, stored (detached) features and anchors of the same items.
        progress : float in [0, 1]
            Fraction of training done (anneals the instance noise).
        weight : float, default=1.0
            Multiplies the loss before the step (a data-parallel rank's
            share of the global batch, :meth:`hashx.train.Distribution.shard`).
        part : (int, int, int) or None
            The rank's rows ``start:stop`` of a ``total``-item global batch
            (:meth:`hashx.train.Distribution.part`); not used here: the loss
            draws no per-item numbers (instance noise refuses data-parallel
            training).

        Returns
        -------
        float
            The step's discriminator loss.
        """
        losses = [discriminator_loss(self.score(m, b.features, b.labels, progress=progress),
                                     self.score(m, b.anchors, b.labels, progress=progress))
                  for m, b in batches.items()]
        loss = sum(losses) * (1.0 / len(losses))
        self.optimizer.zero_grad(set_to_none=True)
        (loss * weight).backward()
        self.optimizer.step()
        return float(loss.detach())

    def generator_terms(self, modality: str, batch: AlignmentBatch, *, progress: float,
                        samples_seen: int) -> dict:
        """``{"adversarial": weight * BCE(D(features), 1)}`` for one modality's live batch."""
        logits = self.score(modality, self._generator_input(batch.features), batch.labels, progress=progress)
        return {"adversarial": self.weight * generator_loss(logits)}

    def generator_optimizers(self) -> list:
        """Optimisers to step with the network's (none: the discriminators are not updated there)."""
        return []


@register_alignment("gan_detached")
class DetachedGANAlignment(GANAlignment):
    """SSAH official-code switch: the adversarial term sees detached features.

    SSAH's TensorFlow code feeds its discriminators numpy copies of the
    features, so the adversarial term has no gradient with respect to the
    image and text networks: the discriminators are trained but never shape
    the codes.  (That code's image/text optimiser also steps the
    discriminator weights on the generator loss; since no gradient reaches
    the networks either way, the codes are unaffected, and hashx does not
    repeat it.)
    """

    def _generator_input(self, features: torch.Tensor) -> torch.Tensor:
        return features.detach()
