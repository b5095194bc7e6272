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
    #: The penalty differentiates the critic's gradient, which DistributedDataParallel's wrapper does
    #: not support: the critic step averages the ranks' gradients itself.
    data_parallel_wrapper = False
    #: A critic's score can move by a constant without changing its loss, its penalty or the
    #: networks' term, so some directions have a gradient of exactly 0 (the output bias, the bias of a
    #: unit active on every item).  Adam divides by sqrt(v) + eps: at PyTorch's 1e-8 the float
    #: round-off in those zeros (about 1e-9) became steps of a tenth of the learning rate, a random
    #: walk that two data-parallel workers and one process took differently; 1e-6 damps it 100-fold.
    adam_eps = 1e-6

    def __init__(self, *, gp_weight: float = 10.0, **kwargs):
        self.gp_weight = check_float(gp_weight, "gp_weight", caller="WGANGPAlignment")
        super().__init__(**kwargs)

    def _penalty(self, modality: str, features, anchors, labels, progress, part) -> torch.Tensor:
        e = self.random((features.shape[0], 1), like=features, uniform=True, part=part)
        x_hat = (e * anchors + (1.0 - e) * features).requires_grad_(True)
        score = self.score(modality, x_hat, labels, progress=progress)
        (grad,) = torch.autograd.grad(score.sum(), x_hat, create_graph=True)
        return ((grad.norm(dim=1) - 1.0) ** 2).mean()

    def discriminator_step(self, batches: dict, *, progress: float = 0.0, weight: float = 1.0, part=None) -> float:
        """One Adam step of the critics on stored features and anchors (see the class docstring).

        ``part = (start, stop, total)``: the batches are rows ``start:stop`` of
        a ``total``-item global batch (a data-parallel rank's part); the
        interpolation weights are drawn for the global batch, so that ranks
        together compute one process's penalty.
        """
        losses = []
        for m, b in batches.items():
            wasserstein = (self.score(m, b.features, b.labels, progress=progress).mean()
                           - self.score(m, b.anchors, b.labels, progress=progress).mean())
            penalty = self._penalty(m, b.features, b.anchors, b.labels, progress, part)
            losses.append(wasserstein + self.gp_weight * penalty)
        loss = sum(losses) * (1.0 / len(losses))
        self.optimizer.zero_grad(set_to_none=True)
        (loss * weight).backward()
        if self.dist is not None:  # data-parallel without the wrapper (data_parallel_wrapper)
            self.dist.average_gradients(self.nets.parameters())
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
