"""SCM-seq: Semantic Correlation Maximization, sequential variant (Zhang and Li, AAAI 2014).

Supervised.  With centred image features ``X`` (n, dx), text vectors ``Y``
(n, dy) and labels turned into unit-norm rows ``L`` (n, c) (binarised, each
row divided by its norm; an unlabelled row stays zero), the semantic
similarity is the cosine similarity stretched to [-1, 1],
``S = 2 L L^T - 1 1^T`` (n, n).  SCM wants the codes' inner products to
match ``K S``::

    min |K S - sign(X Wx) sign(Y Wy)^T|_F^2

and SCM-seq learns the K bits one after another.  Bit t solves the
relaxed problem on the residual similarity ``S_t`` (``S_1 = K S``)::

    max  wx^T C_t wy   s.t.  wx^T (X^T X + rx I) wx = wy^T (Y^T Y + ry I) wy = 1,
    C_t = X^T S_t Y

(a generalised eigenproblem), then subtracts what the bit explains:
``S_{t+1} = S_t - sign(X wx) sign(Y wy)^T``.

Without the n x n matrix
------------------------
``C_1 = 2K (X^T L)(Y^T L)^T - K (X^T 1)(Y^T 1)^T`` and each residual update
subtracts the rank-one ``(X^T bx)(Y^T by)^T``, so ``C_t = A_t B_t^T`` with
``c + 1 + t`` columns.  With Cholesky factors ``X^T X + rx I = Lx Lx^T`` (and
``Ly``), bit t's pair is the top singular pair (u, v) of
``Lx^-1 C_t Ly^-T = (Lx^-1 A_t)(Ly^-1 B_t)^T``, found from two thin QR
factorisations and a small SVD (:func:`~hashx.methods._linalg.top_singular_pair`),
and ``wx = Lx^-T u``, ``wy = Ly^-T v``.  Cost: O(n (dx^2 + dy^2)) for the Gram
matrices, then O(n (dx + dy) + (dx + dy) (c + K)^2) per bit: linear in n,
and the similarity is never formed.

Hash functions: ``sign((x - mean_x) Wx)`` and ``sign((y - mean_y) Wy)``.  A
closed form: one step, the run converges after its first epoch.  The logged
``objective`` is ``|K S - Bx By^T|_F^2 / n^2`` of the fit items' codes, also
computed without S.

Notes
-----
Not done: the authors' code stops the sequence when a bit's eigenvalue
exceeds the previous one and fills the remaining bits with plain CCA
directions; the paper has no such rule, and this implementation learns every
bit sequentially.  The ridge is relative to the mean variance.  SCM-seq has
no random component, so the run's seed does not change its codes.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla

from ._centered import CenteredRows
from ._linalg import regularized_cholesky, sign_pm, top_singular_pair
from ._shallow import ShallowMethod, fit_inputs
from .registry import register_method
from .scm_seq_settings import SCMSeqSettings

__all__ = ["SCMSeq", "normalized_labels", "scm_sequential", "similarity_error"]


def normalized_labels(labels: np.ndarray) -> np.ndarray:
    """Labels binarised (> 0) with each row scaled to unit norm; all-zero rows stay zero. (n, c) float64."""
    lab = (np.asarray(labels) > 0).astype(np.float64)
    norms = np.linalg.norm(lab, axis=1, keepdims=True)
    return lab / np.where(norms > 0, norms, 1.0)


def scm_sequential(x: CenteredRows, y: CenteredRows, labels: np.ndarray, nbits: int, *, reg: float):
    """SCM-seq's projections, bit by bit, from the factored similarity.

    Parameters
    ----------
    x, y : CenteredRows
        Centred image and text matrices of the same n items.
    labels : ndarray of shape (n, c)
        Unit-norm label rows (:func:`normalized_labels`).
    nbits : int
    reg : float
        Relative ridge (:func:`~hashx.methods._linalg.regularized_cholesky`).

    Returns
    -------
    wx : ndarray of shape (dx, nbits)
    wy : ndarray of shape (dy, nbits)
    sigma : ndarray of shape (nbits,)
        Each bit's maximised ``wx^T C_t wy``.
    """
    lx, ly = regularized_cholesky(x.gram(), reg), regularized_cholesky(y.gram(), reg)
    ones = np.ones((x.n, 1))
    k = float(nbits)
    a = np.hstack([np.sqrt(2 * k) * x.t_dot(labels), np.sqrt(k) * x.t_dot(ones)])
    b = np.hstack([np.sqrt(2 * k) * y.t_dot(labels), -np.sqrt(k) * y.t_dot(ones)])
    p = sla.solve_triangular(lx, a, lower=True, check_finite=False)
    q = sla.solve_triangular(ly, b, lower=True, check_finite=False)
    wx, wy, sigma = np.zeros((x.d, nbits)), np.zeros((y.d, nbits)), np.zeros(nbits)
    for t in range(nbits):
        u, v, sigma[t] = top_singular_pair(p, q)
        wx[:, t] = sla.solve_triangular(lx.T, u, lower=False, check_finite=False)
        wy[:, t] = sla.solve_triangular(ly.T, v, lower=False, check_finite=False)
        bx = sign_pm(x.dot(wx[:, t:t + 1]))
        by = sign_pm(y.dot(wy[:, t:t + 1]))
        p = np.hstack([p, -sla.solve_triangular(lx, x.t_dot(bx), lower=True, check_finite=False)])
        q = np.hstack([q, sla.solve_triangular(ly, y.t_dot(by), lower=True, check_finite=False)])
    return wx, wy, sigma


def similarity_error(bx: np.ndarray, by: np.ndarray, labels: np.ndarray) -> float:
    """``|K S - Bx By^T|_F^2 / n^2`` with ``S = 2 L L^T - 1 1^T``, without forming S.

    Parameters
    ----------
    bx, by : ndarray of shape (n, K), +1/-1
    labels : ndarray of shape (n, c), unit-norm rows
    """
    n, k = bx.shape
    ltl = labels.T @ labels
    lsum = labels.sum(axis=0)
    s_sq = 4 * np.sum(ltl * ltl) - 4 * float(lsum @ lsum) + n * n
    cross = 2 * np.sum((labels.T @ bx) * (labels.T @ by)) - float(bx.sum(axis=0) @ by.sum(axis=0))
    codes_sq = np.sum((bx.T @ bx) * (by.T @ by))
    return float((k * k * s_sq - 2 * k * cross + codes_sq) / (n * n))


@register_method("scm-seq")
class SCMSeq(ShallowMethod):
    """SCM-seq.  Built by :meth:`SCMSeqSettings.build`.

    State (:attr:`factors`): ``wx`` (dx, K), ``wy`` (dy, K), ``sigma`` (K,).
    """

    settings_class = SCMSeqSettings

    def prepare(self, data) -> dict:
        image, text, labels = fit_inputs(data, caller="scm-seq")
        return {"x": CenteredRows(image), "y": CenteredRows(text), "labels": normalized_labels(labels)}

    def step(self, prepared) -> dict:
        x, y, labels = prepared["x"], prepared["y"], prepared["labels"]
        wx, wy, sigma = scm_sequential(x, y, labels, self.run.nbits, reg=self.settings.reg)
        self.set_arrays(wx=wx, wy=wy, sigma=sigma)
        error = similarity_error(sign_pm(x.dot(wx)), sign_pm(y.dot(wy)), labels)
        return {"objective": error, "sigma_first": float(sigma[0]), "sigma_last": float(sigma[-1])}

    def export(self, prepared) -> None:
        self.nets["image"].set_projection(*prepared["x"].hash_params(self.array("wx")))
        self.nets["text"].set_projection(*prepared["y"].hash_params(self.array("wy")))
