"""ACMR: Adversarial Cross-Modal Retrieval (Wang, Yang, Xu, Hanjalic and Shen, ACM MM 2017), hashed.

Networks: a feature projector per modality (:class:`~hashx.models.CommonSpaceTower`,
three tanh layers: ``hidden_dim``, ``hidden_dim``, ``feature_dim``) into the
common space; a label classifier and a tanh hash layer on the common
representation, shared by the two modalities; modality classifiers that try
to tell image from text common representations, trained against the
projectors through a gradient-reversal layer (hashx's shared
:class:`~hashx.alignment.GRLAlignment`).

Objective of a batch of ``b`` paired items (``u_i`` image, ``v_i`` text
common representations, ``h`` the codes; every term a mean)::

    L_imi(A, B) = mean_i max(0, margin + d(a_i, b_i) - d(a_i, b_n(i)))        image anchors
                + mean_i max(0, margin + d(b_i, a_i) - d(b_i, a_n'(i)))       text anchors
    d(x, y) = mean_k (x_k - y_k)^2
    L_imd = CE(classifier(U), Y) + CE(classifier(V), Y)                        softmax cross-entropy
    L_reg = sum over the projectors' weight matrices of ||W||_F
    L_adv = (BCE(D_image(R(U)), 0) + BCE(D_image(sg(V)), 1)) / 2                "image/adversarial"
          + (BCE(D_text(R(V)), 0)  + BCE(D_text(sg(U)), 1)) / 2                  "text/adversarial"
    R: gradient reversal (weight lambda), sg: stop-gradient

    loss = alpha L_imi(U, V) + beta L_imd + reg L_reg + delta L_adv               (ACMR)
         + gamma L_imi(H_image, H_text)                                          (the codes, hashx)
         + eta (mean (sign(H_image) - H_image)^2 + mean (sign(H_text) - H_text)^2) / 2

The classifiers descend ``L_adv`` while the reversal makes the projectors
ascend it (weight lambda on the DANN schedule, as the authors' code), all in
one step: the paper's minimax ``min L_emb - L_adv`` over the projectors,
``max`` over the classifier.

The mapping onto :class:`~hashx.alignment.GRLAlignment`: that component
tells a modality's *features* (label 0, behind the reversal layer) from
*anchors* (label 1, not reversed).  With the other modality's common
representations of the same items as (detached) anchors, each of its two
discriminators is a modality classifier, and each projector is reversed
through the one in which it is the features.  The paper has one classifier
``D`` that both projectors fool; one classifier cannot serve here because
the anchors reach it un-reversed (a live text anchor would train the text
projector to *help* it), so each classifier sees one modality reversed and
the other as a constant target, as UCAL does.  With ``delta = 1`` each
projector's reversed gradient is half the paper's (each term averages the
two cross-entropies).

Triplets (:mod:`hashx.losses.triplet`): within each batch of paired items,
an image anchor's positive is its own text (which shares its labels), and
its negative is the text of the batch item that shares no label with it and
whose *image features* are the most cosine-similar to the anchor's
(``negatives="input"``, the authors' code); text anchors likewise with text
vectors.  ``negatives="hardest"`` ranks candidates by their distance to the
anchor in the current common space instead.  An anchor without a candidate
sharing no label has no triplet.

Deviations from the paper, and why
----------------------------------
* **Hashing.**  ACMR is real-valued; a tanh hash layer on the common
  representation, shared by both modalities, is trained by the same triplet
  constraints on the codes (the mean squared difference of +-1 codes is
  ``4 Hamming / K``) and a quantisation term towards the codes' signs.
* **Means** everywhere, and ``d`` a mean over dimensions, so ``margin``
  means the same for any width; the paper sums over triplets and items.
  The triplet is a hinge on ``d(anchor, positive) - d(anchor, negative)``.
* **Two modality classifiers** (one per reversed modality; see above)
  instead of one, the registered ``discriminator`` network
  (``feature_dim`` -> 512 -> 256 -> 1).
* **Joint step with gradient reversal** instead of alternating ``k``
  projector steps with one classifier step.  The authors' code updates the
  projectors on the embedding loss alone (no adversarial gradient reaches
  them); hashx follows the paper.
* **Multi-label data**: the softmax cross-entropy spreads an item's target
  evenly over its labels (:class:`~hashx.losses.LabelSoftmaxLoss`); triplet
  negatives share no label with the anchor.
* **Inputs** are feature vectors normalised by :class:`~hashx.models.InputNorm`.

Reference: B. Wang, Y. Yang, X. Xu, A. Hanjalic, H. T. Shen, "Adversarial
Cross-Modal Retrieval", ACM Multimedia 2017, pp. 154-162; code:
github.com/cuishuhao/ACMR.
"""

from __future__ import annotations

