"""Adversarial losses and the gradient-reversal layer."""

from __future__ import annotations

import torch
from torch.nn import functional as F

__all__ = ["grad_reverse", "discriminator_loss", "generator_loss", "domain_loss"]


class _GradientReversal(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, lambda_):
        ctx.lambda_ = lambda_
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return -ctx.lambda_ * grad_output, None


def grad_reverse(x: torch.Tensor, lambda_: float) -> torch.Tensor:
    """Identity in the forward pass; multiplies the gradient by ``-lambda_`` in the backward pass.

    Parameters
    ----------
    x : Tensor
    lambda_ : float
        Reversal weight (>= 0), see :func:`hashx.alignment.grl_weight`.
    """
    return _GradientReversal.apply(x, float(lambda_))


def domain_loss(logits: torch.Tensor, from_label_net: bool) -> torch.Tensor:
    """Binary cross-entropy of discriminator logits against one target (mean over the batch).

    ``from_label_net=True`` targets 1 ("label feature"), False targets 0.
    """
    target = torch.ones_like(logits) if from_label_net else torch.zeros_like(logits)
    return F.binary_cross_entropy_with_logits(logits, target)


def discriminator_loss(modality_logits: torch.Tensor, label_logits: torch.Tensor) -> torch.Tensor:
    """A discriminator's loss: modality features -> 0, label features -> 1, averaged.

    SSAH's ``Loss_D`` is the mean of this over its two discriminators.
    """
    return 0.5 * (domain_loss(modality_logits, False) + domain_loss(label_logits, True))


def generator_loss(modality_logits: torch.Tensor) -> torch.Tensor:
    """The image/text network's adversarial loss: make the discriminator say "label" (1).

    The non-saturating GAN generator loss SSAH uses (``Loss_adver_I``).
    """
    return domain_loss(modality_logits, True)
