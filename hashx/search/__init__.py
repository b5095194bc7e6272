"""Exact Hamming search on packed binary codes (numpy + numba only, never torch).

:class:`HammingIndex` speaks faiss's verbs (``add``, ``search``,
``range_search``, ``ntotal``, ``reset``, ``save``/``load``) plus ``rank``, the
full ranking of the database needed by MAP@all.  Results are exact and
deterministic: equal distances are ordered by ascending id.

Inside, the kernels (numba, compiled on first use and cached on disk):

``_popcount``
    XOR + popcount over 64-bit (or 32-bit) words; a branch-free, vectorised
    mask of the codes of a 64-code group that are closer than a threshold.
``_topk``
    top-k by threshold pruning and a counting selection (no distance matrix,
    no comparison sort).
``_range``
    range search, counted then written at exact offsets.
``_rank``
    full ranking by counting sort.
``_plan``
    the split of (queries x database) into parallel tasks and cache blocks.
``_words``, ``_threads``
    word views of packed codes; the per-call numba thread count.
"""

from .index import HammingIndex as HammingIndex

__all__ = ["HammingIndex"]
