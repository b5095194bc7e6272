"""Where numba caches hashx's compiled kernels: a user cache folder, never inside the installed package.

hashx's kernels are compiled with ``@njit(cache=True)``.  By default numba
writes their cache (``__pycache__/*.nbi``, ``*.nbc``) next to the source file
when that folder is writable, i.e. into ``site-packages/hashx/`` after
``pip install .``.  pip does not know those files: ``pip uninstall`` (or
``pip install -e .`` over a regular install) leaves ``site-packages/hashx/``
behind holding only ``__pycache__`` folders, and Python then imports that
folder as a namespace package in place of the real one (``cannot import name
'__version__' from 'hashx' (unknown location)``).

Importing this module (``hashx/__init__.py`` does it first, before any module
that defines a cached kernel is imported) puts the cache of every kernel
*defined in hashx's own files* in:

1. ``$NUMBA_CACHE_DIR`` when the user set it: numba's own rule, unchanged;
2. else :func:`kernel_cache_dir`: ``$XDG_CACHE_HOME/hashx/numba``, or
   ``~/.cache/hashx/numba`` (``%LOCALAPPDATA%\\hashx\\numba`` on Windows);
3. else, when that folder cannot be created, ``<tempdir>/hashx-numba-<user>``.

Kernels of other packages keep numba's default.  The cache is keyed, as
numba's is, by the source file's folder, so two hashx installations never
share (or corrupt) each other's entries, and a second process loads the
compiled kernels instead of compiling them again.

An entry is valid only while *every* ``.py`` file of the package is
unchanged (:func:`package_stamp`), not only the file that defines the
kernel as in numba's own rule: a kernel inlines the kernels it calls from
other files (``_topk`` inlines ``_popcount``'s scan loops), and numba's rule
would keep serving a kernel compiled from the callee's old code after the
callee changed.  Any edit of hashx therefore recompiles its kernels once.

This relies on numba's cache-locator list (``numba.core.caching``), which has
the same shape in every numba this package supports (>= 0.60); if a future
numba lacks it, hashx logs a warning and numba's default applies.
"""

from __future__ import annotations

import functools
import getpass
import hashlib
import logging
import os
import sys
import tempfile
from pathlib import Path

__all__ = ["kernel_cache_dir", "install_cache_locator", "package_stamp"]

logger = logging.getLogger(__name__)

#: The folder of the hashx package; kernels defined below it are cached by hashx's rule.
PACKAGE_DIR = Path(__file__).resolve().parent


def kernel_cache_dir() -> Path:
    """The folder hashx's kernels are cached in when ``NUMBA_CACHE_DIR`` is not set.

    ``$XDG_CACHE_HOME/hashx/numba``, else ``~/.cache/hashx/numba`` (on
    Windows ``%LOCALAPPDATA%\\hashx\\numba``).  Read at each call, so a
    changed environment applies to kernels compiled later.
    """
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        base = Path(xdg)
    elif sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        base = Path(os.environ["LOCALAPPDATA"])
    else:
        base = Path.home() / ".cache"
    return base / "hashx" / "numba"


@functools.lru_cache(maxsize=8)
def package_stamp(folder: Path = PACKAGE_DIR) -> str:
    """SHA-256 of the names and contents of every ``.py`` file below ``folder`` (read once per process).

    The source stamp of every cached hashx kernel: a change to any file
    invalidates them all (module docstring).
    """
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*.py")):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _fallback_dir() -> Path:
    try:
        user = getpass.getuser()
    except Exception:  # no user name (e.g. a container without passwd entry)
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    return Path(tempfile.gettempdir()) / f"hashx-numba-{user}"


def _inside_package(py_file) -> bool:
    try:
        return Path(py_file).resolve().is_relative_to(PACKAGE_DIR)
    except (OSError, ValueError):
        return False


def _make_locator():
    from numba.core import caching, config

    base = getattr(caching, "UserProvidedCacheLocator", None) or getattr(caching, "_UserProvidedCacheLocator")

    class HashxCacheLocator(base):
        """numba cache locator for kernels defined in hashx's files (module docstring)."""

        def __init__(self, py_func, py_file, root=None):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            root = kernel_cache_dir() if root is None else root
            self._cache_path = os.path.join(os.fspath(root), self.get_suitable_cache_subpath(py_file))

        def get_cache_path(self):
            return self._cache_path

        def get_source_stamp(self):
            return package_stamp()

        @classmethod
        def from_function(cls, py_func, py_file):
            if config.CACHE_DIR or not os.path.exists(py_file) or not _inside_package(py_file):
                return None  # the user's NUMBA_CACHE_DIR, or not a hashx kernel: numba's own locators
            for root in (kernel_cache_dir(), _fallback_dir()):
                locator = cls(py_func, py_file, root)
                try:
                    locator.ensure_cache_path()
                except OSError:
                    continue
                return locator
            return None

    return caching, HashxCacheLocator


def install_cache_locator() -> bool:
    """Put hashx's locator first in numba's list (once).  Returns whether it is installed."""
    try:
        caching, locator = _make_locator()
        impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl")
        classes = impl._locator_classes
    except (ImportError, AttributeError) as exc:  # pragma: no cover - a numba without this API
        logger.warning("numba's cache locators are not where hashx expects them (%s); numba will cache hashx's "
                       "kernels in its default place, which may be inside the installed package.", exc)
        return False
    if not any(getattr(c, "__name__", "") == "HashxCacheLocator" for c in classes):
        classes.insert(0, locator)
    return True


install_cache_locator()
