"""CommonSpaceSettings: the settings every common-space method (DSCMR, ACMR) has."""

from __future__ import annotations

from dataclasses import dataclass

from .._validation import check_choice, check_float, check_int
from ..models import AUTO
from ..models.input_norm import INPUT_NORMS
from ..train.method import MethodSettings

__all__ = ["CommonSpaceSettings"]


@dataclass(frozen=True, kw_only=True)
class CommonSpaceSettings(MethodSettings):
    """The towers, code-layer weights and optimiser of a :class:`~hashx.methods.common_space.CommonSpaceMethod`.

    Not a method's settings by itself: :class:`~hashx.methods.DSCMRSettings`
    and :class:`~hashx.methods.ACMRSettings` extend it (and set their own
    defaults).

    Parameters
    ----------
    hidden_dim : int or "auto"
        Width of each tower's private layers; ``"auto"`` chooses it from the
        training-set size (:func:`hashx.models.choose_hidden_dim`).
    feature_dim : int
        Width of the common representation.
    image_norm, text_norm : {"auto", "standardize", "rms", "none"}, default="auto"
        Input normalisation fitted on the fit items
        (:func:`hashx.models.choose_input_norm` for ``"auto"``).
    eta : float >= 0
        Weight of the quantisation term ``mean (sign(h) - h)^2`` on the codes
        of both modalities (:class:`~hashx.losses.SelfSignQuantization`).
    lr : float > 0
        Adam learning rate of the towers, multiplied by the run's per-epoch schedule.
    weight_decay : float >= 0, default=0.0
    """

    hidden_dim: int | str = AUTO
    feature_dim: int = 512
    image_norm: str = AUTO
    text_norm: str = AUTO
    eta: float = 0.1
    lr: float = 1e-3
    weight_decay: float = 0.0

    def __post_init__(self):
        caller = type(self).__name__
        if self.hidden_dim != AUTO:
            check_int(self.hidden_dim, "hidden_dim", caller=caller, min_value=1)
        check_int(self.feature_dim, "feature_dim", caller=caller, min_value=1)
        check_choice(self.image_norm, "image_norm", [AUTO, *INPUT_NORMS], caller=caller)
        check_choice(self.text_norm, "text_norm", [AUTO, *INPUT_NORMS], caller=caller)
        self.check_weights("eta", "weight_decay")
        object.__setattr__(self, "lr", check_float(self.lr, "lr", caller=caller, strictly_positive=True))

    def check_weights(self, *names: str) -> None:
        """Check that each named field is a float >= 0 (stored as float)."""
        for name in names:
            object.__setattr__(self, name, check_float(getattr(self, name), name, caller=type(self).__name__))
