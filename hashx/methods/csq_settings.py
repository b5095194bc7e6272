"""CSQSettings: the hyperparameters of CSQ on two modalities, validated against its component registries."""

from __future__ import annotations

from dataclasses import dataclass

from .._validation import check_choice, check_float, check_int
from ..losses import HASH_CENTER_KINDS
from .net_settings import NetSettings

__all__ = ["CSQSettings"]

_CALLER = "CSQSettings"


@dataclass(frozen=True, kw_only=True)
class CSQSettings(NetSettings):
    """The settings of :class:`~hashx.methods.CSQ`; saved in every checkpoint with the run config.

    Parameters
    ----------
    image_net : {"auto", "image_mlp", "image_cnnf"}, default="auto"
        ``"auto"``: an MLP on feature vectors, CNN-F on raw images.
    text_net : str, default="auto"
        A registered text network, or ``"auto"`` (:func:`hashx.models.choose_text_net`).
        CSQ is single-modal in its paper, so it prescribes no text network.
    hidden_dim : int or "auto", default="auto"
        Hidden width of the networks (:func:`hashx.models.choose_hidden_dim`).
    feature_dim : int, default=512
    image_norm, text_norm : "auto" or one of ``hashx.models.input_norm.INPUT_NORMS``, default="auto"
    vggf_path : str or None, default=None
        MatConvNet ``imagenet-vgg-f.mat`` initialising the CNN-F trunk (raw images only).
    centers : {"auto", "hadamard", "random"}, default="auto"
        How the labels' hash centres are built (:mod:`hashx.losses.hash_centers`):
        ``"auto"`` takes Hadamard rows when ``nbits`` is a power of two and
        there are at most ``2 * nbits`` labels, random balanced codes otherwise.
    center_candidates : int, default=128
        Random centres only: balanced codes drawn per label, of which the one
        farthest from the centres already chosen is kept.
    quantization_weight : float, default=0.05
        ``lambda`` of the quantisation term ``mean (|h| - 1)^2`` (CSQ's code's
        default ``lambda2``).
    lr_image, lr_text : float, default=1e-3
        Adam learning rates (CSQ's code: Adam at 1e-3 for the hash layer),
        multiplied by the run's per-epoch schedule.
    weight_decay : float, default=0.0

    Notes
    -----
    Both terms are means over the ``b x K`` entries, as in CSQ's code, so its
    weights carry over unchanged: ``1`` for the central term, ``0.05`` for
    the quantisation term.
    """

    centers: str = "auto"
    center_candidates: int = 128
    quantization_weight: float = 0.05
    lr_image: float = 1e-3
    lr_text: float = 1e-3
    weight_decay: float = 0.0

    def __post_init__(self):
        super().__post_init__()
        check_choice(self.centers, "centers", HASH_CENTER_KINDS, caller=_CALLER)
        check_int(self.center_candidates, "center_candidates", caller=_CALLER, min_value=1)
        for name in ("quantization_weight", "weight_decay"):
            object.__setattr__(self, name, check_float(getattr(self, name), name, caller=_CALLER))
        for name in ("lr_image", "lr_text"):
            object.__setattr__(self, name, check_float(getattr(self, name), name, caller=_CALLER,
                                                       strictly_positive=True))
