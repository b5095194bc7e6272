"""DCMHSettings: DCMH's own hyperparameters, validated against its component registries."""

from __future__ import annotations

from dataclasses import dataclass

from .._validation import check_float, check_int
from ..losses import PAIRWISE_LOSSES
from .net_settings import NetSettings

__all__ = ["DCMHSettings"]

_CALLER = "DCMHSettings"


@dataclass(frozen=True, kw_only=True)
class DCMHSettings(NetSettings):
    """The settings of :class:`~hashx.methods.DCMH`; saved in every checkpoint with the run config.

    Parameters
    ----------
    image_net : {"auto", "image_mlp", "image_cnnf"}, default="auto"
        ``"auto"``: an MLP on feature vectors, CNN-F on raw images (DCMH's
        image network is CNN-F on raw images).
    text_net : str, default="text_mlp"
        A registered text network or ``"auto"``.  DCMH's text network is an
        MLP; ``"auto"`` would give long texts SSAH's multi-scale fusion.
    hidden_dim : int or "auto", default="auto"
        Hidden width of the MLPs, chosen from the training-set size
        (:func:`hashx.models.choose_hidden_dim`); 8192 is DCMH's text width.
    feature_dim : int, default=512
        Width of the layer that the hash layer reads.
    image_norm, text_norm : "auto" or one of ``hashx.models.input_norm.INPUT_NORMS``, default="auto"
        Input normalisation fitted on the fit items (:func:`hashx.models.choose_input_norm`).
    vggf_path : str or None, default=None
        MatConvNet ``imagenet-vgg-f.mat`` initialising the CNN-F trunk (raw images only).
    pairwise_loss : {"nll", "squared_nll"}, default="nll"
        DCMH's negative log-likelihood, or SSAH's squared form.
    gamma : float, default=0.01
        Weight of the quantisation terms ``mean (B - F)^2`` and ``mean (B - G)^2``.
    eta : float, default=0.01
        Weight of the bit-balance terms ``||mean_i F_i||^2`` and ``||mean_i G_i||^2``.
    lr_image, lr_text : float, default=1e-3
        Adam learning rates, multiplied by the run's per-epoch schedule.
    weight_decay : float, default=0.0
    image_passes, text_passes : int, default=1
        Passes over the fit items per epoch for the image network (text codes
        fixed), then the text network (image codes fixed).

    Notes
    -----
    Normalisation.  The paper minimises sums over the ``n`` training items:
    ``sum_ij nll(Theta_ij) + gamma_p (||B - F||^2 + ||B - G||^2) + eta_p (||F^T 1||^2 + ||G^T 1||^2)``.
    hashx takes means: the pairwise sum is divided by its ``n^2`` pairs, the
    balance terms by the same ``n^2`` (:class:`hashx.losses.BitBalanceLoss`:
    the squared norm of the mean code), and the quantisation sums by their
    ``n K`` elements, as every hashx quantisation term.  Relative to the
    pairwise term, then, ``eta`` means exactly the paper's ``eta_p``, and
    ``gamma = gamma_p * K / n``: the paper's ``gamma_p = 1`` is ``gamma =
    K / n`` here, 0.0016 to 0.032 for 16 to 64 bits and 2,000 to 10,000
    training items.  Every term is of order 1 at the start: log 2 for the
    pairwise term, about 1 for each quantisation term, up to K for the
    balance terms.

    Defaults (chosen on the validation split of the synthetic set, 32 bits,
    seed 0, 8 epochs; validation MAP image->text / text->image):

    * ``gamma = 0.01``: the paper's ``gamma_p = 1`` at this scale.  A strong
      quantisation term holds the codes at their random start, since B is
      recomputed from F and G that it pulls towards B: ``gamma = 1`` gave
      0.60 / 0.61 (``eta = 0``) against 0.67 / 0.75 for ``gamma = 0.01``.
    * ``eta = 0.01``, not the paper's 1: with ``eta = 1`` the balance term
      forbids the bits that follow the labels (a label on 30% of the items
      costs a bit that follows it 0.16 of balance, while the pairwise term
      fell from 0.69 to 0.47 in 8 epochs over all 32 bits together), and the codes stayed at chance (0.49 / 0.50, the
      share of relevant items); ``eta = 0.1`` gave 0.53 / 0.57, ``eta = 0.01``
      0.66 / 0.73 and ``eta = 0`` 0.67 / 0.75.  The synthetic labels are
      imbalanced (3% to 37% of the items each), as MIRFlickr's; data with
      balanced labels may bear a larger ``eta``.
    * Adam at 1e-3 with the run's cosine schedule, not DCMH's plain SGD from
      10^-1.5 (a rate for summed losses divided by ``n * batch``).
    """

    text_net: str = "text_mlp"
    pairwise_loss: str = "nll"
    gamma: float = 0.01
    eta: float = 0.01
    lr_image: float = 1e-3
    lr_text: float = 1e-3
    weight_decay: float = 0.0
    image_passes: int = 1
    text_passes: int = 1

    def __post_init__(self):
        super().__post_init__()
        PAIRWISE_LOSSES.check(self.pairwise_loss, parameter="pairwise_loss", caller=_CALLER)
        for name in ("gamma", "eta", "weight_decay"):
            object.__setattr__(self, name, check_float(getattr(self, name), name, caller=_CALLER))
        for name in ("lr_image", "lr_text"):
            object.__setattr__(self, name, check_float(getattr(self, name), name, caller=_CALLER,
                                                       strictly_positive=True))
        for name in ("image_passes", "text_passes"):
            check_int(getattr(self, name), name, caller=_CALLER, min_value=1)
