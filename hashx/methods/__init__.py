"""Training methods, in a registry (``get_method(name)``).

Registered names
----------------
``ssah``  :class:`SSAH`, Self-Supervised Adversarial Hashing.
"""

from .base import Method as Method
from .registry import get_method as get_method
from .registry import list_methods as list_methods
from .registry import register_method as register_method
from .ssah import SSAH as SSAH
from .ssah_alignment import ALIGNMENTS as ALIGNMENTS

__all__ = ["Method", "get_method", "list_methods", "register_method", "SSAH", "ALIGNMENTS"]
