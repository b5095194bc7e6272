"""SCRATCH: a scalable discrete matrix factorisation hashing method (Li et al., ACM MM 2018).

Supervised.  Items are rows: ``X`` (n, m) and ``Y`` (n, m) the image and text
RBF kernel features (each against ``n_anchors`` anchors drawn from the fit
items, bandwidth ``2 sigma^2`` = twice the mean squared distance to the
anchors, centred; or the centred raw features with ``n_anchors=None``), ``L``
(n, c) the multi-hot labels.  SCRATCH factorises both modalities and the
labels into one latent matrix ``V`` (n, K), learns linear hash functions
``Wx``, ``Wy`` into it, and codes ``B`` (n, K) in {-1, +1} that a rotation
``R`` (orthogonal K x K) of ``V`` must match::

    min  lx |X - V Ux|^2 + (1 - lx) |Y - V Uy|^2 + alpha |L - V G|^2 + |B - V R|^2
         + mu (|V - X Wx|^2 + |V - Y Wy|^2)
         + gamma (|Ux|^2 + |Uy|^2 + |G|^2 + |Wx|^2 + |Wy|^2 + |V|^2)

(Frobenius norms squared; the authors' code states the same objective with
items as columns.)  One round, in their order, sets each block to its exact
minimiser given the others, so the objective never increases::

    B  = sign(V R)                                         (discrete, 0 -> +1)
    Ux = (lx V^T V + gamma I)^-1 lx V^T X,   Uy likewise,  G = (alpha V^T V + gamma I)^-1 alpha V^T L
    Wx = (mu X^T X + gamma I)^-1 mu X^T V,   Wy likewise
    V  = (lx X Ux^T + (1-lx) Y Uy^T + alpha L G^T + B R^T + mu (X Wx + Y Wy))
         (lx Ux Ux^T + (1-lx) Uy Uy^T + alpha G G^T + R R^T + (2 mu + gamma) I)^-1
    R  = S T^T  for  V^T B = S Sigma T^T                   (orthogonal Procrustes)

Hash functions: ``sign(phi(x) Wx R)`` (:class:`~hashx.models.KernelHash`,
kernel mean folded into the bias).  ``B`` are the learned codes of the fit
items (:meth:`SCRATCH.learned_codes`): the authors evaluate by ranking them
against the query's hash-function codes (``hashx bench --db-codes learned``).

Notes
-----
Initialisation as the authors' code: ``V ~ N(0, 1)``, ``R`` the orthogonal
factor of a Gaussian matrix, from ``run.seed``; the anchors are drawn from the
same generator.  The logged objective is divided by n and includes the gamma
terms, which the objective the authors' code prints leaves out although its
updates minimise them.  Per round the cost is O(n m K) (m = anchors): linear
in the training-set size.
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import torch

from ..models import squared_distances
from ._centered import CenteredRows
from ._linalg import procrustes_rotation, ridge_right, sign_pm
from ._shallow import ShallowMethod, fit_inputs
from .registry import register_method
from .scratch_settings import SCRATCHSettings

__all__ = ["SCRATCH"]

log = logging.getLogger(__name__)

_MODALITIES = ("image", "text")


@register_method("scratch")
class SCRATCH(ShallowMethod):
    """SCRATCH.  Built by :meth:`SCRATCHSettings.build`.

    State (:attr:`factors`): ``v`` (n, K) and ``b`` (n, K), per item;
    ``rotation`` (K, K); ``wx``, ``wy`` (m, K); ``ux``, ``uy``, ``g``;
    ``anchors_image``, ``anchors_text`` (m,) int64, the fit positions of the
    anchors (the kernel widths follow from them and the data).
    """

    settings_class = SCRATCHSettings

    def model_spec(self, data) -> dict:
        if self.settings.n_anchors is None:
            return super().model_spec(data)
        m = self.n_anchors(data.n)
        return {modality: {"name": f"{modality}_kernel_hash",
                           "kwargs": {"in_dim": int(dim), "nbits": self.run.nbits, "n_anchors": m}}
                for modality, dim in (("image", self.dims.image_dim), ("text", self.dims.text_dim))}

    def n_anchors(self, n_fit: int) -> int:
        """``settings.n_anchors`` capped at the number of fit items."""
        m = self.settings.n_anchors
        if m > n_fit:
            log.warning("scratch: n_anchors=%d exceeds the %d fit items; using %d anchors.", m, n_fit, n_fit)
        return min(m, n_fit)

    def prepare(self, data) -> dict:
        image, text, labels = fit_inputs(data, caller="scratch")
        return {"raw": (image, text), "labels": labels, "n": data.n, "x": None, "chol": None}

    def initialize(self, prepared, rng) -> dict:
        k, n = self.run.nbits, prepared["n"]
        state = {"v": rng.standard_normal((n, k))}
        state["rotation"] = sla.svd(rng.standard_normal((k, k)))[0]
        if self.settings.n_anchors is not None:
            m = self.n_anchors(n)
            for modality in _MODALITIES:
                state[f"anchors_{modality}"] = np.sort(rng.choice(n, size=m, replace=False))
        return state

    def features(self, prepared) -> list:
        """The two centred feature matrices (kernel features once the anchors are drawn); computed once per
        process with their kernel widths, Gram matrices, squared norms and the Cholesky factors of
        ``mu X^T X + gamma I``."""
        if prepared["x"] is None:
            s = self.settings
            x, prepared["width"] = [], {}
            for modality, raw in zip(_MODALITIES, prepared["raw"]):
                if s.n_anchors is not None:
                    sq = squared_distances(raw, _rows(raw, self.array(f"anchors_{modality}")))
                    width = prepared["width"][modality] = 2.0 * float(sq.mean())
                    raw = np.exp(sq / -width) if width > 0 else np.ones_like(sq)
                x.append(CenteredRows(raw))
            prepared["x"] = x
            prepared["gram"] = [xt.gram() for xt in x]
            prepared["sq_norm"] = [xt.sq_norm() for xt in x]
            prepared["chol"] = [sla.cho_factor(s.mu * g + s.gamma * np.eye(g.shape[0]), check_finite=False)
                                for g in prepared["gram"]]
        return prepared["x"]

    def latent_stats(self, prepared) -> tuple[list, np.ndarray]:
        """``[X^T V, Y^T V]`` and ``V^T V`` for the current ``V`` (cached until ``V`` changes)."""
        if prepared.get("stats_at") != self.iteration:
            v = self.array("v")
            prepared["stats"] = [xt.t_dot(v) for xt in self.features(prepared)], v.T @ v
            prepared["stats_at"] = self.iteration
        return prepared["stats"]

    def step(self, prepared) -> dict:
        s = self.settings
        x, chol, labels = self.features(prepared), prepared["chol"], prepared["labels"]
        weights = (s.lambda_x, 1.0 - s.lambda_x)
        v, rotation = self.array("v"), self.array("rotation")
        k = v.shape[1]
        b = sign_pm(v @ rotation)
        xtv, vtv = self.latent_stats(prepared)
        u = [ridge_right(w * xtv_t, w * vtv, s.gamma).T for w, xtv_t in zip(weights, xtv)]
        g = ridge_right(s.alpha * (labels.T @ v), s.alpha * vtv, s.gamma).T
        w_hash = [sla.cho_solve(c, s.mu * xtv_t, check_finite=False) for c, xtv_t in zip(chol, xtv)]
        # lx X Ux^T + mu X Wx = X (lx Ux^T + mu Wx): one product per modality
        rhs = (sum(xt.dot(wt * ut.T + s.mu * wh) for wt, xt, ut, wh in zip(weights, x, u, w_hash))
               + s.alpha * labels @ g.T + b @ rotation.T)
        lhs = (sum(wt * ut @ ut.T for wt, ut in zip(weights, u)) + s.alpha * g @ g.T + rotation @ rotation.T
               + (2 * s.mu + s.gamma) * np.eye(k))
        v = ridge_right(rhs, lhs, 0.0)
        rotation = procrustes_rotation(v, b)
        self.set_arrays(v=v, b=b, rotation=rotation, ux=u[0], uy=u[1], g=g, wx=w_hash[0], wy=w_hash[1])
        prepared["stats_at"] = None  # V changed
        xtv, vtv = self.latent_stats(prepared)
        prepared["stats_at"] = self.iteration + 1  # the next step starts from this V
        terms = self.objective_terms(prepared, xtv, vtv)
        n = prepared["n"]
        return {"objective": sum(terms.values()) / n, **{name: val / n for name, val in terms.items()}}

    def objective_terms(self, prepared, xtv, vtv) -> dict:
        """The objective's terms (sums) at the current state, from ``X^T V``, ``V^T V`` and the Grams
        (no (n, d) residual is formed)."""
        s = self.settings
        labels = prepared["labels"]
        f = {name: self.array(name) for name in ("v", "b", "rotation", "ux", "uy", "g", "wx", "wy")}
        v = f["v"]
        v_sq = float(np.trace(vtv))
        recon = sum(wt * (sq - 2 * np.sum(xtv_t * ut.T) + np.sum(vtv * (ut @ ut.T)))
                    for wt, sq, xtv_t, ut in zip((s.lambda_x, 1.0 - s.lambda_x), prepared["sq_norm"], xtv,
                                                 (f["ux"], f["uy"])))
        g = f["g"]
        label = s.alpha * (float(np.sum(labels * labels)) - 2 * np.sum((labels.T @ v) * g.T)
                           + np.sum(vtv * (g @ g.T)))
        quant = float(np.sum((f["b"] - v @ f["rotation"]) ** 2))
        proj = s.mu * sum(v_sq - 2 * np.sum(wt * xtv_t) + np.sum(wt * (gram @ wt))
                          for wt, xtv_t, gram in zip((f["wx"], f["wy"]), xtv, prepared["gram"]))
        reg = s.gamma * (sum(float(np.sum(f[name] ** 2)) for name in ("ux", "uy", "g", "wx", "wy")) + v_sq)
        return {"factorization": float(recon), "label": float(label), "quantization": quant,
                "projection": float(proj), "regularization": float(reg)}

    def export(self, prepared) -> None:
        x, rotation = self.features(prepared), self.array("rotation")
        for modality, xt, w in zip(_MODALITIES, x, ("wx", "wy")):
            weight, bias = xt.hash_params(self.array(w) @ rotation)
            net = self.nets[modality]
            if self.settings.n_anchors is None:
                net.set_projection(weight, bias)
                continue
            raw = prepared["raw"][_MODALITIES.index(modality)]
            width = prepared["width"][modality]
            net.features.set_anchors(_rows(raw, self.array(f"anchors_{modality}")), width if width > 0 else 1.0)
            net.hash.set_projection(weight, bias)

    def learned_codes(self):
        """B, the fit items' learned codes (n_fit, K), +1/-1; None before the first round."""
        if "b" not in self.factors:
            return None
        return self.factors["b"].to(torch.float32)


def _rows(raw, idx) -> np.ndarray:
    """Rows ``idx`` of a dense or sparse matrix, as a dense float64 array."""
    rows = raw[np.asarray(idx, dtype=np.int64)]
    return rows.toarray().astype(np.float64) if sp.issparse(rows) else np.asarray(rows, dtype=np.float64)
