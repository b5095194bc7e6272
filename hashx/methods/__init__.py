"""Training methods, in a registry (``get_method(name)``), each with its settings dataclass.

Registered names
----------------
``ssah``   :class:`SSAH` (:class:`SSAHSettings`), Self-Supervised Adversarial Hashing.
``dscmr``  :class:`DSCMR` (:class:`DSCMRSettings`), Deep Supervised Cross-Modal Retrieval, hashed.
``acmr``   :class:`ACMR` (:class:`ACMRSettings`), Adversarial Cross-Modal Retrieval, hashed.

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
from .dscmr import DSCMR as DSCMR
from .dscmr_settings import DSCMRSettings as DSCMRSettings
from .acmr import ACMR as ACMR
from .acmr_settings import ACMRSettings as ACMRSettings

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
    "DSCMR",
    "DSCMRSettings",
    "ACMR",
    "ACMRSettings",
]
