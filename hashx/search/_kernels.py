"""The numba search functions, imported on the first call that needs them.

``import hashx`` does not load numba (it takes a while to import); an index
imports its kernels through :func:`kernels`, once per process, because an
import statement inside every call would cost microseconds a query.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

__all__ = ["kernels"]


@functools.cache
def kernels() -> SimpleNamespace:
    """The search entry points: ``topk_search``, ``scan_range`` (linear scan), ``knn_search``,
    ``range_search`` and ``substring_masks`` (multi-index)."""
    from ._mih_search import knn_search, range_search, substring_masks
    from ._range import range_search as scan_range
    from ._topk import topk_search

    return SimpleNamespace(topk_search=topk_search, scan_range=scan_range, knn_search=knn_search,
                           range_search=range_search, substring_masks=substring_masks)
