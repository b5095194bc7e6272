"""DSCMRSettings: DSCMR's own hyperparameters."""

from __future__ import annotations

from dataclasses import dataclass

from .common_space_settings import CommonSpaceSettings

__all__ = ["DSCMRSettings"]


@dataclass(frozen=True, kw_only=True)
class DSCMRSettings(CommonSpaceSettings):
    """The settings of :class:`~hashx.methods.DSCMR`; saved in every checkpoint with the run config.

    Parameters
    ----------
    hidden_dim : int or "auto", default=2048
        Width of each tower's private layer (the authors' code: 2048).
    feature_dim : int, default=1024
        Width of the common representation, the output of the shared layer
        (the authors' code: 1024).
    image_norm, text_norm : {"auto", "standardize", "rms", "none"}, default="auto"
        Input normalisation (:func:`hashx.models.choose_input_norm`).
    alpha : float, default=1e-3
        Weight of the common-space discrimination loss ``J2`` (the authors' code).
    beta : float, default=0.1
        Weight of the modality-invariance loss ``J3`` (the authors' code).
    gamma : float, default=1.0
        Weight of the common-space discrimination loss on the codes (hashx's
        hash layer, see :class:`~hashx.methods.DSCMR`).
    eta : float, default=0.1
        Weight of the quantisation term.
    lr : float, default=1e-3
        Adam learning rate (the authors' code: 1e-4 for 500 epochs with Adam
        betas (0.5, 0.999); see the notes).
    weight_decay : float, default=0.0

    Notes
    -----
    The label-space loss ``J1`` has weight 1, as in the paper's objective
    ``J1 + alpha J2 + beta J3``.

    Learning rate: the authors train 500 epochs at 1e-4; hashx runs are
    tens of epochs under a cosine schedule; on the synthetic set (32 bits,
    20 epochs, one seed) 1e-3 trained stably to a validation MAP of 0.699,
    1e-4 reached 0.553.  hashx's Adam keeps PyTorch's default betas (0.9, 0.999).
    """

    hidden_dim: int | str = 2048
    feature_dim: int = 1024
    alpha: float = 1e-3
    beta: float = 0.1
    gamma: float = 1.0

    def __post_init__(self):
        super().__post_init__()
        self.check_weights("alpha", "beta", "gamma")
