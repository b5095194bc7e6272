"""CMFHSettings: CMFH's hyperparameters."""

from __future__ import annotations

from dataclasses import dataclass

from .._validation import check_float
from ._shallow import AlternatingSettings

__all__ = ["CMFHSettings"]


@dataclass(frozen=True, kw_only=True)
class CMFHSettings(AlternatingSettings):
    """The settings of :class:`~hashx.methods.CMFH` (defaults: Ding et al.'s).

    Parameters
    ----------
    lam : float in [0, 1], default=0.5
        Weight of the image reconstruction term (the text term gets ``1 - lam``).
    mu : float > 0, default=100.0
        Weight of the hash-function (projection) terms.
    gamma : float > 0, default=0.001
        Weight of the Frobenius regularisers.
    max_iter : int, default=100
        Most alternating rounds (the authors' code: 100).
    tol : float, default=1e-4
        Stop once a round lowers the objective by at most this fraction.
    iterations_per_epoch : int or None, default=None
        Rounds per trainer epoch (None: all in the first).
    """

    max_iter: int = 100
    tol: float = 1e-4
    lam: float = 0.5
    mu: float = 100.0
    gamma: float = 1e-3

    def __post_init__(self):
        super().__post_init__()
        caller = type(self).__name__
        object.__setattr__(self, "lam", check_float(self.lam, "lam", caller=caller, max_value=1.0))
        for name in ("mu", "gamma"):
            object.__setattr__(self, name, check_float(getattr(self, name), name, caller=caller,
                                                       strictly_positive=True))
