"""KernelHash: RBF features against stored anchors, then a linear hash function (SCRATCH's hash functions).

``rbf_features`` computes the same features in numpy for a whole training
matrix, dense or scipy-sparse (a sparse text matrix is never densified); the
module computes them in torch for the encoder.  Both use the expansion
``|x - a|^2 = |x|^2 - 2 x.a + |a|^2`` (clipped at 0), in float64.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn

from ..exceptions import HashxValueError
from ._checks import check_net_args
from .linear_hash import LinearHash, ProjectionOutput
from .registry import register_model

__all__ = ["RBFFeatures", "KernelHash", "ImageKernelHash", "TextKernelHash", "rbf_features", "squared_distances"]


def squared_distances(x, anchors: np.ndarray, *, chunk_rows: int = 4096) -> np.ndarray:
    """``|x_i - a_j|^2`` for every row ``x_i`` and anchor ``a_j``, clipped at 0.

    Parameters
    ----------
    x : ndarray or scipy sparse matrix of shape (n, d)
        Sparse rows stay sparse (their dot products with the anchors cost
        O(nnz * m)); dense rows are converted to float64 a chunk at a time.
    anchors : ndarray of shape (m, d)
    chunk_rows : int

    Returns
    -------
    ndarray of shape (n, m), float64
    """
    anchors = np.asarray(anchors, dtype=np.float64)
    a_sq = np.einsum("ij,ij->i", anchors, anchors)
    n = x.shape[0]
    out = np.empty((n, anchors.shape[0]))
    for start in range(0, n, chunk_rows):
        rows = x[start:start + chunk_rows]
        if sp.issparse(rows):
            rows = rows.tocsr().astype(np.float64)
            x_sq = np.asarray(rows.multiply(rows).sum(axis=1)).ravel()
            dots = np.asarray(rows @ anchors.T)
        else:
            rows = np.asarray(rows, dtype=np.float64)
            x_sq = np.einsum("ij,ij->i", rows, rows)
            dots = rows @ anchors.T
        out[start:start + rows.shape[0]] = np.maximum(x_sq[:, None] - 2.0 * dots + a_sq[None, :], 0.0)
    return out


def rbf_features(x, anchors: np.ndarray, width: float) -> np.ndarray:
    """``exp(-|x_i - a_j|^2 / width)`` (:func:`squared_distances`), shape (n, m), float64; ``width = 2 sigma^2``."""
    return np.exp(-squared_distances(x, anchors) / width)


class RBFFeatures(nn.Module):
    """``x -> exp(-|x - a_j|^2 / width)``, j = 1..n_anchors; anchors and width are buffers.

    Parameters
    ----------
    in_dim : int
    n_anchors : int

    Attributes
    ----------
    anchors : buffer of shape (n_anchors, in_dim), float64
    width : buffer of shape (), float64
        ``2 sigma^2``.

    Notes
    -----
    A fresh module has standard-normal anchors (a private generator seeded
    1) and ``width = 2 * in_dim``, the mean squared distance between two
    standard-normal points; a method replaces both with :meth:`set_anchors`.
    """

    def __init__(self, *, in_dim: int, n_anchors: int):
        super().__init__()
        check_net_args(type(self).__name__, in_dim=in_dim, n_anchors=n_anchors)
        g = torch.Generator().manual_seed(1)
        self.register_buffer("anchors", torch.randn(n_anchors, in_dim, generator=g, dtype=torch.float64))
        self.register_buffer("width", torch.tensor(2.0 * in_dim, dtype=torch.float64))

    @torch.no_grad()
    def set_anchors(self, anchors: np.ndarray, width: float) -> "RBFFeatures":
        """Copy fitted anchors (n_anchors, in_dim) and the width ``2 sigma^2`` (> 0) in.

        Raises
        ------
        HashxValueError
            Wrong shape, non-finite anchors, or a width that is not a positive finite number.
        """
        anchors = np.asarray(anchors, dtype=np.float64)
        if anchors.shape != tuple(self.anchors.shape):
            raise HashxValueError(f"The 'anchors' parameter of RBFFeatures.set_anchors must have shape "
                                  f"{tuple(self.anchors.shape)}. Got {anchors.shape} instead.")
        if not np.isfinite(anchors).all():
            raise HashxValueError("The 'anchors' parameter of RBFFeatures.set_anchors holds NaN or Inf values.")
        if not (np.isfinite(width) and width > 0):
            raise HashxValueError(f"The 'width' parameter of RBFFeatures.set_anchors must be a finite float > 0. "
                                  f"Got {width!r} instead.")
        self.anchors.copy_(torch.from_numpy(anchors))
        self.width.fill_(float(width))
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: (b, in_dim) -> (b, n_anchors), float64."""
        x = x.to(torch.float64)
        sq = (x * x).sum(dim=1, keepdim=True) - 2.0 * (x @ self.anchors.T) + (self.anchors * self.anchors).sum(dim=1)
        return torch.exp(-sq.clamp_min(0.0) / self.width)


class KernelHash(nn.Module):
    """RBF features against ``n_anchors`` stored anchors, then :class:`LinearHash` on them.

    Parameters
    ----------
    in_dim : int
        Input width d.
    nbits : int
        Code length K.
    n_anchors : int, default=500
        Number of anchors m (SCRATCH: 500).

    Attributes
    ----------
    features : RBFFeatures
    hash : LinearHash
        On the m kernel features (their training mean is folded into its bias).
    """

    def __init__(self, *, in_dim: int, nbits: int, n_anchors: int = 500):
        super().__init__()
        self.features = RBFFeatures(in_dim=in_dim, n_anchors=n_anchors)
        self.hash = LinearHash(in_dim=n_anchors, nbits=nbits)

    def forward(self, x: torch.Tensor) -> ProjectionOutput:
        """``x``: tensor of shape (b, in_dim), any float dtype."""
        return self.hash(self.features(x))


@register_model("image_kernel_hash", role="image")
class ImageKernelHash(KernelHash):
    """:class:`KernelHash` on image feature vectors (SCRATCH)."""


@register_model("text_kernel_hash", role="text")
class TextKernelHash(KernelHash):
    """:class:`KernelHash` on text vectors (SCRATCH)."""
