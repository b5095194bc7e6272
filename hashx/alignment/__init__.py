"""Alignment components: how a method makes image and text features indistinguishable.

Any method can use them (SSAH aligns its image and text features with each
other by default, or with its label network's features, ``align_to="label"``;
other methods align the modalities with each other).  Each is registered by
name:

==================  ==============================================================
``gan``             alternating discriminator / generator updates (SSAH's module)
``gan_detached``    SSAH's official code: the discriminators see detached features
``grl``             a gradient-reversal layer, weight lambda on a schedule
                    (``constant``, ``dann`` or ``samples``: :func:`grl_weight`)
``projection``      alternating updates with label-conditioned (projection)
                    discriminators
``wgan_gp``         Wasserstein critics with a gradient penalty
``none``            no adversarial module (the ablation)
==================  ==============================================================

Every discriminator-based component also takes ``instance_noise``: Gaussian
noise on the discriminators' inputs, annealed to 0 over training.

A component offers ``discriminator_stage`` (whether the method should run
:meth:`discriminator_step` in a stage of its own), ``generator_terms`` (loss
terms for a network's objective), ``generator_optimizers``, ``modules``,
``optimizers``, ``state_dict`` and ``load_state_dict``.
"""

from .batch import AlignmentBatch as AlignmentBatch
from .gan import DetachedGANAlignment as DetachedGANAlignment
from .gan import GANAlignment as GANAlignment
from .grl import GRLAlignment as GRLAlignment
from .grl_schedule import GRL_SCHEDULES as GRL_SCHEDULES
from .grl_schedule import dann_curve as dann_curve
from .grl_schedule import grl_weight as grl_weight
from .none import NoAlignment as NoAlignment
from .projection import ProjectionGANAlignment as ProjectionGANAlignment
from .registry import ALIGNMENTS as ALIGNMENTS
from .registry import create_alignment as create_alignment
from .registry import list_alignments as list_alignments
from .registry import register_alignment as register_alignment
from .wgan_gp import WGANGPAlignment as WGANGPAlignment

__all__ = [
    "AlignmentBatch",
    "ALIGNMENTS",
    "create_alignment",
    "list_alignments",
    "register_alignment",
    "GANAlignment",
    "DetachedGANAlignment",
    "GRLAlignment",
    "NoAlignment",
    "ProjectionGANAlignment",
    "WGANGPAlignment",
    "GRL_SCHEDULES",
    "grl_weight",
    "dann_curve",
]
