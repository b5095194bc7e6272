"""TwoTowerSettings: the two-tower baseline's hyperparameters (and the base of UCAL's)."""

from __future__ import annotations

from dataclasses import dataclass

from .._validation import check_float
from ..losses import POSITIVE_SETS
from .net_settings import NetSettings

__all__ = ["TwoTowerSettings"]


@dataclass(frozen=True, kw_only=True)
class TwoTowerSettings(NetSettings):
    """The settings of :class:`~hashx.methods.TwoTower`; saved in every checkpoint with the run config.

    Parameters
    ----------
    image_net : {"auto", "image_mlp", "image_cnnf"}, default="auto"
        ``"auto"``: an MLP on feature vectors, CNN-F on raw images.
    text_net : str, default="auto"
        A registered text network, or ``"auto"`` (:func:`hashx.models.choose_text_net`).
    hidden_dim : int or "auto", default="auto"
        Hidden width of both towers (:func:`hashx.models.choose_hidden_dim`).
    feature_dim : int, default=512
        Width of the layer below the hash layer.
    image_norm, text_norm : "auto" or one of ``INPUT_NORMS``, default="auto"
        Input normalisation fitted on the fit items (:func:`hashx.models.choose_input_norm`).
    vggf_path : str or None, default=None
        MatConvNet ``imagenet-vgg-f.mat`` initialising the CNN-F trunk (raw images only).
    positives : {"pairs", "labels"}, default="pairs"
        Positives of the contrastive loss (:data:`hashx.losses.POSITIVE_SETS`):
        the paired item only (the labels are never read), or also every item
        of the batch sharing a label with it.
    tau : float > 0, default=0.5
        Temperature of the contrastive loss.
    beta : float >= 0, default=0.1
        Weight of the quantisation term.
    lr_image, lr_text : float > 0, default=1e-3
        Adam learning rates of the towers, multiplied by the run's per-epoch schedule.
    weight_decay : float >= 0, default=0.0

    Notes
    -----
    Defaults.  The architecture has no paper to follow (the baseline is
    generic), so the networks are chosen from the data ("auto").  ``tau =
    0.5``: on the synthetic set's validation split (32 bits, 10 epochs, seed
    0, ``positives="pairs"``) the best validation MAP (mean of the two
    directions) was 0.576 at tau = 0.1, 0.605 at 0.3, 0.621 at 0.5 and 0.612
    at 1.0.  A low temperature sharpens the softmax towards the hardest
    negatives, which with pairs-only positives are mostly items sharing the
    anchor's labels (false negatives); at 1.0 the logits (``|s_ij| <= 1``)
    are too flat to separate the items.  ``beta = 0.1``: the contrastive term
    is scale-free (normalised codes), so quantisation alone sets the codes'
    magnitude; at 0.1 it stays at a few hundredths from the second epoch on
    (the codes saturate) without pulling against the contrastive term.  Adam
    at 1e-3 with the run's cosine schedule trains stably (as for SSAH).
    With ``positives="labels"`` (tau = 0.3) the same run reached 0.670.
    """

    positives: str = "pairs"
    tau: float = 0.5
    beta: float = 0.1
    lr_image: float = 1e-3
    lr_text: float = 1e-3
    weight_decay: float = 0.0

    def __post_init__(self):
        caller = type(self).__name__
        super().__post_init__()
        POSITIVE_SETS.check(self.positives, parameter="positives", caller=caller)
        for name in ("beta", "weight_decay"):
            object.__setattr__(self, name, check_float(getattr(self, name), name, caller=caller))
        for name in ("tau", "lr_image", "lr_text"):
            object.__setattr__(self, name, check_float(getattr(self, name), name, caller=caller,
                                                       strictly_positive=True))
