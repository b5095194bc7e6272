"""The per-epoch learning-rate schedule shared by every method."""

from __future__ import annotations

import math

__all__ = ["lr_factor", "set_learning_rates"]


def lr_factor(run, epoch: int) -> float:
    """Learning-rate multiplier of ``epoch`` (0-based) under ``run``'s schedule.

    ``"cosine"``: from 1 at the first epoch down to ``run.lr_min_factor`` at
    the last planned one (``run.epochs - 1``), and ``lr_min_factor`` for the
    epochs an adaptive run adds after its plan; ``"constant"``: 1.  (SSAH's
    official code divides by sqrt(10) every epoch; hashx never copies that
    collapse.)  ``run`` must be resolved (a number of epochs).
    """
    if run.lr_schedule == "constant" or run.epochs == 1:
        return 1.0
    m = run.lr_min_factor
    epoch = min(epoch, run.epochs - 1)
    return m + (1.0 - m) * 0.5 * (1.0 + math.cos(math.pi * epoch / (run.epochs - 1)))


def set_learning_rates(optimizers: dict, factor: float) -> None:
    """Set every parameter group of ``optimizers`` (name -> (optimizer, base_lr)) to ``base_lr * factor``."""
    for optimizer, base_lr in optimizers.values():
        for group in optimizer.param_groups:
            group["lr"] = base_lr * factor
