"""CCAITQSettings: CCA-ITQ's hyperparameters."""

from __future__ import annotations

from dataclasses import dataclass

from .._validation import check_float
from ._shallow import AlternatingSettings

__all__ = ["CCAITQSettings"]


@dataclass(frozen=True, kw_only=True)
class CCAITQSettings(AlternatingSettings):
    """The settings of :class:`~hashx.methods.CCAITQ`.

    Parameters
    ----------
    reg : float >= 0, default=1.0
        Ridge added to each modality's covariance before CCA, relative to its
        mean variance (``Cxx + reg * mean(diag(Cxx)) * I``).  Gong et al. add
        1e-4 (absolute; their CCA is between features and labels, with far
        more items than dimensions).  Between two high-dimensional modalities
        with dimensions comparable to the number of items (512 + 500 dims for
        1,620 synthetic fit items; 4,096 + 1,386 for the 9,000 of the
        MIRFlickr stand-in) a tiny ridge lets CCA find spurious, near-perfect
        correlations: at reg = 1e-4 CCA-ITQ's validation MAP (32 bits, I->T /
        T->I) was 0.51 / 0.53 on the synthetic set (about chance) and 0.56 /
        0.56 on the stand-in; at reg = 1 it was 0.62 / 0.67 and 0.59 / 0.59.
        On digits-quadrants (16 + 16 dims, 1,226 items) a small ridge is
        slightly better (0.23 / 0.21 at 1e-4, 0.21 / 0.20 at 1).  Chosen on
        validation MAP, never on the query set.
    max_iter : int, default=50
        ITQ iterations (Gong et al.: 50).
    tol : float, default=0.0
        Stop early only if an iteration leaves the quantisation loss where it
        was (ITQ has reached a fixed point).
    iterations_per_epoch : int or None, default=None
        ITQ iterations per trainer epoch (None: CCA and all of ITQ in the first).
    """

    max_iter: int = 50
    tol: float = 0.0
    reg: float = 1.0

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "reg", check_float(self.reg, "reg", caller=type(self).__name__))
