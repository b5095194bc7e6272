"""Training methods, in a registry (``get_method(name)``), each with its settings dataclass.

Registered names
----------------
``ssah``  :class:`SSAH` (:class:`SSAHSettings`), Self-Supervised Adversarial Hashing.
``dcmh``  :class:`DCMH` (:class:`DCMHSettings`), Deep Cross-Modal Hashing.
``csq``   :class:`CSQ` (:class:`CSQSettings`), Central Similarity Quantisation on both modalities.
``two-tower``  :class:`TwoTower` (:class:`TwoTowerSettings`), two towers and a symmetric contrastive loss.
``ucal``  :class:`UCAL` (:class:`UCALSettings`), two-tower plus a modality classifier behind gradient reversal.

Adding a method: a :class:`~hashx.train.MethodSettings` subclass for its
hyperparameters, a :class:`~hashx.train.Method` subclass naming it in
``settings_class``, and ``@register_method("name")``; then import its module
here.  The trainer, checkpoints, encoder, ``hashx train --method`` and
``hashx bench --methods`` need nothing else.
"""

from ..train.method import Method as Method
from ..train.method import MethodSettings as MethodSettings
from .configure import configure as configure
from .configure import split_overrides as split_overrides
from .registry import METHODS as METHODS
from .registry import get_method as get_method
from .registry import list_methods as list_methods
from .registry import make_settings as make_settings
from .registry import register_method as register_method
from .ssah import SSAH as SSAH
from .ssah_settings import SSAHSettings as SSAHSettings
from .dcmh import DCMH as DCMH
from .dcmh_settings import DCMHSettings as DCMHSettings
from .csq import CSQ as CSQ
from .csq_settings import CSQSettings as CSQSettings
from .two_tower import TwoTower as TwoTower
from .two_tower_settings import TwoTowerSettings as TwoTowerSettings
from .ucal import UCAL as UCAL
from .ucal_settings import UCALSettings as UCALSettings

__all__ = [
    "Method",
    "MethodSettings",
    "METHODS",
    "get_method",
    "list_methods",
    "make_settings",
    "register_method",
    "configure",
    "split_overrides",
    "SSAH",
    "SSAHSettings",
    "DCMH",
    "DCMHSettings",
    "CSQ",
    "CSQSettings",
    "TwoTower",
    "TwoTowerSettings",
    "UCAL",
    "UCALSettings",
]
