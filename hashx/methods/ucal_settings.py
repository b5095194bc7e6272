"""UCALSettings: two-tower's settings plus the modality classifier behind gradient reversal."""

from __future__ import annotations

from dataclasses import dataclass

from .._validation import check_float, check_int
from ..alignment import ALIGNMENTS, GRL_SCHEDULES
from .two_tower_settings import TwoTowerSettings

__all__ = ["UCALSettings"]


@dataclass(frozen=True, kw_only=True)
class UCALSettings(TwoTowerSettings):
    """The settings of :class:`~hashx.methods.UCAL`: every two-tower setting, then the adversary's.

    Parameters
    ----------
    **two-tower settings
        As in :class:`~hashx.methods.TwoTowerSettings` (same defaults; in
        particular ``positives="pairs"``: no label is read in training).
    alignment : str, default="grl"
        A registered alignment component (:mod:`hashx.alignment`) between the
        image and text codes.  ``"grl"`` is UCAL; ``"none"`` leaves the
        adversary out (exactly the two-tower baseline); ``"gan"`` trains the
        same classifiers by alternating updates instead.
    grl_schedule : {"constant", "dann", "samples"}, default="samples"
        How the reversal weight lambda grows (:func:`hashx.alignment.grl_weight`):
        with the number of training samples seen.
    grl_ramp_samples : int >= 1, default=50_000
        Samples over which lambda ramps up (``dann_curve(seen / grl_ramp_samples)``:
        0.76 at a fifth of it, 0.987 at half of it).
    delta : float >= 0, default=0.1
        Weight of each tower's adversarial term.
    lr_discriminator : float > 0, default=1e-4
        Adam learning rate of the modality classifiers, multiplied by the run's schedule.

    Notes
    -----
    Defaults.  ``grl_ramp_samples = 50_000``: lambda reaches about 0.76
    after 10,000 samples and is nearly 1 after 25,000, so on a training set
    of a few thousand items the towers first learn the contrastive task for
    a few epochs; on a 100k-item set the ramp is over within the first
    epoch, as a samples-based schedule intends.  ``delta = 0.1`` and
    ``lr_discriminator = 1e-4``: see the notes of :class:`~hashx.methods.UCAL`.
    """

    alignment: str = "grl"
    grl_schedule: str = "samples"
    grl_ramp_samples: int = 50_000
    delta: float = 0.1
    lr_discriminator: float = 1e-4

    def __post_init__(self):
        super().__post_init__()
        caller = type(self).__name__
        ALIGNMENTS.check(self.alignment, parameter="alignment", caller=caller)
        GRL_SCHEDULES.check(self.grl_schedule, parameter="grl_schedule", caller=caller)
        check_int(self.grl_ramp_samples, "grl_ramp_samples", caller=caller, min_value=1)
        object.__setattr__(self, "delta", check_float(self.delta, "delta", caller=caller))
        object.__setattr__(self, "lr_discriminator", check_float(self.lr_discriminator, "lr_discriminator",
                                                                 caller=caller, strictly_positive=True))
