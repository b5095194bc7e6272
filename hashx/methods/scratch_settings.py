"""SCRATCHSettings: SCRATCH's hyperparameters."""

from __future__ import annotations

from dataclasses import dataclass

from .._validation import check_float, check_int
from ._shallow import AlternatingSettings

__all__ = ["SCRATCHSettings"]


@dataclass(frozen=True, kw_only=True)
class SCRATCHSettings(AlternatingSettings):
    """The settings of :class:`~hashx.methods.SCRATCH` (defaults: the authors' demo).

    Parameters
    ----------
    lambda_x : float in [0, 1], default=0.5
        Weight of the image factorisation term (text: ``1 - lambda_x``).
    alpha : float >= 0, default=500.0
        Weight of the label factorisation term.
    mu : float > 0, default=1000.0
        Weight of the hash-function terms.
    gamma : float > 0, default=5.0
        Weight of the Frobenius regularisers.
    n_anchors : int or None, default=500
        RBF anchors per modality (hash functions on kernel features, as the
        authors' demo); None fits linear hash functions on the centred
        features.  Capped at the number of fit items.
    max_iter : int, default=20
        Alternating rounds (the authors' demo: 20).
    tol : float, default=0.0
        Stop early only if a round leaves the objective where it was.
    iterations_per_epoch : int or None, default=None
        Rounds per trainer epoch (None: all in the first).
    """

    max_iter: int = 20
    tol: float = 0.0
    lambda_x: float = 0.5
    alpha: float = 500.0
    mu: float = 1000.0
    gamma: float = 5.0
    n_anchors: int | None = 500

    def __post_init__(self):
        super().__post_init__()
        caller = type(self).__name__
        object.__setattr__(self, "lambda_x", check_float(self.lambda_x, "lambda_x", caller=caller, max_value=1.0))
        object.__setattr__(self, "alpha", check_float(self.alpha, "alpha", caller=caller))
        for name in ("mu", "gamma"):
            object.__setattr__(self, name, check_float(getattr(self, name), name, caller=caller,
                                                       strictly_positive=True))
        check_int(self.n_anchors, "n_anchors", caller=caller, min_value=1, allow_none=True)
