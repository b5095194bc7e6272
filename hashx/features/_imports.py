"""The optional packages of ``hashx[features]``, imported on demand with a clear error.

torchvision, open_clip_torch and Pillow are optional: the core install never
imports them.  Each helper imports its package when a feature needs it and
raises an :class:`ImportError` that names the extra to install.

torchvision's compiled operators (``torchvision::nms`` and friends) fail to
load when its wheel was built for another torch (a CUDA torchvision beside a
CPU torch is the common case: ``pip install torchvision`` from PyPI next to
torch's CPU wheel).  torchvision's package ``__init__`` then raises
``RuntimeError: operator torchvision::nms does not exist`` and nothing of
torchvision can be imported, although hashx uses only its pure-Python parts
(model definitions, weight enums, transforms).  :func:`import_torchvision`
then loads those parts without the operators (the ``torchvision`` package
object is created without running its ``__init__``) and logs a warning; any
use of a compiled operator still fails with torchvision's own message.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
import types

__all__ = ["FEATURES_EXTRA", "import_pil", "import_torchvision", "import_open_clip"]

logger = logging.getLogger(__name__)

#: The install command quoted by every error of this module.
FEATURES_EXTRA = "pip install 'hashx[features]'"


def _missing(package: str, purpose: str, exc: BaseException) -> ImportError:
    err = ImportError(
        f"{purpose} needs the optional package {package}, which is not installed ({exc}). "
        f"Install the features extra: {FEATURES_EXTRA}"
    )
    err.__cause__ = exc
    return err


def import_pil(purpose: str = "Reading images"):
    """Return ``PIL.Image``, or raise an ImportError naming the extra."""
    try:
        from PIL import Image
    except ImportError as exc:
        raise _missing("Pillow", purpose, exc) from exc
    return Image


def _python_only_torchvision(exc: RuntimeError):
    """Load torchvision's pure-Python modules when its compiled operators cannot load."""
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"torchvision failed to import ({exc}) and its files cannot be found.") from exc
    logger.warning(
        "torchvision's compiled operators do not load beside this torch (%s): its wheel was built for "
        "another torch. hashx uses only torchvision's pure-Python model definitions and weight enums, "
        "so it loads those without the operators.", exc)
    package = types.ModuleType("torchvision")
    package.__path__ = list(spec.submodule_search_locations)
    package.__file__ = spec.origin
    package.__spec__ = spec
    sys.modules["torchvision"] = package
    try:
        version = importlib.import_module("torchvision.version")
        package.__version__ = getattr(version, "__version__", "unknown")
        for name in ("models", "transforms"):
            setattr(package, name, importlib.import_module(f"torchvision.{name}"))
    except Exception as inner:  # the layout of torchvision changed: give up cleanly
        sys.modules.pop("torchvision", None)
        raise ImportError(
            f"torchvision failed to import ({exc}), and loading its pure-Python parts failed too ({inner}). "
            f"Install the torchvision build that matches your torch."
        ) from inner
    return package


def import_torchvision(purpose: str = "This backbone"):
    """Return the ``torchvision`` module (see the module docstring for a broken build)."""
    try:
        import torchvision
    except ImportError as exc:
        raise _missing("torchvision", purpose, exc) from exc
    except RuntimeError as exc:
        if "torchvision::" not in str(exc):
            raise
        return _python_only_torchvision(exc)
    return torchvision


def import_open_clip(purpose: str = "A CLIP backbone"):
    """Return the ``open_clip`` module, or raise an ImportError naming the extra."""
    import_torchvision(purpose)  # open_clip imports torchvision's transforms at import time
    try:
        import open_clip
    except ImportError as exc:
        raise _missing("open_clip_torch", purpose, exc) from exc
    return open_clip
