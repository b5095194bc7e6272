"""Schedules of the gradient-reversal weight lambda."""

from __future__ import annotations

import math

from .._registry import Registry
from .._validation import check_int

__all__ = ["GRL_SCHEDULES", "grl_weight", "dann_curve"]

#: Gradient-reversal weight schedules by name.
GRL_SCHEDULES = Registry("gradient-reversal schedule")


def dann_curve(x: float) -> float:
    """Ganin and Lempitsky's ramp ``2 / (1 + exp(-10 x)) - 1`` for ``x`` clipped to [0, 1].

    0 at ``x = 0``, about 0.9866 at ``x = 0.5`` and 0.99991 at ``x = 1``.
    """
    x = min(max(float(x), 0.0), 1.0)
    return 2.0 / (1.0 + math.exp(-10.0 * x)) - 1.0


GRL_SCHEDULES.register("constant", lambda progress, samples_seen, ramp_samples: 1.0)
GRL_SCHEDULES.register("dann", lambda progress, samples_seen, ramp_samples: dann_curve(progress))
GRL_SCHEDULES.register("samples", lambda progress, samples_seen, ramp_samples: dann_curve(samples_seen / ramp_samples))


def grl_weight(schedule: str, *, progress: float, samples_seen: int, ramp_samples: int) -> float:
    """The gradient-reversal weight lambda at one training step.

    Parameters
    ----------
    schedule : {"constant", "dann", "samples"}
        * ``"constant"``: 1 throughout.
        * ``"dann"``: ``dann_curve(progress)``, with ``progress`` the fraction
          of the planned training done (DANN's schedule: the networks first
          learn their task, then are pushed harder and harder).
        * ``"samples"``: ``dann_curve(samples_seen / ramp_samples)``: the
          weight grows with the number of training samples seen, so the same
          setting behaves the same on a 2k- and a 2M-item training set (with
          ``ramp_samples`` equal to a run's total samples it equals ``"dann"``).
    progress : float in [0, 1]
    samples_seen : int >= 0
        Training items the network has been trained on so far, this step's included.
    ramp_samples : int >= 1
    """
    fn = GRL_SCHEDULES.get(schedule, parameter="schedule", caller="grl_weight")
    check_int(samples_seen, "samples_seen", caller="grl_weight", min_value=0)
    check_int(ramp_samples, "ramp_samples", caller="grl_weight", min_value=1)
    return float(fn(progress, samples_seen, ramp_samples))
