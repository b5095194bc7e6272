"""SSAHSettings: SSAH's own hyperparameters, validated against its component registries."""

from __future__ import annotations

from dataclasses import dataclass

from .._validation import check_choice, check_float, check_int
from ..alignment import ALIGNMENTS, GRL_SCHEDULES
from ..losses import LABEL_LOSSES, PAIRWISE_LOSSES, QUANTIZERS
from .net_settings import NetSettings

__all__ = ["SSAHSettings", "ALIGN_TO"]

_CALLER = "SSAHSettings"
#: What SSAH's image and text features can be aligned with.
ALIGN_TO = ("modality", "label")


@dataclass(frozen=True, kw_only=True)
class SSAHSettings(NetSettings):
    """The settings of :class:`~hashx.methods.SSAH`; saved in every checkpoint with the run config.

    All loss terms are means (over pairs, elements or items), see
    :mod:`hashx.losses`, so the weights below keep their meaning across
    dataset sizes, batch sizes and code lengths.

    Parameters
    ----------
    image_net : {"auto", "image_mlp", "image_cnnf"}, default="auto"
        ``"auto"`` picks ``"image_mlp"`` for feature vectors and
        ``"image_cnnf"`` for raw images.
    text_net : str, default="auto"
        A registered text network (:func:`hashx.models.list_models`), or
        ``"auto"``: multi-scale fusion for long texts, an MLP for short ones
        (:func:`hashx.models.choose_text_net`).
    hidden_dim : int or "auto", default="auto"
        Hidden width of the label, image and text networks (SSAH: 4096);
        ``"auto"`` chooses it from the training-set size
        (:func:`hashx.models.choose_hidden_dim`: 4096 from about 5,800
        training items up, 1024 below about 2,900).
    feature_dim : int, default=512
        Semantic-feature width (SSAH: 512).
    image_norm : {"standardize", "rms", "none", "auto"}, default="auto"
    text_norm : {"rms", "standardize", "none", "auto"}, default="auto"
        Input normalisation fitted on the fit items (:class:`hashx.models.InputNorm`);
        ``"auto"`` chooses from the values (:func:`hashx.models.choose_input_norm`).
    vggf_path : str or None, default=None
        MatConvNet ``imagenet-vgg-f.mat`` initialising the CNN-F trunk
        (raw images only; None starts it from random weights).
    alignment : str, default="gan"
        A registered alignment component (:mod:`hashx.alignment`): how the
        image/text features are aligned with their anchors (``align_to``).
        ``"gan"`` (SSAH's alternating updates with the paper's
        discriminators; the default together with ``align_to="modality"``),
        ``"wgan_gp"`` (Wasserstein critics with a gradient penalty; the
        default before, variant ``ssah-wgan``), ``"projection"``
        (label-conditioned projection discriminators; variant
        ``ssah-projection``), ``"grl"`` (gradient reversal),
        ``"gan_detached"`` (the official code: no gradient reaches the
        image/text networks) or ``"none"`` (the ablation).
    align_to : {"modality", "label"}, default="modality"
        What the image and text features are aligned with: each other (the
        default: image features against the stored text features of the same
        items, and the reverse) or the label network's features of the same
        items (SSAH's paper and code; variants ``ssah-gan``, ``ssah-wgan``,
        ``ssah-projection``, ``ssah-noise``).  The default pair is the form
        that won on the validation splits of the five real-data proxies
        (mean gain over no alignment at 32 bits +0.002 against ``wgan_gp``'s
        -0.002 and no proxy behind it beyond seed noise; see
        ``benchmarks/results/real-data-grid.md``).  The label network's
        features are a discrete set of points that a discriminator tells
        from image/text features within a few epochs; aligning the two
        modalities with each other avoids that target.
    instance_noise : float, default=0.0
        Instance noise on the discriminators' inputs, relative to their
        scale, annealed to 0 over training (:class:`hashx.alignment.discriminators.Discriminators`).
    gp_weight : float, default=10.0
        Gradient-penalty weight of ``alignment="wgan_gp"``.
    grl_schedule : {"constant", "dann", "samples"}, default="dann"
        How the gradient-reversal weight grows (``alignment="grl"`` only;
        :func:`hashx.alignment.grl_weight`).
    grl_ramp_samples : int, default=100_000
        Samples over which it ramps up with ``grl_schedule="samples"``.
    pairwise_loss : {"nll", "squared_nll"}, default="nll"
        The paper's likelihood or the official code's squared form.
    quantization : {"shared", "self_sign"}, default="shared"
        Towards the shared codes B of the training items (paper) or each
        batch's own sign (official code).
    label_loss : {"mse", "bce"}, default="mse"
    alpha, gamma, beta, eta, delta : float
        Weights of the feature pairwise, hash pairwise, quantisation, label and
        adversarial terms (defaults 1, 1, 1, 1, 0.01; see the notes).
    lr_label, lr_image, lr_text, lr_discriminator : float
        Adam learning rates (defaults 1e-3 for the label, image and text
        networks, 1e-4 for the discriminators), multiplied by the run's
        per-epoch schedule.
    weight_decay : float, default=0.0
    label_passes, discriminator_passes, image_passes, text_passes : int, default=1
        Passes over the fit items per epoch for each stage, in SSAH's order
        (label network, discriminators, image network, text network).

    Notes
    -----
    Normalisation of the loss terms.  SSAH's code *sums* every term: the
    pairwise terms over ``n_train x batch`` pairs, the quantisation over
    ``batch x K`` elements, the label term over ``batch x c``, while its
    adversarial term is a *mean* over the batch.  The balance between terms
    therefore moves with the training-set size (with 10,000 training items the
    quantisation term weighs about K / n_train = 0.2-0.6% of the pairwise
    terms, the adversarial term 1 / (n_train * batch), about 1e-6).  hashx takes
    the mean of every term, so a weight means the same thing for 2,000 or
    200,000 training items and any batch size or code length.

    Defaults.  alpha = gamma = beta = eta = 1 (all terms of order 1 at the
    start: log 2 for the pairwise terms, about 1 for quantisation).
    delta = 0.01: on the synthetic generator and the MIRFlickr stand-in the
    discriminators separate label features from image/text features almost
    perfectly within a few epochs, and the generator gradient then perturbs
    the features without aligning them; at delta = 0.1 that gradient is about
    a third of the feature-pairwise gradient at the features and costs 2-4
    MAP points, at 0.01 it is a few percent and costs well under one point
    against ``alignment="none"`` (see benchmarks/README.md, "ssah_quality").

    Learning rates: with inputs normalised to unit scale
    (:class:`hashx.models.InputNorm`) and He initialisation, Adam at 1e-3,
    decayed by a cosine to 1e-4 (the run's schedule), trained the 1,024- and
    4,096-wide networks stably on both check datasets and reached a given
    validation MAP in about half the epochs of 1e-4 (small training sets give
    few steps per epoch); the discriminators get 1e-4, since they win easily
    anyway.  Never SSAH's sqrt(10) decay per epoch.
    """

    alignment: str = "gan"
    align_to: str = "modality"
    instance_noise: float = 0.0
    gp_weight: float = 10.0
    grl_schedule: str = "dann"
    grl_ramp_samples: int = 100_000
    pairwise_loss: str = "nll"
    quantization: str = "shared"
    label_loss: str = "mse"
    alpha: float = 1.0
    gamma: float = 1.0
    beta: float = 1.0
    eta: float = 1.0
    delta: float = 0.01
    lr_label: float = 1e-3
    lr_image: float = 1e-3
    lr_text: float = 1e-3
    lr_discriminator: float = 1e-4
    weight_decay: float = 0.0
    label_passes: int = 1
    discriminator_passes: int = 1
    image_passes: int = 1
    text_passes: int = 1

    def __post_init__(self):
        super().__post_init__()
        ALIGNMENTS.check(self.alignment, parameter="alignment", caller=_CALLER)
        check_choice(self.align_to, "align_to", ALIGN_TO, caller=_CALLER)
        GRL_SCHEDULES.check(self.grl_schedule, parameter="grl_schedule", caller=_CALLER)
        check_int(self.grl_ramp_samples, "grl_ramp_samples", caller=_CALLER, min_value=1)
        PAIRWISE_LOSSES.check(self.pairwise_loss, parameter="pairwise_loss", caller=_CALLER)
        QUANTIZERS.check(self.quantization, parameter="quantization", caller=_CALLER)
        LABEL_LOSSES.check(self.label_loss, parameter="label_loss", caller=_CALLER)
        for name in ("alpha", "gamma", "beta", "eta", "delta", "weight_decay", "instance_noise", "gp_weight"):
            object.__setattr__(self, name, check_float(getattr(self, name), name, caller=_CALLER))
        for name in ("lr_label", "lr_image", "lr_text", "lr_discriminator"):
            object.__setattr__(self, name, check_float(getattr(self, name), name, caller=_CALLER,
                                                       strictly_positive=True))
        for name in ("label_passes", "discriminator_passes", "image_passes", "text_passes"):
            check_int(getattr(self, name), name, caller=_CALLER, min_value=0)
