"""DSCMR's loss terms: label-space discrimination, common-space discrimination, modality invariance.

Zhen, Hu, Wang and Peng, "Deep Supervised Cross-Modal Retrieval", CVPR 2019.
With ``U`` (image) and ``V`` (text) the common representations of ``b``
paired items, ``P`` the shared linear classifier and ``Y`` the labels:

* label space:  ``J1 = mean_i ||P^T u_i - y_i||_2 + mean_i ||P^T v_i - y_i||_2``
* common space: ``J2 = L(U, U) + L(U, V) + L(V, V)``, with
  ``L(A, B) = mean_ij [log(1 + exp(G_ij)) - S_ij G_ij]``, ``G_ij = cos(a_i, b_j) / 2``
* invariance:   ``J3 = mean_i ||u_i - v_i||_2``

Every term is a mean (over items or pairs), as in the authors' code; the
paper writes ``J1`` and ``J3`` with Frobenius norms divided by ``n``, which
is not a mean (it shrinks like ``1 / sqrt(n)``).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .pairwise import label_similarity

__all__ = ["cosine_matrix", "LabelSpaceLoss", "CommonSpaceDiscriminationLoss", "ModalityInvarianceLoss"]


def cosine_matrix(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Cosine similarities of the rows: ``C_ij = a_i . b_j / (|a_i| |b_j|)``.

    Parameters
    ----------
    a : Tensor of shape (n, d)
    b : Tensor of shape (m, d)

    Returns
    -------
    Tensor of shape (n, m)
        A zero row (norm below 1e-12) has cosine 0 with everything.
    """
    return F.normalize(a, dim=1, eps=1e-12) @ F.normalize(b, dim=1, eps=1e-12).T


class LabelSpaceLoss(nn.Module):
    """One modality's part of DSCMR's label-space loss: ``mean_i ||p_i - y_i||_2``.

    ``p_i = P^T u_i`` are the shared linear classifier's outputs (no
    activation) and ``y_i`` the multi-hot labels; each item contributes the
    Euclidean norm of its residual (the authors' code; not squared).  The
    method adds the image and the text parts.
    """

    def forward(self, predictions: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """
        Parameters
        ----------
        predictions : Tensor of shape (b, c)
        labels : Tensor of shape (b, c), float 0/1

        Returns
        -------
        Tensor of shape (), float32
        """
        return torch.linalg.vector_norm(predictions - labels, dim=1).mean()


class CommonSpaceDiscriminationLoss(nn.Module):
    """DSCMR's common-space discrimination loss over the inter- and both intra-modal pairs.

    ``J2 = L(U, U) + L(U, V) + L(V, V)`` with, for each block,
    ``G_ij = 0.5 * cos(a_i, b_j)`` and ``S_ij = 1`` when items ``i`` and
    ``j`` share a label::

        L(A, B) = mean_ij [ softplus(G_ij) - S_ij * G_ij ]

    the negative log-likelihood of ``S`` under ``p(S_ij = 1) = sigmoid(G_ij)``.
    Each block is a mean over its ``b x b`` pairs, the pairs of an item with
    itself included (as the authors' code).  ``S`` is binary, as the paper
    defines it (the code uses the label inner products ``Y Y^T``, which is the
    same for the single-label sets it was run on).
    """

    def forward(self, image: torch.Tensor, text: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """
        Parameters
        ----------
        image, text : Tensor of shape (b, d)
            Common representations (or codes) of the same ``b`` items.
        labels : Tensor of shape (b, c), float 0/1

        Returns
        -------
        Tensor of shape (), float32
        """
        similarity = label_similarity(labels, labels)
        total = image.new_zeros(())
        for a, b in ((image, image), (image, text), (text, text)):
            gamma = 0.5 * cosine_matrix(a, b)
            total = total + (F.softplus(gamma) - similarity * gamma).mean()
        return total


class ModalityInvarianceLoss(nn.Module):
    """DSCMR's modality-invariance loss: ``mean_i ||u_i - v_i||_2`` over the paired items (not squared)."""

    def forward(self, image: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        """
        Parameters
        ----------
        image, text : Tensor of shape (b, d)
            Common representations of the same ``b`` items, row ``i`` paired with row ``i``.

        Returns
        -------
        Tensor of shape (), float32
        """
        return torch.linalg.vector_norm(image - text, dim=1).mean()
