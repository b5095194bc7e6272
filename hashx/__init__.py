"""hashx: cross-modal hashing toolkit.

Public API
----------
binarize, pack_codes, unpack_codes
    Sign quantisation and bit packing (:mod:`hashx.codes`).
save_codes, load_codes
    The hashx code file (:mod:`hashx.codefile`).
HammingIndex, MultiIndexHammingIndex
    Exact Hamming search: a linear scan, and multi-index hashing for large
    collections (:mod:`hashx.search`).

The heavier parts are imported on demand: :mod:`hashx.metrics`,
:mod:`hashx.data`, :mod:`hashx.models`, :mod:`hashx.methods`,
:mod:`hashx.train`.  ``import hashx`` never imports torch.
"""

# First: numba must learn where hashx's kernels are cached before any module defining one is imported.
from . import _numba_cache  # noqa: F401  (installs the cache locator; see hashx/_numba_cache.py)
from ._version import __version__ as __version__
from .codefile import load_codes as load_codes
from .codefile import save_codes as save_codes
from .codes import binarize as binarize
from .codes import pack_codes as pack_codes
from .codes import unpack_codes as unpack_codes
from .exceptions import HashxError as HashxError
from .search import HammingIndex as HammingIndex
from .search import MultiIndexHammingIndex as MultiIndexHammingIndex

__all__ = [
    "__version__",
    "binarize",
    "pack_codes",
    "unpack_codes",
    "save_codes",
    "load_codes",
    "HammingIndex",
    "MultiIndexHammingIndex",
    "HashxError",
]
