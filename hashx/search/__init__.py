"""Exact Hamming search on packed binary codes (numpy + numba only, never torch).

Two interchangeable indexes speak faiss's verbs (``add``, ``search``,
``range_search``, ``ntotal``, ``reset``, ``save``/``load``) and return
identical, deterministic results (equal distances ordered by ascending id):

:class:`HammingIndex`
    a linear scan, plus ``rank``, the full ranking of the database needed by
    MAP@all;
:class:`MultiIndexHammingIndex`
    multi-index hashing, which touches a small part of a large database per
    query.

:func:`choose_index` says which is faster for a collection and ``k``;
:func:`open_index` opens a code file with either (``hashx search --index``),
keeping the multi-index beside the code file.  Both derive from
:class:`BaseHammingIndex`, which holds what they share.

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
``_mih_tables``, ``_mih_search``, ``_mih_cost``, ``_mih_file``
    multi-index hashing: the tables, the search, its cost model, its file.
``_plan``
    the split of (queries x database) into parallel tasks and cache blocks.
``_words``, ``_threads``, ``_target``, ``_mapped``
    word views of packed codes; the per-call numba thread count; the CPU the
    kernels are compiled for; the watch on memory-mapped files.
"""

from .base import BaseHammingIndex as BaseHammingIndex
from .choose import choose_index as choose_index
from .index import HammingIndex as HammingIndex
from .multi_index import MultiIndexHammingIndex as MultiIndexHammingIndex
from .code_file_index import INDEX_KINDS as INDEX_KINDS
from .code_file_index import open_index as open_index

__all__ = ["BaseHammingIndex", "HammingIndex", "MultiIndexHammingIndex", "choose_index", "open_index", "INDEX_KINDS"]