from ..alignment import AlignmentBatch, create_alignment
from ..losses import LABEL_LOSSES, TRIPLET_NEGATIVES, TripletLoss, frobenius_penalty
from ..losses.triplet import hardest_negatives
from .acmr_settings import ACMRSettings
from .common_space import CommonSpaceMethod
from .registry import register_method

__all__ = ["ACMR"]


@register_method("acmr")
class ACMR(CommonSpaceMethod):
    """Adversarial Cross-Modal Retrieval with a tanh hash layer (see the module docstring).

    Built by :meth:`ACMRSettings.build` (the trainer does it) as
    ``ACMR(settings, run=run, data=data, device=device)``.

    Parameters
    ----------
    settings : ACMRSettings
    run : RunConfig
    data : FitData
        The fit items (feature vectors).
    device : torch.device
    """

    settings_class = ACMRSettings
    shared_parts = ("hash", "classifier")
    hidden_layers = 2
    activation = "tanh"
    common_activation = "tanh"

    def __init__(self, settings: ACMRSettings, *, run, data, device):
        super().__init__(settings, run=run, data=data, device=device)
        self.triplet = TripletLoss(margin=settings.margin)
        self.label_loss = LABEL_LOSSES[settings.label_loss]()
        self.negative_similarity = TRIPLET_NEGATIVES[settings.negatives]

    @property
    def alignment(self):
        """The modality classifiers (:class:`~hashx.alignment.GRLAlignment`), or
        :class:`~hashx.alignment.NoAlignment`."""
        return self.components["alignment"]

    def build_components(self) -> dict:
        s = self.settings
        return {"alignment": create_alignment(s.alignment, feature_dim=s.feature_dim, weight=s.delta,
                                              lr=s.lr_classifier, weight_decay=s.weight_decay, device=self.device,
                                              schedule=s.grl_schedule, ramp_samples=s.grl_ramp_samples)}

    def projector_layers(self) -> list:
        """The projectors' layers (private and common, both modalities): what ``L_reg`` covers."""
        return [self.image_net.body, self.image_net.common, self.text_net.body, self.text_net.common]

    def triplets(self, image, text, batch) -> dict:
        """Each anchor's negative: ``{"image": (index, valid), "text": (index, valid)}`` (see the module docstring).

        ``index[i]`` is the batch position whose other-modality item is anchor
        ``i``'s negative; ``valid[i]`` whether anchor ``i`` has one.
        """
        return {
            "image": hardest_negatives(self.negative_similarity(batch.image, image.feature, text.feature),
                                       batch.labels),
            "text": hardest_negatives(self.negative_similarity(batch.text, text.feature, image.feature),
                                      batch.labels),
        }

    def inter_modal(self, image_rows, text_rows, triplets):
        """``L_imi``: the image-anchored plus the text-anchored triplet loss on rows (b, d) of each modality."""
        (neg_i, valid_i), (neg_t, valid_t) = triplets["image"], triplets["text"]
        return (self.triplet(image_rows, text_rows, text_rows[neg_i], valid_i)
                + self.triplet(text_rows, image_rows, image_rows[neg_t], valid_t))

    def batch_terms(self, image, text, batch) -> dict:
        """``triplet`` (alpha), ``code_triplet`` (gamma), ``label`` (beta) and ``quantization`` (eta),
        see the module docstring: the terms computed on the whole batch (its triplets are mined in it)."""
        s, labels = self.settings, batch.labels
        triplets = self.triplets(image, text, batch)
        return {
            "triplet": s.alpha * self.inter_modal(image.feature, text.feature, triplets),
            "code_triplet": s.gamma * self.inter_modal(image.code, text.code, triplets),
            "label": s.beta * (self.label_loss(image.label_logit, labels) + self.label_loss(text.label_logit, labels)),
            "quantization": s.eta * self.quantization(image, text),
        }

    def item_terms(self, image, text, batch, *, progress: float, samples_seen: int) -> dict:
        """``image/adversarial`` and ``text/adversarial`` (delta): the modality classifiers, per item.

        Each modality's common representations (behind the reversal layer)
        against the other modality's of the same items (detached anchors);
        empty without the classifiers (``alignment="none"``).
        """
        u, v = image.feature, text.feature
        terms = {}
        for modality, features, anchors in (("image", u, v), ("text", v, u)):
            found = self.alignment.generator_terms(modality, AlignmentBatch(features, anchors.detach(), batch.labels),
                                                   progress=progress, samples_seen=samples_seen)
            terms.update({f"{modality}/{name}": value for name, value in found.items()})
        return terms

    def parameter_terms(self) -> dict:
        """``regularization``: ``reg * L_reg``, the Frobenius norms of the projectors' weight matrices."""
        return {"regularization": self.settings.reg * frobenius_penalty(self.projector_layers())}
