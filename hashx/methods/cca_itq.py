"""CCA-ITQ: canonical correlation analysis, then iterative quantisation (Gong et al., TPAMI 2013).

Unsupervised.  With the fit items' centred image features ``X`` (n, dx) and
text vectors ``Y`` (n, dy):

1. **CCA** to K dimensions (:func:`hashx.methods._linalg.cca`): ``Wx`` (dx, K)
   and ``Wy`` (dy, K) maximise ``tr(Wx^T X^T Y Wy)`` subject to
   ``Wx^T (X^T X + rx I) Wx = Wy^T (Y^T Y + ry I) Wy = I`` (ridge ``r`` relative
   to the mean variance, ``reg``; see :class:`CCAITQSettings` for why its
   default is 1 rather than Gong et al.'s 1e-4).  Each canonical pair k is scaled by its
   eigenvalue ``rho_k^2`` (the eigenvalue of ``Cxx^-1 Cxy Cyy^-1 Cyx``), as
   Gong et al. scale the CCA embedding, so that the rotation below weighs the
   well-correlated directions more.
2. **ITQ** on the projected items of both modalities stacked,
   ``V = [X Wx; Y Wy]`` (2n, K): starting from a random orthogonal ``R``
   (K, K) drawn from ``run.seed``, each iteration sets ``B = sign(V R)`` and
   then ``R`` to the orthogonal Procrustes solution of ``min |B - V R|_F``
   (``V^T B = S Sigma T^T``, ``R = S T^T``).  Both steps lower the
   quantisation loss ``|B - V R|_F^2`` (logged as its mean over the 2n K
   entries).  One rotation for both modalities keeps their bits aligned.

Hash functions: ``sign((x - mean_x) Wx R)`` and ``sign((y - mean_y) Wy R)``
(:class:`~hashx.models.LinearHash`).

More bits than canonical pairs
------------------------------
At most ``r = min(dx, dy)`` canonical pairs exist (e.g. 16 for the 16-d
digits-quadrants features).  For K > r the pairs r..K-1 are zero columns:
the embedding is the r canonical dimensions padded with zeros to K, and
the K x K rotation spreads them over all K bits, so every bit is a learnt
hyperplane in the r-dimensional canonical space.  The bits beyond r are then
necessarily correlated with the first r (there are only r independent
directions), which is the best a linear K-bit code of r-dimensional data
can do.

Costs: the Gram matrices, O(n (dx + dy)^2) once (sparse text: O(nnz * dy)
for its own), a Cholesky of each and a (min(dx, dy))-sized eigenproblem,
then O(n K^2) per ITQ iteration: linear in the training-set size.
"""

from __future__ import annotations

import numpy as np

from ._centered import CenteredRows
from ._linalg import cca, procrustes_rotation, sign_pm
from ._shallow import ShallowMethod, fit_inputs
from .cca_itq_settings import CCAITQSettings
from .registry import register_method

__all__ = ["CCAITQ"]


@register_method("cca-itq")
class CCAITQ(ShallowMethod):
    """CCA-ITQ (Gong, Lazebnik, Gordo and Perronnin, TPAMI 2013), cross-modal.

    Built by :meth:`CCAITQSettings.build` as ``CCAITQ(settings, run=run, data=data, device=device)``.
    State (:attr:`factors`): ``wx`` (dx, K) and ``wy`` (dy, K), the scaled
    canonical projections; ``rho`` (K,), the canonical correlations;
    ``rotation`` (K, K).
    """

    settings_class = CCAITQSettings

    def prepare(self, data) -> dict:
        image, text, _ = fit_inputs(data, caller="cca-itq")
        return {"x": CenteredRows(image), "y": CenteredRows(text), "v": None}

    def initialize(self, prepared, rng) -> dict:
        x, y = prepared["x"], prepared["y"]
        k = self.run.nbits
        wx, wy, rho = cca(x.gram(), y.gram(), x.cross(y), k, reg=self.settings.reg)
        q, r = np.linalg.qr(rng.standard_normal((k, k)))
        return {"wx": wx * rho ** 2, "wy": wy * rho ** 2, "rho": rho, "rotation": q * np.sign(np.diag(r))}

    def embedding(self, prepared) -> np.ndarray:
        """``V = [X Wx; Y Wy]``, shape (2n, K): the projected fit items of both modalities."""
        if prepared["v"] is None:
            prepared["v"] = np.vstack([prepared["x"].dot(self.array("wx")), prepared["y"].dot(self.array("wy"))])
        return prepared["v"]

    def step(self, prepared) -> dict:
        v = self.embedding(prepared)
        b = sign_pm(v @ self.array("rotation"))
        rotation = procrustes_rotation(v, b)
        self.set_arrays(rotation=rotation)
        return {"objective": float(np.mean((b - v @ rotation) ** 2))}

    def export(self, prepared) -> None:
        rotation = self.array("rotation")
        for modality, rows, w in (("image", prepared["x"], "wx"), ("text", prepared["y"], "wy")):
            self.nets[modality].set_projection(*rows.hash_params(self.array(w) @ rotation))
