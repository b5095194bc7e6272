"""Dense linear algebra shared by the shallow methods: regularised Cholesky, CCA, Procrustes, top singular pairs.

Everything is float64 numpy/scipy and deterministic: eigen- and singular
vectors get a sign convention (the entry of largest magnitude of the
right-hand vector is positive), so that inputs equal up to rounding (a sparse
and a dense copy of one matrix) give the same projections.  scipy's per-call
finiteness check (a full pass over every d x d operand) is skipped: the data
are checked once, when their mean is computed (:class:`CenteredRows`).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla

__all__ = ["regularized_cholesky", "cca", "procrustes_rotation", "top_singular_pair", "sign_pm", "ridge_right"]


def sign_pm(x: np.ndarray) -> np.ndarray:
    """``sign(x)`` as float64 +1/-1, with 0 -> +1 (the convention of :func:`hashx.binarize`)."""
    return np.where(x >= 0, 1.0, -1.0)


def regularized_cholesky(gram: np.ndarray, reg: float) -> np.ndarray:
    """Lower Cholesky factor of ``gram + reg * mean(diag(gram)) * I``.

    The regulariser is relative to the mean variance, so ``reg`` means the same
    at any feature scale; a zero matrix gets ``reg * I``.
    """
    d = gram.shape[0]
    scale = float(np.trace(gram)) / d if d else 0.0
    shift = reg * (scale if scale > 0 else 1.0)
    return sla.cholesky(gram + shift * np.eye(d), lower=True, check_finite=False)


def _orient(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flip the columns of both so that each column of ``v`` has its largest-magnitude entry positive."""
    idx = np.argmax(np.abs(v), axis=0)
    flip = np.where(v[idx, np.arange(v.shape[1])] < 0, -1.0, 1.0)
    return u * flip, v * flip


def cca(gxx: np.ndarray, gyy: np.ndarray, gxy: np.ndarray, k: int, *, reg: float):
    """Regularised CCA from (centred) Gram matrices: the top ``k`` canonical pairs.

    Maximises ``wx^T Gxy wy`` subject to ``wx^T (Gxx + rx I) wx = wy^T (Gyy + ry I) wy = 1``
    (``r = reg * mean diagonal``, :func:`regularized_cholesky`), pair after
    pair, each uncorrelated with the previous ones.  With Cholesky factors
    ``Lx``, ``Ly`` the pairs are the singular pairs of
    ``M = Lx^-1 Gxy Ly^-T`` mapped back by ``Lx^-T``, ``Ly^-T``.

    Parameters
    ----------
    gxx, gyy, gxy : ndarray of shape (dx, dx), (dy, dy), (dx, dy), float64
    k : int
        Pairs wanted.  At most ``r = min(dx, dy)`` exist; columns ``r..k-1``
        of the result are zero (and their correlations 0).
    reg : float

    Returns
    -------
    wx : ndarray of shape (dx, k)
    wy : ndarray of shape (dy, k)
    rho : ndarray of shape (k,)
        Canonical correlations (of the regularised problem), descending.
    """
    lx, ly = regularized_cholesky(gxx, reg), regularized_cholesky(gyy, reg)
    m = sla.solve_triangular(lx, gxy, lower=True, check_finite=False)
    m = sla.solve_triangular(ly, m.T, lower=True, check_finite=False).T  # Lx^-1 Gxy Ly^-T
    dx, dy = m.shape
    r = min(k, dx, dy)
    u, v, rho = np.zeros((dx, k)), np.zeros((dy, k)), np.zeros(k)
    if r:
        small_right = dy <= dx
        a = m if small_right else m.T
        vals, vecs = sla.eigh(a.T @ a, subset_by_index=[a.shape[1] - r, a.shape[1] - 1],
                               check_finite=False)
        vals, vecs = vals[::-1], vecs[:, ::-1]
        sigma = np.sqrt(np.maximum(vals, 0.0))
        keep = sigma > 1e-12 * max(sigma[0], 1e-300)
        left = np.zeros((a.shape[0], r))
        left[:, keep] = (a @ vecs[:, keep]) / sigma[keep]
        vecs = vecs * keep
        if small_right:
            uu, vv = left, vecs
        else:
            uu, vv = vecs, left
        uu, vv = _orient(uu, vv)
        u[:, :r], v[:, :r], rho[:r] = uu, vv, sigma * keep
    wx = sla.solve_triangular(lx.T, u, lower=False, check_finite=False)
    wy = sla.solve_triangular(ly.T, v, lower=False, check_finite=False)
    return wx, wy, rho


def procrustes_rotation(v: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The orthogonal R minimising ``|B - V R|_F``: ``R = S T^T`` for ``V^T B = S Sigma T^T``.

    Parameters
    ----------
    v : ndarray of shape (n, k)
    b : ndarray of shape (n, k)

    Returns
    -------
    ndarray of shape (k, k), orthogonal
    """
    s, _, t = sla.svd(v.T @ b, check_finite=False)
    return s @ t


def top_singular_pair(p: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Top singular triplet of the low-rank product ``P Q^T`` without forming it.

    With ``P = Qp Rp`` and ``Q = Qq Rq`` (thin QR), ``P Q^T = Qp (Rp Rq^T) Qq^T``,
    so the SVD of the small ``Rp Rq^T`` gives it.

    Parameters
    ----------
    p : ndarray of shape (a, r)
    q : ndarray of shape (b, r)

    Returns
    -------
    u : ndarray of shape (a,), unit norm
    v : ndarray of shape (b,), unit norm (largest-magnitude entry positive)
    sigma : float
    """
    qp, rp = sla.qr(p, mode="economic", check_finite=False)
    qq, rq = sla.qr(q, mode="economic", check_finite=False)
    su, s, svt = sla.svd(rp @ rq.T, check_finite=False)
    u, v = qp @ su[:, :1], qq @ svt[:1].T
    u, v = _orient(u, v)
    return u[:, 0], v[:, 0], float(s[0])


def ridge_right(b: np.ndarray, a: np.ndarray, reg: float) -> np.ndarray:
    """``B (A + reg I)^-1`` for symmetric positive semi-definite ``A`` (k, k) and ``B`` (m, k), ``reg > 0``."""
    k = a.shape[0]
    return sla.solve(a + reg * np.eye(k), b.T, assume_a="pos", check_finite=False).T
