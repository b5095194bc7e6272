"""SCMSeqSettings: SCM-seq's hyperparameters."""

from __future__ import annotations

from dataclasses import dataclass

from .._validation import check_float
from ._shallow import ShallowSettings

__all__ = ["SCMSeqSettings"]


@dataclass(frozen=True, kw_only=True)
class SCMSeqSettings(ShallowSettings):
    """The settings of :class:`~hashx.methods.SCMSeq`.

    Parameters
    ----------
    reg : float >= 0, default=1e-6
        Ridge added to ``X^T X`` and ``Y^T Y``, relative to their mean diagonal
        (the authors' code adds 1e-6 in absolute terms, which depends on the
        feature scale).
    blas_threads : int or None, default=1
        See :class:`~hashx.methods._shallow.ShallowSettings`.
    """

    reg: float = 1e-6

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "reg", check_float(self.reg, "reg", caller=type(self).__name__))
