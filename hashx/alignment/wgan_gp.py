"""Wasserstein alignment: critics with a gradient penalty (WGAN-GP) instead of classifiers."""

from __future__ import annotations

import torch

from .._validation import check_float
from .batch import AlignmentBatch
from .discriminators import Discriminators
from .registry import register_alignment

__all__ = ["WGANGPAlignment"]


@register_alignment("wgan_gp")
class WGANGPAlignment(Discriminators):
    """A Wasserstein critic per modality, trained with a gradient penalty (Gulrajani et al., 2017).

    Critic stage (the method runs it like the GAN's discriminator stage):
    each critic ``C`` minimises ``mean C(f) - mean C(a) + gp * mean((||grad
    C(x_hat)|| - 1)^2)`` with ``x_hat = e * a + (1 - e) * f``, ``e ~ U(0, 1)``
    per item (numbered, seeded draws), so that ``mean C(a) - mean C(f)``
    estimates the Wasserstein-1 distance between anchors ``a`` and features
    ``f``.  Unlike a saturated classifier, the critic's gradient stays
    informative when the two supports are disjoint -- the case of SSAH's
    label features (one point per label combination).

    Generator term: ``weight * (-mean C(f))`` on the live features: the
    networks move their features up the critic, towards the anchors.

    Parameters
    ----------
    gp_weight : float, default=10.0
        The penalty's weight (the paper's lambda).
    **kwargs
        The parameters of :class:`~hashx.alignment.discriminators.Discriminators`
        (the critics have its architecture, their output read as a score).
    """

    discriminator_stage = True

    def __init__(self, *, gp_weight: float = 10.0, **kwargs):
        self.gp_weight = check_float(gp_weight, "gp_weight", caller="WGANGPAlignment")
        super().__init__(**kwargs)

    def _penalty(self, modality: str, features, anchors, labels, progress) -> torch.Tensor:
        e = self.random((features.shape[0], 1), like=features, uniform=True)
        x_hat = (e * anchors + (1.0 - e) * features).requires_grad_(True)
        score = self.score(modality, x_hat, labels, progress=progress)
        (grad,) = torch.autograd.grad(score.sum(), x_hat, create_graph=True)
        return ((grad.norm(dim=1) - 1.0) ** 2).mean()

    def discriminator_step(self, batches: dict, *, progress: float = 0.0, weight: float = 1.0) -> float:
        """One Adam step of the critics on stored features and anchors (see the class docstring)."""
        losses = []
        for m, b in batches.items():
            wasserstein = (self.score(m, b.features, b.labels, progress=progress).mean()
                           - self.score(m, b.anchors, b.labels, progress=progress).mean())
            losses.append(wasserstein + self.gp_weight * self._penalty(m, b.features, b.anchors, b.labels, progress))
        loss = sum(losses) * (1.0 / len(losses))
        self.optimizer.zero_grad(set_to_none=True)
        (loss * weight).backward()
        self.optimizer.step()
        return float(loss.detach())

    def generator_terms(self, modality: str, batch: AlignmentBatch, *, progress: float,
                        samples_seen: int) -> dict:
        """``{"adversarial": -weight * mean C(features)}`` for one modality's live batch."""
        return {"adversarial": -self.weight * self.score(modality, batch.features, batch.labels,
                                                        progress=progress).mean()}

    def generator_optimizers(self) -> list:
        """None: the critics are updated in their own stage only."""
        return []
