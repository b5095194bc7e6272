"""DSCMR: Deep Supervised Cross-Modal Retrieval (Zhen, Hu, Wang and Peng, CVPR 2019), hashed.

Networks (:class:`~hashx.models.CommonSpaceTower`, one per modality)::

    image: x --norm--> Linear(hidden_dim) + ReLU --+
                                                    +--> shared Linear(feature_dim) = u (image) / v (text)
    text:  t --norm--> Linear(hidden_dim) + ReLU --+        |--> shared classifier P:  P^T u  (label space)
                                                             |--> shared hash layer:   h = tanh(W u + b)

The last layer into the common space, the linear classifier ``P`` and the
hash layer are one module used by both towers while training (weight
sharing, DSCMR's device for modality invariance); each tower saved in a
checkpoint holds its copy of them and is rebuilt alone.

Objective of a batch of ``b`` paired items (labels ``Y``, ``S_ij = 1`` when
items ``i`` and ``j`` share a label; :mod:`hashx.losses.common_space`)::

    J1 = mean_i ||P^T u_i - y_i|| + mean_i ||P^T v_i - y_i||                       label space
    J2(A, B) = sum over (A,A), (A,B), (B,B) of mean_ij [log(1 + e^G_ij) - S_ij G_ij],
               G_ij = cos(a_i, b_j) / 2                                             common space
    J3 = mean_i ||u_i - v_i||                                                        modality invariance

    loss = J1 + alpha * J2(U, V) + beta * J3                  (DSCMR)
         + gamma * J2(H_image, H_text)                         (the codes, hashx)
         + eta * (mean (sign(H_image) - H_image)^2 + mean (sign(H_text) - H_text)^2) / 2

Deviations from the paper, and why
----------------------------------
* **Hashing.**  DSCMR is a real-valued method (retrieval by cosine in the
  common space).  hashx needs binary codes, so a tanh hash layer (shared, like
  the rest of the head) reads the common representation; it is trained by
  DSCMR's own common-space discrimination loss applied to the codes (the
  cosine of +-1 codes is ``1 - 2 Hamming / K``, so the term ranks by Hamming
  distance what ``J2`` ranks by cosine) and a quantisation term towards the
  codes' signs (DSCMR has no binary target).  The codes are ``sign(h)``.
* **Means.**  ``J1`` and ``J3`` are means of per-item Euclidean norms, as in
  the authors' code (the paper writes Frobenius norms divided by ``n``).
* ``S`` is binary (the paper); the code uses ``Y Y^T`` (equal for one label per item).
* **Inputs** are feature vectors (the paper: VGG-19 fc7 features of the
  images; the towers start there), normalised by
  :class:`~hashx.models.InputNorm`; raw images are refused with a clear error.
* **Optimiser**: Adam at 1e-3 with the run's cosine schedule and default
  betas (the code: 1e-4, betas (0.5, 0.999), 500 epochs); see
  :class:`~hashx.methods.DSCMRSettings`.

Reference: L. Zhen, P. Hu, X. Wang, D. Peng, "Deep Supervised Cross-Modal
Retrieval", CVPR 2019, pp. 10394-10403; code: github.com/penghu-cs/DSCMR.
"""

from __future__ import annotations

from ..losses import CommonSpaceDiscriminationLoss, LabelSpaceLoss, ModalityInvarianceLoss
from .common_space import CommonSpaceMethod
from .dscmr_settings import DSCMRSettings
from .registry import register_method

__all__ = ["DSCMR"]


@register_method("dscmr")
class DSCMR(CommonSpaceMethod):
    """Deep Supervised Cross-Modal Retrieval with a tanh hash layer (see the module docstring).

    Built by :meth:`DSCMRSettings.build` (the trainer does it) as
    ``DSCMR(settings, run=run, data=data, device=device)``.

    Parameters
    ----------
    settings : DSCMRSettings
    run : RunConfig
    data : FitData
        The fit items (feature vectors; their widths and values choose the towers).
    device : torch.device
    """

    settings_class = DSCMRSettings
    shared_parts = ("common", "hash", "classifier")
    hidden_layers = 1
    activation = "relu"
    common_activation = "none"

    def __init__(self, settings: DSCMRSettings, *, run, data, device):
        super().__init__(settings, run=run, data=data, device=device)
        self.label_space = LabelSpaceLoss()
        self.discrimination = CommonSpaceDiscriminationLoss()
        self.invariance = ModalityInvarianceLoss()

    def batch_terms(self, image, text, batch) -> dict:
        """``label_space`` (J1), ``common_space`` (alpha J2), ``invariance`` (beta J3),
        ``code_space`` (gamma J2 on the codes) and ``quantization`` (eta), see the module docstring.

        All are computed on the whole batch (``J2`` couples its items); DSCMR
        has no item or parameter terms."""
        s, labels = self.settings, batch.labels
        return {
            "label_space": self.label_space(image.label_logit, labels) + self.label_space(text.label_logit, labels),
            "common_space": s.alpha * self.discrimination(image.feature, text.feature, labels),
            "invariance": s.beta * self.invariance(image.feature, text.feature),
            "code_space": s.gamma * self.discrimination(image.code, text.code, labels),
            "quantization": s.eta * self.quantization(image, text),
        }
