"""CenteredRows: a data matrix, centred (and scaled), that the shallow methods multiply without copying.

The shallow methods need products of the centred training matrix
``Xc = scale * (X - 1 mean^T)`` with thin matrices and its Gram matrices.
Neither ``Xc`` nor a float64 copy of ``X`` is ever built: a dense ``X`` is
read in chunks of rows (each converted to float64 and centred), and a
scipy-sparse ``X`` (bag-of-words text) stays sparse, the centring entering
through a rank-one correction (``Xc^T M = X^T M - mean (1^T M)``), so each
product costs O(nnz) instead of O(n d).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.linalg import blas

from ..exceptions import HashxValueError

__all__ = ["CenteredRows"]

_CHUNK = 2048
#: A dense matrix whose centred float64 copy fits in this many bytes is copied once (fast BLAS
#: products); a larger one is read in float64 chunks of rows at every product.
COPY_LIMIT_BYTES = 1 << 30


class CenteredRows:
    """``Xc = scale * (X - 1 mean^T)`` for a dense or scipy-sparse ``X``.

    A sparse ``X`` is never densified nor centred explicitly.  A dense ``X``
    is copied once, centred and scaled, in float64 if that copy takes at most
    :data:`COPY_LIMIT_BYTES`, and otherwise read in float64 chunks of rows at
    every product (bounded memory, slower).

    Parameters
    ----------
    x : ndarray or scipy sparse matrix of shape (n, d)
        Float or integer values; kept as given (a dense float32 matrix is
        read in float64 chunks of rows).
    unit_norm : bool, default=False
        Scale so that the mean squared row norm of ``Xc`` is 1
        (``scale = sqrt(n / |X - 1 mean^T|_F^2)``); otherwise ``scale = 1``.

    Attributes
    ----------
    n, d : int
    mean : ndarray of shape (d,), float64
    scale : float
    sparse : bool
    """

    def __init__(self, x, *, unit_norm: bool = False):
        self.sparse = sp.issparse(x)
        self.x = x.tocsr().astype(np.float64) if self.sparse else x
        self.n, self.d = (int(v) for v in x.shape)
        if self.sparse:
            self.mean = np.asarray(self.x.sum(axis=0)).ravel() / self.n
        else:
            total = np.zeros(self.d)
            for chunk in self._raw_chunks():
                total += chunk.sum(axis=0)
            self.mean = total / self.n
        if not np.isfinite(self.mean).all():  # any NaN or Inf reaches its column's mean
            raise HashxValueError("The training data of a shallow method hold NaN or Inf values.")
        self.scale = 1.0
        self._copy = None
        if unit_norm:
            sq = self.sq_norm()
            self.scale = float(np.sqrt(self.n / sq)) if sq > 0 else 1.0
        if not self.sparse and self.n * self.d * 8 <= COPY_LIMIT_BYTES:
            self._copy = self._centred(0, self.n)

    # -- row access ----------------------------------------------------------
    def _raw_chunks(self):
        for start in range(0, self.n, _CHUNK):
            yield np.asarray(self.x[start:start + _CHUNK], dtype=np.float64)

    def _centred(self, start: int, stop: int) -> np.ndarray:
        rows = np.array(self.x[start:stop], dtype=np.float64)
        rows -= self.mean
        if self.scale != 1.0:
            rows *= self.scale
        return rows

    def _chunks(self):
        """(start, centred and scaled float64 rows) of a dense ``X``: its copy, or chunks of rows."""
        if self._copy is not None:
            yield 0, self._copy
            return
        for start in range(0, self.n, _CHUNK):
            yield start, self._centred(start, start + _CHUNK)

    # -- products --------------------------------------------------------------
    def sq_norm(self) -> float:
        """``|Xc|_F^2``."""
        if self.sparse:
            raw = float(self.x.multiply(self.x).sum())
            return self.scale ** 2 * max(raw - self.n * float(self.mean @ self.mean), 0.0)
        return float(sum(np.einsum("ij,ij->", rows, rows) for _, rows in self._chunks()))

    def gram(self) -> np.ndarray:
        """``Xc^T Xc``, shape (d, d), float64, symmetric."""
        if self.sparse:
            g = (self.x.T @ self.x).toarray() - self.n * np.outer(self.mean, self.mean)
            g *= self.scale ** 2
        else:
            g = np.zeros((self.d, self.d), order="F")
            for _, rows in self._chunks():
                # rows.T is Fortran-ordered: syrk adds rows^T rows to the upper triangle, the lower stays 0
                g = blas.dsyrk(1.0, rows.T, beta=1.0, c=g, trans=0, lower=0, overwrite_c=1)
            g = g + g.T
            g[np.diag_indices(self.d)] *= 0.5
        return np.ascontiguousarray(g)

    def cross(self, other: "CenteredRows") -> np.ndarray:
        """``Xc^T Yc`` for another matrix of the same items, shape (d, other.d), float64.

        A dense side is centred chunk by chunk; its columns then sum to zero,
        so the other side's centring drops out and a sparse side is used raw.
        """
        if self.sparse and other.sparse:
            raw = np.asarray((self.x.T @ other.x).todense())
            return (raw - self.n * np.outer(self.mean, other.mean)) * (self.scale * other.scale)
        if self.sparse:
            return other.cross(self).T
        out = np.zeros((self.d, other.d))
        if other.sparse:
            for start, rows in self._chunks():
                out += np.asarray(other.x[start:start + rows.shape[0]].T @ rows).T
            return out * other.scale
        for (_, rows), (_, others) in zip(self._chunks(), other._chunks()):
            out += rows.T @ others
        return out

    def t_dot(self, m: np.ndarray) -> np.ndarray:
        """``Xc^T m`` for ``m`` of shape (n, k): shape (d, k), float64."""
        m = np.asarray(m, dtype=np.float64)
        if self.sparse:
            out = np.asarray(self.x.T @ m) - np.outer(self.mean, m.sum(axis=0))
            return out * self.scale
        out = np.zeros((self.d, m.shape[1]))
        for start, rows in self._chunks():
            out += rows.T @ m[start:start + rows.shape[0]]
        return out

    def dot(self, w: np.ndarray) -> np.ndarray:
        """``Xc w`` for ``w`` of shape (d, k): shape (n, k), float64."""
        w = np.asarray(w, dtype=np.float64)
        if self.sparse:
            return (np.asarray(self.x @ w) - self.mean @ w) * self.scale
        out = np.empty((self.n, w.shape[1]))
        for start, rows in self._chunks():
            out[start:start + rows.shape[0]] = rows @ w
        return out

    def hash_params(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weight and bias of ``x -> Xc-row(x) @ w`` on raw inputs: ``(scale * w, -scale * mean @ w)``."""
        w = np.asarray(w, dtype=np.float64)
        return self.scale * w, -self.scale * (self.mean @ w)
