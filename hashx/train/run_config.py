"""RunConfig: what every training run has, whatever its method."""

from __future__ import annotations

from dataclasses import dataclass

from .._validation import check_choice, check_float, check_int, check_nbits
from ..exceptions import HashxTypeError
from .settings import Settings

__all__ = ["RunConfig", "LR_SCHEDULES", "MAX_NBITS", "AUTO_TARGET_STEPS", "auto_epochs", "auto_patience"]

#: Longest code a method trains (hash layers and per-item buffers grow with it;
#: published methods use 16 to 128 bits).
MAX_NBITS = 4096

#: Per-epoch learning-rate multipliers (see :func:`hashx.train.lr_factor`).
LR_SCHEDULES = ("cosine", "constant")
_CALLER = "RunConfig"
_AUTO = "auto"
#: Optimiser steps ``epochs="auto"`` plans for (see :func:`auto_epochs`).
AUTO_TARGET_STEPS = 2000
#: Fewest epochs ``epochs="auto"`` plans.
AUTO_MIN_EPOCHS = 30


def auto_epochs(n_fit: int, batch_size: int, max_epochs: int) -> int:
    """Planned epochs for ``epochs="auto"``: about 2,000 optimiser steps, clipped to [30, max_epochs].

    A step budget rather than an epoch count, so that small training sets
    (a few batches per epoch) get the many epochs they need and large ones
    are not trained for hours: 2,000 items in batches of 128 (16 steps an
    epoch) plan 125 epochs, 9,000 items 30.  A run whose validation MAP still
    rises at the end of its plan goes on (:class:`RunConfig`).
    """
    steps = -(-int(n_fit) // int(batch_size))
    return int(min(max_epochs, max(min(AUTO_MIN_EPOCHS, max_epochs), -(-AUTO_TARGET_STEPS // steps))))


def auto_patience(epochs: int, val_every: int) -> int:
    """Evaluations without improvement that end an ``"auto"`` run: a quarter of the planned ones, at least 10."""
    return max(10, -(-epochs // val_every) // 4)


@dataclass(frozen=True, kw_only=True)
class RunConfig(Settings):
    """The generic settings of one training run; saved inside every checkpoint.

    A method's own knobs (network widths, loss weights, learning rates, ...)
    live in its settings dataclass (e.g. :class:`hashx.methods.SSAHSettings`);
    the device is an argument of :func:`hashx.train.train`, not a setting.

    Parameters
    ----------
    method : str or None, default=None
        Name of the method; None takes the name of the method settings
        passed to :func:`hashx.train.train` (which checks that they agree).
    nbits : int, default=64
        Code length K (a positive multiple of 8, at most :data:`MAX_NBITS`).
    epochs : int or "auto", default=40
        Epochs to train (the most, with early stopping).  ``"auto"`` plans
        :func:`auto_epochs` from the training-set size and follows the
        validation curve: when the planned epochs end while validation MAP
        is still rising (the last evaluation set a new best), training goes
        on at the final learning rate, ``patience`` epochs at a time, up to
        ``max_epochs``.  :meth:`resolved` turns it into a number.
    max_epochs : int, default=300
        The cap of ``epochs="auto"`` (ignored for a given number of epochs).
    batch_size : int, default=128
    seed : int, default=0
        Seeds every network initialisation and batch order.
    lr_schedule : {"cosine", "constant"}, default="cosine"
        Per-epoch learning-rate multiplier: cosine from 1 down to
        ``lr_min_factor`` at the last epoch, or constant.
    lr_min_factor : float in [0, 1], default=0.1
    val_every : int, default=1
        Evaluate validation MAP every this many epochs (and at the last).
    patience : int, None or "auto", default=None
        Stop after this many evaluations without a better validation MAP
        (None: run every epoch; ``"auto"``: :func:`auto_patience`, a quarter
        of the planned evaluations, at least 10).  The best model is kept
        either way.
    eval_batch_size : int, default=512
        Rows per forward pass when encoding (validation, buffers).
    """

    method: str | None = None
    nbits: int = 64
    epochs: int | str = 40
    max_epochs: int = 300
    batch_size: int = 128
    seed: int = 0
    lr_schedule: str = "cosine"
    lr_min_factor: float = 0.1
    val_every: int = 1
    patience: int | str | None = None
    eval_batch_size: int = 512

    def __post_init__(self):
        if self.method is not None and not isinstance(self.method, str):
            raise HashxTypeError(f"The 'method' parameter of {_CALLER} must be a str or None. "
                                 f"Got {self.method!r} ({type(self.method).__name__}) instead.")
        check_nbits(self.nbits, caller=_CALLER)
        check_int(self.nbits, "nbits", caller=_CALLER, min_value=8, max_value=MAX_NBITS)
        if self.epochs != _AUTO:
            check_int(self.epochs, "epochs", caller=_CALLER, min_value=1)
        check_int(self.max_epochs, "max_epochs", caller=_CALLER, min_value=1)
        check_int(self.batch_size, "batch_size", caller=_CALLER, min_value=2)
        check_int(self.seed, "seed", caller=_CALLER, min_value=0)
        check_choice(self.lr_schedule, "lr_schedule", LR_SCHEDULES, caller=_CALLER)
        object.__setattr__(self, "lr_min_factor",
                           check_float(self.lr_min_factor, "lr_min_factor", caller=_CALLER, max_value=1.0))
        check_int(self.val_every, "val_every", caller=_CALLER, min_value=1)
        if self.patience != _AUTO:
            check_int(self.patience, "patience", caller=_CALLER, min_value=1, allow_none=True)
        check_int(self.eval_batch_size, "eval_batch_size", caller=_CALLER, min_value=1)

    @property
    def adaptive(self) -> bool:
        """True for ``epochs="auto"``: the run may go on past its plan while validation MAP rises."""
        return self.epochs == _AUTO

    def resolved(self, n_fit: int) -> "RunConfig":
        """A copy with ``"auto"`` epochs and patience turned into numbers for ``n_fit`` training items.

        The trainer resolves the run before building the method, so methods
        (their learning-rate schedule, their progress) see the planned epochs.
        """
        epochs = auto_epochs(n_fit, self.batch_size, self.max_epochs) if self.epochs == _AUTO else self.epochs
        patience = auto_patience(epochs, self.val_every) if self.patience == _AUTO else self.patience
        return self.replace(epochs=epochs, patience=patience)
