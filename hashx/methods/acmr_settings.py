"""ACMRSettings: ACMR's own hyperparameters, validated against its component registries."""

from __future__ import annotations

from dataclasses import dataclass

from .._validation import check_choice, check_float, check_int
from ..alignment import GRL_SCHEDULES
from ..losses import LABEL_LOSSES, TRIPLET_NEGATIVES
from .common_space_settings import CommonSpaceSettings

__all__ = ["ACMRSettings", "ACMR_ALIGNMENTS"]

#: Alignment components ACMR can use: modality classifiers behind a gradient reversal, or none (the ablation).
ACMR_ALIGNMENTS = ("grl", "none")


@dataclass(frozen=True, kw_only=True)
class ACMRSettings(CommonSpaceSettings):
    """The settings of :class:`~hashx.methods.ACMR`; saved in every checkpoint with the run config.

    Parameters
    ----------
    hidden_dim : int or "auto", default="auto"
        Width of the projectors' two hidden layers
        (:func:`hashx.models.choose_hidden_dim`).
    feature_dim : int, default=512
        Width of the common representation (the projectors' tanh output).
    image_norm, text_norm : {"auto", "standardize", "rms", "none"}, default="auto"
    margin : float >= 0, default=1.0
        Triplet margin, in mean squared difference per dimension
        (:class:`~hashx.losses.TripletLoss`).
    negatives : {"input", "hardest"}, default="input"
        How each anchor's negative is chosen in its batch
        (:data:`hashx.losses.TRIPLET_NEGATIVES`; ``"input"`` is the authors' code).
    label_loss : str, default="softmax"
        A registered label loss (:data:`hashx.losses.LABEL_LOSSES`) on the
        shared classifier's logits; ACMR's is the softmax cross-entropy.
    alignment : {"grl", "none"}, default="grl"
        ACMR's modality classifiers behind a gradient reversal
        (:class:`~hashx.alignment.GRLAlignment`, see :class:`~hashx.methods.ACMR`),
        or the ablation without them.
    grl_schedule : {"constant", "dann", "samples"}, default="dann"
        How the reversal weight grows (the authors' code: DANN's schedule).
    grl_ramp_samples : int, default=100_000
        Samples over which it ramps up with ``grl_schedule="samples"``.
    alpha : float, default=1.0
        Weight of the triplet (inter-modal invariance) loss on the common representations.
    beta : float, default=1.0
        Weight of the label (intra-modal discrimination) loss.
    gamma : float, default=1.0
        Weight of the triplet loss on the codes (hashx's hash layer).
    delta : float, default=1.0
        Weight of the adversarial term (the paper's ``L_emb - L_adv`` weighs
        them alike).  On the synthetic set the classifiers cost about one
        point of validation MAP against ``alignment="none"`` (0.700 against
        0.714 at 32 bits, 20 epochs, seed 0), as SSAH's adversary does there.
    reg : float, default=1e-3
        Weight of ``L_reg``, the Frobenius norms of the projectors' weight matrices.
    eta : float, default=0.1
        Weight of the quantisation term.
    lr : float, default=1e-3
        Adam learning rate of the projectors and heads.
    lr_classifier : float, default=1e-3
        Adam learning rate of the modality classifier.
    weight_decay : float, default=0.0

    Notes
    -----
    Every term is a mean (over anchors, items or elements), so alpha, beta
    and gamma of 1 give terms of the same order; the paper's ``L_emb =
    alpha L_imi + beta L_imd + L_reg`` sums its data terms over a batch and
    adds ``L_reg`` unweighted.  ``reg = 1e-3`` keeps ``L_reg`` a light
    regulariser; keeping the paper's balance with the data terms as means
    would weigh it about 1 / batch size (1/64 with the authors' batch size),
    which gave the same validation MAP on the synthetic set (0.704 against
    0.705 at 32 bits, 20 epochs, one seed; measured with an earlier
    single-classifier form of the adversary).  The authors' code
    (``adv_crossmodal_triplet_wiki.py``) weighs the label loss 100 times the
    triplet loss and has no ``L_reg``.
    """

    margin: float = 1.0
    negatives: str = "input"
    label_loss: str = "softmax"
    alignment: str = "grl"
    grl_schedule: str = "dann"
    grl_ramp_samples: int = 100_000
    alpha: float = 1.0
    beta: float = 1.0
    gamma: float = 1.0
    delta: float = 1.0
    reg: float = 1e-3
    lr_classifier: float = 1e-3

    def __post_init__(self):
        super().__post_init__()
        caller = type(self).__name__
        self.check_weights("margin", "alpha", "beta", "gamma", "delta", "reg")
        TRIPLET_NEGATIVES.check(self.negatives, parameter="negatives", caller=caller)
        LABEL_LOSSES.check(self.label_loss, parameter="label_loss", caller=caller)
        check_choice(self.alignment, "alignment", ACMR_ALIGNMENTS, caller=caller)
        GRL_SCHEDULES.check(self.grl_schedule, parameter="grl_schedule", caller=caller)
        check_int(self.grl_ramp_samples, "grl_ramp_samples", caller=caller, min_value=1)
        object.__setattr__(self, "lr_classifier", check_float(self.lr_classifier, "lr_classifier", caller=caller,
                                                              strictly_positive=True))
