"""Pairwise likelihood losses on inner products of codes or features (DCMH / SSAH)."""

from __future__ import annotations

import torch
from torch import nn

from .._registry import Registry
from torch.nn import functional as F

__all__ = ["label_similarity", "PairwiseLikelihoodLoss", "SquaredPairwiseLikelihoodLoss", "PAIRWISE_LOSSES"]


def label_similarity(labels_a: torch.Tensor, labels_b: torch.Tensor) -> torch.Tensor:
    """S_ij = 1 when items i and j share at least one label, else 0.

    Parameters
    ----------
    labels_a : Tensor of shape (n, c)
    labels_b : Tensor of shape (b, c)
        Multi-hot labels (any real dtype holding 0/1).

    Returns
    -------
    Tensor of shape (n, b), dtype of ``labels_a`` (float32 for float inputs)
    """
    a = labels_a.float()
    return ((a @ labels_b.float().T) > 0).to(a.dtype)


class PairwiseLikelihoodLoss(nn.Module):
    """Negative log-likelihood of the pairwise similarities (the paper's term).

    With ``Theta_ij = 0.5 * a_i . b_j``, ``p(S_ij = 1) = sigmoid(Theta_ij)``::

        loss = mean_ij [ softplus(Theta_ij) - S_ij * Theta_ij ]

    ``softplus`` is evaluated stably (``log(1 + e^x)`` never overflows).
    Normalisation: the *mean* over the ``n x b`` pairs (the paper and SSAH's
    code sum), so the scale of the term, and of its gradient per item, does not
    depend on the training-set or batch size.  At ``Theta = 0`` it is log 2.
    """

    name = "nll"

    def forward(self, targets: torch.Tensor, batch: torch.Tensor, similarity: torch.Tensor) -> torch.Tensor:
        """
        Parameters
        ----------
        targets : Tensor of shape (n, d)
            Rows ``a_i``: in SSAH the label network's outputs for every training item.
        batch : Tensor of shape (b, d)
            Rows ``b_j``: the outputs being trained.
        similarity : Tensor of shape (n, b)
            ``S`` from :func:`label_similarity`.

        Returns
        -------
        Tensor of shape (), float32
        """
        theta = 0.5 * (targets @ batch.T)
        return (F.softplus(theta) - similarity * theta).mean()


class SquaredPairwiseLikelihoodLoss(nn.Module):
    """SSAH official-code switch: each pair's log-likelihood term squared.

    SSAH's TensorFlow code minimises ``sum_ij (S'_ij Theta_ij - log(1 + e^Theta_ij))^2``
    with ``S' = 0.999 S``; the paper's objective is the unsquared sum.
    Squaring multiplies each pair's gradient by twice its own negative
    log-likelihood, so pairs that are already well fitted hardly count; the
    0.999 gives similar pairs a finite optimum.  hashx offers it as
    ``pairwise_loss="squared_nll"`` to reproduce the official code.  Mean over
    pairs, like :class:`PairwiseLikelihoodLoss`.
    """

    name = "squared_nll"

    def __init__(self, *, similarity_scale: float = 0.999):
        super().__init__()
        self.similarity_scale = similarity_scale

    def forward(self, targets: torch.Tensor, batch: torch.Tensor, similarity: torch.Tensor) -> torch.Tensor:
        """Same arguments as :meth:`PairwiseLikelihoodLoss.forward`."""
        theta = 0.5 * (targets @ batch.T)
        return ((self.similarity_scale * similarity * theta - F.softplus(theta)) ** 2).mean()


#: Pairwise loss families by name.
PAIRWISE_LOSSES = Registry("pairwise loss")
PAIRWISE_LOSSES.register("nll", PairwiseLikelihoodLoss)
PAIRWISE_LOSSES.register("squared_nll", SquaredPairwiseLikelihoodLoss)
