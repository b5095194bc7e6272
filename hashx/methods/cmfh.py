"""CMFH: Collective Matrix Factorization Hashing (Ding, Guo and Zhou, CVPR 2014).

Unsupervised.  Items are rows: ``X1`` (n, d1) image features and ``X2``
(n, d2) text vectors, each centred and scaled to unit mean squared row norm
(see the notes).  CMFH factorises both into one latent matrix ``V`` (n, K)
and learns linear hash functions ``P1`` (d1, K), ``P2`` (d2, K) into it::

    min  lam |X1 - V U1|^2 + (1 - lam) |X2 - V U2|^2
         + mu (|V - X1 P1|^2 + |V - X2 P2|^2)
         + gamma (|U1|^2 + |U2|^2 + |P1|^2 + |P2|^2 + |V|^2)

(Frobenius norms squared).  Each round updates every block to its exact
minimiser given the others, so the objective never increases::

    U_t = (V^T V + gamma / lam_t I)^-1 V^T X_t           (lam_1 = lam, lam_2 = 1 - lam)
    V   = (lam X1 U1^T + (1-lam) X2 U2^T + mu (X1 P1 + X2 P2))
          (lam U1 U1^T + (1-lam) U2 U2^T + (2 mu + gamma) I)^-1
    P_t = (X_t^T X_t + gamma / mu I)^-1 X_t^T V

until a round lowers the objective by at most ``tol`` of its value, or after
``max_iter`` rounds.  Hash functions: ``sign((x_t - mean_t) * scale_t P_t)``
(:class:`~hashx.models.LinearHash`).

Computed in the feature space
-----------------------------
After its first update ``V = X1 C1 + X2 C2`` with
``C_t = (lam_t U_t^T + mu P_t) M^-1`` (M the K x K matrix above), so every
quantity a round needs (``X_s^T V``, ``V^T V``, the objective) follows from
the Gram blocks ``G_st = X_s^T X_t`` and the ``C_t``: the iterates are the
paper's, but a round costs O((d1 + d2)^2 K) instead of O(n (d1 + d2) K), and
only the Gram blocks (O(n (d1 + d2)^2), once) grow with the training set.
The first round uses the random ``V0`` (n, K) directly.

Notes
-----
Deviations from the authors' code: (1) their ``U`` update uses ``gamma I``
where the objective's minimiser has ``gamma / lam_t I``, and their stopping
test compares unsquared norms with an absolute 0.01; here every update is the
exact minimiser of the objective above and the test is relative.  (2) Each
modality is centred (as in the authors' code) and scaled to unit mean squared
row norm, so that ``lam`` balances the two reconstruction errors whatever the
feature units.  (3) Initialisation: ``V0 ~ N(0, 1)`` and ``P_t ~ N(0, 1 / d_t)``
(the code draws uniform [0, 1) values), from ``run.seed``.  The objective is
logged divided by n.

Sensitivity: the paper's ``gamma = 0.001`` is kept, but where the feature
dimension is comparable to the number of fit items the nearly unregularised
hash projections overfit: on the synthetic set (1,620 fit items, 512 + 500
dims) the 32-bit validation MAP (I->T / T->I) was 0.55 / 0.60 at
``gamma = 0.001``, 0.57 / 0.62 at 10 and 0.62 / 0.66 at 100.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla

from ._centered import CenteredRows
from ._linalg import ridge_right
from ._shallow import ShallowMethod, fit_inputs
from .cmfh_settings import CMFHSettings
from .registry import register_method

__all__ = ["CMFH"]

_MODALITIES = ("image", "text")


@register_method("cmfh")
class CMFH(ShallowMethod):
    """Collective Matrix Factorization Hashing.

    Built by :meth:`CMFHSettings.build`.  State (:attr:`factors`): ``p1``,
    ``p2`` (d_t, K), the hash projections; ``c1``, ``c2`` (d_t, K), the latent
    matrix as ``V = X1 c1 + X2 c2``; ``u1``, ``u2`` (K, d_t); before the first
    round, ``v0`` (n, K), the random start.
    """

    settings_class = CMFHSettings

    def prepare(self, data) -> dict:
        image, text, _ = fit_inputs(data, caller="cmfh")
        x = [CenteredRows(image, unit_norm=True), CenteredRows(text, unit_norm=True)]
        return {"x": x, "n": x[0].n, "gram": None, "chol": None}

    def grams(self, prepared):
        """``G[s][t] = X_s^T X_t`` and the Cholesky factors of ``G_tt + gamma / mu I`` (computed once)."""
        if prepared["gram"] is None:
            x = prepared["x"]
            g11, g22, g12 = x[0].gram(), x[1].gram(), x[0].cross(x[1])
            prepared["gram"] = [[g11, g12], [g12.T, g22]]
            eps = self.settings.gamma / self.settings.mu
            prepared["chol"] = [sla.cho_factor(g + eps * np.eye(g.shape[0]), check_finite=False) for g in (g11, g22)]
        return prepared["gram"], prepared["chol"]

    def initialize(self, prepared, rng) -> dict:
        k, x = self.run.nbits, prepared["x"]
        v0 = rng.standard_normal((prepared["n"], k))
        return {"v0": v0, "p1": rng.standard_normal((x[0].d, k)) / np.sqrt(x[0].d),
                "p2": rng.standard_normal((x[1].d, k)) / np.sqrt(x[1].d)}

    def latent_stats(self, prepared) -> tuple[list, np.ndarray]:
        """``[X1^T V, X2^T V]`` and ``V^T V`` for the current ``V`` (cached until ``V`` changes)."""
        key = self.iteration
        if prepared.get("stats_at") == key:
            return prepared["stats"]
        if "v0" in self.factors:
            v = self.array("v0")
            stats = [prepared["x"][t].t_dot(v) for t in range(2)], v.T @ v
        else:
            g, _ = self.grams(prepared)
            c = [self.array("c1"), self.array("c2")]
            xtv = [g[s][0] @ c[0] + g[s][1] @ c[1] for s in range(2)]
            stats = xtv, c[0].T @ xtv[0] + c[1].T @ xtv[1]
        prepared["stats"], prepared["stats_at"] = stats, key
        return stats

    def step(self, prepared) -> dict:
        s = self.settings
        weights = (s.lam, 1.0 - s.lam)
        g, chol = self.grams(prepared)
        xtv, vtv = self.latent_stats(prepared)
        # U_t = (V^T V + gamma / lam_t I)^-1 V^T X_t; a zero-weight modality keeps U_t = 0
        u = [ridge_right(xtv[t], vtv, s.gamma / w).T if w > 0 else np.zeros_like(xtv[t].T)
             for t, w in enumerate(weights)]
        k = vtv.shape[0]
        m = sum(w * ut @ ut.T for w, ut in zip(weights, u)) + (2 * s.mu + s.gamma) * np.eye(k)
        p = [self.array("p1"), self.array("p2")]
        c = [ridge_right(w * ut.T + s.mu * pt, m, 0.0) for w, ut, pt in zip(weights, u, p)]
        self.factors.pop("v0", None)
        self.set_arrays(c1=c[0], c2=c[1], u1=u[0], u2=u[1])
        prepared["stats_at"] = None  # V changed
        xtv, vtv = self.latent_stats(prepared)
        prepared["stats_at"] = self.iteration + 1  # the next step starts from this V
        p = [sla.cho_solve(chol[t], xtv[t], check_finite=False) for t in range(2)]
        self.set_arrays(p1=p[0], p2=p[1])
        terms = self.objective_terms(g, xtv, vtv, u, p)
        n = prepared["n"]
        return {"objective": sum(terms.values()) / n, **{name: v / n for name, v in terms.items()}}

    def objective_terms(self, g, xtv, vtv, u, p) -> dict:
        """The objective's terms (sums, not divided by n) from the sufficient statistics.

        ``P_t`` solves ``(G_tt + eps I) P_t = X_t^T V`` (eps = gamma / mu), so
        ``P_t^T G_tt P_t = P_t^T (X_t^T V - eps P_t)`` needs no d x d product.
        """
        s = self.settings
        weights = (s.lam, 1.0 - s.lam)
        eps = s.gamma / s.mu
        v_sq = float(np.trace(vtv))
        recon = sum(w * (np.trace(g[t][t]) - 2 * np.sum(xtv[t] * u[t].T) + np.sum(vtv * (u[t] @ u[t].T)))
                    for t, w in enumerate(weights))
        proj = sum(v_sq - 2 * np.sum(p[t] * xtv[t]) + np.sum(p[t] * (xtv[t] - eps * p[t])) for t in range(2))
        reg = sum(np.sum(a * a) for a in (*u, *p)) + v_sq
        return {"reconstruction": float(recon), "projection": float(s.mu * proj), "regularization":
                float(s.gamma * reg)}

    def export(self, prepared) -> None:
        for t, modality in enumerate(_MODALITIES):
            self.nets[modality].set_projection(*prepared["x"][t].hash_params(self.array(f"p{t + 1}")))
