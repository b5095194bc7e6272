"""TrainConfig: every setting of one training run, in one frozen dataclass."""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass

from .._validation import check_choice, check_int, check_nbits
from ..exceptions import HashxTypeError, HashxValueError

__all__ = ["TrainConfig"]

_IMAGE_NETS = ("auto", "image_mlp", "image_cnnf")
_TEXT_NETS = ("text_net",)
_NORMS = ("standardize", "rms", "none")
_ALIGNMENTS = ("gan", "grl", "gan_detached", "none")
_PAIRWISE = ("nll", "squared_nll")
_QUANTIZERS = ("shared", "self_sign")
_LABEL_LOSSES = ("mse", "bce")
_SCHEDULES = ("cosine", "constant")
_CALLER = "TrainConfig"


def _check_float(value, name, *, min_value=0.0, strictly_positive=False, max_value=None) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise HashxTypeError(
            f"The '{name}' parameter of {_CALLER} must be a float. Got {value!r} ({type(value).__name__}) instead."
        )
    value = float(value)
    bad = not math.isfinite(value) or value < min_value or (strictly_positive and value <= min_value)
    if max_value is not None and value > max_value:
        bad = True
    if bad:
        bound = f"> {min_value}" if strictly_positive else f">= {min_value}"
        if max_value is not None:
            bound += f" and <= {max_value}"
        raise HashxValueError(
            f"The '{name}' parameter of {_CALLER} must be a finite float {bound}. Got {value!r} instead."
        )
    return value


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """The settings of one training run; saved inside every checkpoint.

    All loss terms are means (over pairs, elements or items), see
    :mod:`hashx.losses`, so the weights below keep their meaning across
    dataset sizes, batch sizes and code lengths.

    Parameters
    ----------
    method : str, default="ssah"
        Training method (:func:`hashx.methods.list_methods`).
    nbits : int, default=64
        Code length K (a positive multiple of 8).
    image_net : {"auto", "image_mlp", "image_cnnf"}, default="auto"
        ``"auto"`` picks ``"image_mlp"`` for feature vectors and
        ``"image_cnnf"`` for raw images.
    text_net : {"text_net"}, default="text_net"
    hidden_dim, feature_dim : int, default=4096, 512
        Hidden and semantic-feature widths (SSAH: 4096 and 512).
    image_norm : {"standardize", "rms", "none"}, default="standardize"
    text_norm : {"rms", "standardize", "none"}, default="rms"
        Input normalisation fitted on the fit items (:class:`hashx.models.InputNorm`).
    vggf_path : str or None, default=None
        MatConvNet ``imagenet-vgg-f.mat`` initialising the CNN-F trunk
        (raw images only; None starts it from random weights).
    alignment : {"gan", "grl", "gan_detached", "none"}, default="gan"
        How image/text features are aligned with the label features:
        SSAH's alternating GAN updates, a gradient-reversal layer, the official
        code's detached features (no gradient reaches the image/text networks),
        or no adversarial module at all.
    pairwise_loss : {"nll", "squared_nll"}, default="nll"
        The paper's likelihood or the official code's squared form.
    quantization : {"shared", "self_sign"}, default="shared"
        Towards the shared codes B of the training items (paper) or each
        batch's own sign (official code).
    label_loss : {"mse", "bce"}, default="mse"
    alpha, gamma, beta, eta, delta : float
        Weights of the feature pairwise, hash pairwise, quantisation, label and
        adversarial terms (defaults 1, 1, 1, 1, 0.01; see the notes).
    optimizer : {"adam"}, default="adam"
    lr_label, lr_image, lr_text, lr_discriminator : float
        Adam learning rates (defaults 1e-3 for the label, image and text
        networks, 1e-4 for the discriminators).
    weight_decay : float, default=0.0
    lr_schedule : {"cosine", "constant"}, default="cosine"
        Per-epoch multiplier: cosine from 1 down to ``lr_min_factor`` at the
        last epoch, or constant.  (SSAH's code divides by sqrt(10) per epoch.)
    lr_min_factor : float in [0, 1], default=0.1
    epochs : int, default=40
    batch_size : int, default=128
    label_passes, discriminator_passes, image_passes, text_passes : int, default=1
        Passes over the fit items per epoch for each stage, in SSAH's order
        (label network, discriminators, image network, text network).
    val_every : int, default=1
        Evaluate validation MAP every this many epochs (and at the last).
    patience : int or None, default=None
        Stop after this many evaluations without a better validation MAP
        (None: run every epoch).  The best model is kept either way.
    eval_batch_size : int, default=512
    seed : int, default=0
    device : str, default="cpu"
        ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` (an error if CUDA is unavailable).

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
    decayed by a cosine to 1e-4, trained the 1,024- and 4,096-wide networks
    stably on both check datasets and reached a given validation MAP in about
    half the epochs of 1e-4 (small training sets give few steps per epoch);
    the discriminators get 1e-4, since they win easily anyway.  Never SSAH's
    sqrt(10) decay per epoch.  40 epochs, with the model selected by
    validation MAP.
    """

    method: str = "ssah"
    nbits: int = 64
    image_net: str = "auto"
    text_net: str = "text_net"
    hidden_dim: int = 4096
    feature_dim: int = 512
    image_norm: str = "standardize"
    text_norm: str = "rms"
    vggf_path: str | None = None
    alignment: str = "gan"
    pairwise_loss: str = "nll"
    quantization: str = "shared"
    label_loss: str = "mse"
    alpha: float = 1.0
    gamma: float = 1.0
    beta: float = 1.0
    eta: float = 1.0
    delta: float = 0.01
    optimizer: str = "adam"
    lr_label: float = 1e-3
    lr_image: float = 1e-3
    lr_text: float = 1e-3
    lr_discriminator: float = 1e-4
    weight_decay: float = 0.0
    lr_schedule: str = "cosine"
    lr_min_factor: float = 0.1
    epochs: int = 40
    batch_size: int = 128
    label_passes: int = 1
    discriminator_passes: int = 1
    image_passes: int = 1
    text_passes: int = 1
    val_every: int = 1
    patience: int | None = None
    eval_batch_size: int = 512
    seed: int = 0
    device: str = "cpu"

    def __post_init__(self):
        if not isinstance(self.method, str):
            raise HashxTypeError(f"The 'method' parameter of {_CALLER} must be a str. Got {self.method!r} instead.")
        check_nbits(self.nbits, caller=_CALLER)
        check_choice(self.image_net, "image_net", _IMAGE_NETS, caller=_CALLER)
        check_choice(self.text_net, "text_net", _TEXT_NETS, caller=_CALLER)
        check_int(self.hidden_dim, "hidden_dim", caller=_CALLER, min_value=1)
        check_int(self.feature_dim, "feature_dim", caller=_CALLER, min_value=1)
        check_choice(self.image_norm, "image_norm", _NORMS, caller=_CALLER)
        check_choice(self.text_norm, "text_norm", _NORMS, caller=_CALLER)
        if self.vggf_path is not None and not isinstance(self.vggf_path, str):
            raise HashxTypeError(
                f"The 'vggf_path' parameter of {_CALLER} must be a str or None. Got {self.vggf_path!r} instead."
            )
        check_choice(self.alignment, "alignment", _ALIGNMENTS, caller=_CALLER)
        check_choice(self.pairwise_loss, "pairwise_loss", _PAIRWISE, caller=_CALLER)
        check_choice(self.quantization, "quantization", _QUANTIZERS, caller=_CALLER)
        check_choice(self.label_loss, "label_loss", _LABEL_LOSSES, caller=_CALLER)
        for name in ("alpha", "gamma", "beta", "eta", "delta", "weight_decay"):
            object.__setattr__(self, name, _check_float(getattr(self, name), name))
        check_choice(self.optimizer, "optimizer", ("adam",), caller=_CALLER)
        for name in ("lr_label", "lr_image", "lr_text", "lr_discriminator"):
            object.__setattr__(self, name, _check_float(getattr(self, name), name, strictly_positive=True))
        check_choice(self.lr_schedule, "lr_schedule", _SCHEDULES, caller=_CALLER)
        object.__setattr__(self, "lr_min_factor", _check_float(self.lr_min_factor, "lr_min_factor", max_value=1.0))
        check_int(self.epochs, "epochs", caller=_CALLER, min_value=1)
        check_int(self.batch_size, "batch_size", caller=_CALLER, min_value=2)
        for name in ("label_passes", "discriminator_passes", "image_passes", "text_passes"):
            check_int(getattr(self, name), name, caller=_CALLER, min_value=0)
        check_int(self.val_every, "val_every", caller=_CALLER, min_value=1)
        check_int(self.patience, "patience", caller=_CALLER, min_value=1, allow_none=True)
        check_int(self.eval_batch_size, "eval_batch_size", caller=_CALLER, min_value=1)
        check_int(self.seed, "seed", caller=_CALLER, min_value=0)
        if not isinstance(self.device, str) or not (self.device == "cpu" or self.device.startswith("cuda")):
            raise HashxValueError(
                f"The 'device' parameter of {_CALLER} must be 'cpu', 'cuda' or 'cuda:N'. Got {self.device!r} instead."
            )

    def to_dict(self) -> dict:
        """The settings as a plain dict (str, int, float, None values)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        """Rebuild from :meth:`to_dict` output; unknown keys are an error, missing keys take defaults."""
        if not isinstance(values, dict):
            raise HashxTypeError(f"TrainConfig.from_dict needs a dict. Got {type(values).__name__} instead.")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise HashxValueError(
                f"TrainConfig.from_dict got unknown setting(s) {unknown}; valid settings are {sorted(known)}."
            )
        return cls(**values)

    def replace(self, **changes) -> "TrainConfig":
        """A copy with some settings changed (validated again)."""
        return dataclasses.replace(self, **changes)
