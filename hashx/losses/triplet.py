"""Cross-modal triplet loss and the in-batch choice of its negatives (ACMR's inter-modal invariance).

A triplet is an anchor of one modality, a positive of the other modality
that shares a label with it, and a negative of the other modality that
shares none.  ACMR (Wang et al., ACM MM 2017) takes, within each batch of
paired items, the anchor's own pair as the positive, and as the negative the
other-modality item of the batch item that shares no label with the anchor
and is the most similar to it by a similarity chosen by name
(:data:`TRIPLET_NEGATIVES`):

``"input"``     cosine similarity of the anchor modality's *input* vectors
                (the authors' code: image features for image anchors, text
                vectors for text anchors); fixed through training.
``"hardest"``   closeness in the current common space: the negative
                squared distance between the anchor and the candidate
                (detached), the hardest negative of the batch.
"""

from __future__ import annotations

import torch
from torch import nn

from .._registry import Registry
from .._validation import check_float
from .common_space import cosine_matrix
from .pairwise import label_similarity

__all__ = ["squared_distance", "TripletLoss", "hardest_negatives", "TRIPLET_NEGATIVES"]


def squared_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean squared difference of matched rows: ``d_i = mean_k (a_ik - b_ik)^2``.

    Parameters
    ----------
    a, b : Tensor of shape (n, d)

    Returns
    -------
    Tensor of shape (n,)
        In [0, 4] for vectors in [-1, 1]^d; for +-1 codes ``4 * Hamming / d``.
    """
    return ((a - b) ** 2).mean(dim=1)


class TripletLoss(nn.Module):
    """``mean_i max(0, margin + d(a_i, p_i) - d(a_i, n_i))`` over the anchors that have a triplet.

    ``d`` is :func:`squared_distance` (the mean over dimensions, so the
    margin means the same for any width: for +-1 codes, a margin of 1 asks
    the negative to differ from the anchor in a quarter of the bits more than
    the positive does).

    Parameters
    ----------
    margin : float >= 0, default=1.0
    """

    def __init__(self, *, margin: float = 1.0):
        super().__init__()
        self.margin = check_float(margin, "margin", caller="TripletLoss")

    def forward(self, anchors: torch.Tensor, positives: torch.Tensor, negatives: torch.Tensor,
                valid: torch.Tensor | None = None) -> torch.Tensor:
        """
        Parameters
        ----------
        anchors, positives, negatives : Tensor of shape (b, d)
            Row ``i`` of each is one triplet.
        valid : Tensor of shape (b,), dtype=bool, optional
            Which rows are triplets (an anchor without a negative in its
            batch has none); None: all.

        Returns
        -------
        Tensor of shape (), float32
            The mean over the valid rows; 0 (with a gradient of 0) when there is none.
        """
        hinge = torch.relu(self.margin + squared_distance(anchors, positives) - squared_distance(anchors, negatives))
        if valid is None:
            return hinge.mean()
        weight = valid.to(hinge.dtype)
        return (hinge * weight).sum() / weight.sum().clamp_min(1.0)


def hardest_negatives(similarity: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For each anchor, the most similar batch item that shares no label with it.

    Parameters
    ----------
    similarity : Tensor of shape (b, b)
        ``similarity[i, k]``: how close candidate ``k`` is to anchor ``i`` (higher: closer).
    labels : Tensor of shape (b, c), float 0/1
        The batch items' labels (anchors and candidates are the same items).

    Returns
    -------
    index : Tensor of shape (b,), dtype=int64
        The chosen candidate of each anchor (the first of equally similar
        ones; 0 where there is none).
    valid : Tensor of shape (b,), dtype=bool
        Whether the anchor has a candidate sharing no label with it.
    """
    disjoint = label_similarity(labels, labels) == 0
    masked = similarity.detach().masked_fill(~disjoint, float("-inf"))
    valid = disjoint.any(dim=1)
    index = torch.where(valid, masked.argmax(dim=1), torch.zeros_like(valid, dtype=torch.int64))
    return index, valid


def _input_similarity(anchor_inputs, anchors, candidates):
    return cosine_matrix(anchor_inputs, anchor_inputs)


def _embedding_similarity(anchor_inputs, anchors, candidates):
    a, c = anchors.detach(), candidates.detach()
    squared = (a * a).sum(dim=1)[:, None] + (c * c).sum(dim=1)[None, :] - 2.0 * (a @ c.T)
    return -squared.clamp_min(0.0) / a.shape[1]


#: How negatives are ranked: name -> ``f(anchor_inputs, anchors, candidates) -> (b, b) similarity``.
TRIPLET_NEGATIVES = Registry("triplet negative choice")
TRIPLET_NEGATIVES.register("input", _input_similarity)
TRIPLET_NEGATIVES.register("hardest", _embedding_similarity)
