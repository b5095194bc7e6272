"""Contrastive loss between the two modalities of paired items: symmetric InfoNCE, optionally label-aware.

The loss compares every image of a batch with every text of the same batch
on L2-normalised representations; which image/text pairs count as positives
is a separate choice, in the :data:`POSITIVE_SETS` registry:

=========  ====================================================================
``pairs``  only the paired item: image ``i`` and text ``i`` (CLIP's InfoNCE;
           the labels are never read)
``labels`` the paired item and every item of the batch sharing at least one
           label with it (supervised contrastive learning, Khosla et al. 2020)
=========  ====================================================================
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .._registry import Registry
from .._validation import check_float
from ..exceptions import HashxValueError

__all__ = ["SymmetricInfoNCELoss", "pair_positives", "label_positives", "POSITIVE_SETS"]


def pair_positives(labels: torch.Tensor) -> torch.Tensor:
    """Only the paired item is a positive: the identity mask.

    Parameters
    ----------
    labels : Tensor of shape (b, c)
        Only its row count and device are used (the labels are not read).

    Returns
    -------
    Tensor of shape (b, b), dtype=bool
    """
    return torch.eye(labels.shape[0], dtype=torch.bool, device=labels.device)


def label_positives(labels: torch.Tensor) -> torch.Tensor:
    """The paired item and every item sharing at least one label with it.

    Parameters
    ----------
    labels : Tensor of shape (b, c), 0/1 (any dtype)

    Returns
    -------
    Tensor of shape (b, b), dtype=bool
        ``[i, j]`` is True when ``i == j`` or ``labels[i] . labels[j] > 0``
        (an item without labels has itself as its one positive).
    """
    y = labels.to(torch.float32)
    return ((y @ y.T) > 0) | pair_positives(labels)


#: Positive sets of the contrastive loss by name: functions ``labels (b, c) -> bool mask (b, b)``.
POSITIVE_SETS = Registry("contrastive positive set")
POSITIVE_SETS.register("pairs", pair_positives)
POSITIVE_SETS.register("labels", label_positives)


class SymmetricInfoNCELoss(nn.Module):
    """Image->text and text->image InfoNCE over a batch of paired items, averaged.

    With ``u_i = h_i / ||h_i||`` (images), ``v_j = g_j / ||g_j||`` (texts),
    logits ``s_ij = u_i . v_j / tau`` and a positive mask ``P`` (``P_ij``:
    text ``j`` is a positive of image ``i``; the diagonal always is)::

        L_i2t = mean_i  -1/|P_i.| sum_{j in P_i.} log( exp(s_ij) / sum_k exp(s_ik) )
        L_t2i = mean_j  -1/|P_.j| sum_{i in P_.j} log( exp(s_ij) / sum_k exp(s_kj) )
        L     = (L_i2t + L_t2i) / 2

    Each anchor's term is the mean negative log-likelihood of its positives
    (the "outside" form of supervised contrastive learning, Khosla et al.
    2020, which they found better than averaging inside the log); with only
    the diagonal as positives it is the InfoNCE of CLIP (Radford et al.
    2021), ``(CE(S, diag) + CE(S^T, diag)) / 2``.  Means over anchors, so the
    value is comparable across batch sizes (``log b`` at chance).

    Parameters
    ----------
    tau : float > 0, default=0.5
        Temperature: lower values sharpen the softmax over the batch.
    """

    def __init__(self, *, tau: float = 0.5):
        super().__init__()
        self.tau = check_float(tau, "tau", caller="SymmetricInfoNCELoss", strictly_positive=True)

    def forward(self, image: torch.Tensor, text: torch.Tensor, positives: torch.Tensor | None = None) -> torch.Tensor:
        """
        Parameters
        ----------
        image, text : Tensor of shape (b, d), float
            Row ``i`` of each comes from the same item (continuous codes).
        positives : Tensor of shape (b, b), dtype=bool, or None
            ``[i, j]``: text ``j`` is a positive of image ``i`` (and image ``i``
            of text ``j``); it must include the diagonal
            (:func:`pair_positives`, :func:`label_positives`).  None: the
            diagonal only.

        Returns
        -------
        Tensor of shape (), float
        """
        if image.dim() != 2 or image.shape != text.shape:
            raise HashxValueError(f"SymmetricInfoNCELoss needs image and text of the same shape (b, d). "
                                  f"Got {tuple(image.shape)} and {tuple(text.shape)}.")
        b = image.shape[0]
        if positives is None:
            positives = torch.eye(b, dtype=torch.bool, device=image.device)
        if positives.dtype != torch.bool or tuple(positives.shape) != (b, b):
            raise HashxValueError(f"The 'positives' parameter of SymmetricInfoNCELoss must be a bool tensor of "
                                  f"shape ({b}, {b}). Got {positives.dtype} of shape {tuple(positives.shape)}.")
        if not bool(torch.diagonal(positives).all()):
            raise HashxValueError("The 'positives' parameter of SymmetricInfoNCELoss must hold every item's own "
                                  "pair (a True diagonal).")
        logits = F.normalize(image, dim=1) @ F.normalize(text, dim=1).T / self.tau
        mask = positives.to(logits.dtype)
        image_to_text = -(mask * F.log_softmax(logits, dim=1)).sum(dim=1) / mask.sum(dim=1)
        text_to_image = -(mask * F.log_softmax(logits, dim=0)).sum(dim=0) / mask.sum(dim=0)
        return 0.5 * (image_to_text.mean() + text_to_image.mean())
