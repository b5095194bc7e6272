"""numba kernel: every count of a retrieval report in one scan of the database per query.

:func:`hashx.metrics.retrieval_report` needs, per query, the distance
histograms (PR curve, precision within a radius, and with ``ties="average"``
every other number in closed form) and, with ties broken by database index,
the precision sums and relevant-in-top-k counts of several MAP cut-offs plus
the relevant counts of several P@k cut-offs.  The single-metric kernels of
:mod:`hashx.metrics._histogram` each rescan the database for one of these; the
kernel here fills the query's buffer ``(distance << 1) | relevant`` once
(:func:`~hashx.metrics._histogram._scan_query`) and gets all of them from one
walk of it in database order, keeping one running counter per distance (the
item's position) and per distance among relevant items (its rank among them).

The walk adds every relevant item's precision ``rank / position`` to the
whole-ranking sum and records, in database order, the position and precision
of every item inside the largest cut-off ``k_max``; the cut-off sums and counts
are then read from that short record.  Float for float, each precision sum
adds the same terms in the same order as
:func:`~hashx.metrics._histogram.precision_sums_index` with that cut-off (which
adds an exact 0.0 for the items it masks out).

The record is written with a branch when few items can reach ``k_max`` (a
predictable branch, as in the single-metric kernels) and branch-free otherwise
(where an unpredictable branch would cost more than the extra stores).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._histogram import _advance, _chunk_bounds, _cut_distance, _items_within, _scan_query, _walk_buffers

__all__ = ["report_counts_index"]

#: The record is written with a branch when at most 1/16 of the items lie within the
#: distance that reaches position k_max (measured on the MIRFlickr and NUS-WIDE sizes:
#: the branch wins at 1/200 of the items and loses at 1/18).
_SPARSE_FRACTION = 16


@njit(cache=True, inline="always")
def _record_with_branch(all_row, nbits, k_max, n_db):
    """True when few enough items lie within the distance that reaches position k_max."""
    if k_max == 0:
        return True
    return _SPARSE_FRACTION * _items_within(all_row, _cut_distance(all_row, nbits, k_max)) <= n_db


@njit(cache=True, inline="always")
def _walk_recording_sparse(buf, next_pos, next_rank, k_max, top_pos, top_precision):
    """Whole-ranking precision sum; records (position, precision) of the items at positions <= k_max."""
    s_all = 0.0
    n_top = 0
    for j in range(buf.shape[0]):
        p, r, rank = _advance(buf[j], next_pos, next_rank)
        x = (r * rank) / p
        s_all += x
        if p <= k_max:
            top_pos[n_top] = p
            top_precision[n_top] = x
            n_top += 1
    return s_all, n_top


@njit(cache=True, inline="always")
def _walk_recording_dense(buf, next_pos, next_rank, k_max, top_pos, top_precision):
    """As :func:`_walk_recording_sparse`, branch-free: every item is written, only those <= k_max kept."""
    s_all = 0.0
    n_top = 0
    for j in range(buf.shape[0]):
        p, r, rank = _advance(buf[j], next_pos, next_rank)
        x = (r * rank) / p
        s_all += x
        top_pos[n_top] = p
        top_precision[n_top] = x
        n_top += np.int64(p <= k_max)
    return s_all, n_top


@njit(cache=True, parallel=True)
def report_counts_index(query_words, db_words, query_masks, db_masks, nbits, map_cuts, count_cuts, n_chunks):
    """Histograms, MAP precision sums and top-k relevant counts, ties by database index, in one scan.

    The ranking sorts by Hamming distance, equal distances by database index
    (what a stable sort of the distances gives).

    Parameters
    ----------
    query_words, db_words : ndarray of shape (n, code_words), dtype=uint64
    query_masks, db_masks : ndarray of shape (n, label_words), dtype=uint64
    nbits : int
    map_cuts : ndarray of shape (m,), dtype=int64
        MAP cut-offs below the whole ranking, increasing, each in ``[1, n_db)``
        (the whole ranking is always computed).
    count_cuts : ndarray of shape (c,), dtype=int64
        Cut-offs for relevant counts, each in ``[1, n_db)``, any order.
    n_chunks : int
        Queries are split into this many chunks, processed in parallel.

    Returns
    -------
    all_hist, rel_hist : ndarray of shape (n_query, nbits + 1), dtype=int64
        Items and relevant items at each Hamming distance.
    precision_sum_all : ndarray of shape (n_query,), dtype=float64
        Sum over every relevant item of (relevant items at positions <= p) / p,
        with p its position.
    precision_sums : ndarray of shape (n_query, m), dtype=float64
        The same sum over the relevant items at positions ``<= map_cuts[i]``.
    map_hits : ndarray of shape (n_query, m), dtype=int64
        Relevant items at positions ``<= map_cuts[i]``.
    counts : ndarray of shape (n_query, c), dtype=int64
        Relevant items at positions ``<= count_cuts[i]``.
    """
    n_query = query_words.shape[0]
    n_db = db_words.shape[0]
    n_map = map_cuts.shape[0]
    n_count = count_cuts.shape[0]
    k_max = 0
    for i in range(n_map):
        k_max = max(k_max, map_cuts[i])
    for i in range(n_count):
        k_max = max(k_max, count_cuts[i])
    all_hist = np.zeros((n_query, nbits + 1), dtype=np.int64)
    rel_hist = np.zeros((n_query, nbits + 1), dtype=np.int64)
    precision_sum_all = np.zeros(n_query, dtype=np.float64)
    precision_sums = np.zeros((n_query, n_map), dtype=np.float64)
    map_hits = np.zeros((n_query, n_map), dtype=np.int64)
    counts = np.zeros((n_query, n_count), dtype=np.int64)
    n_chunks = min(n_query, n_chunks)
    for c in prange(n_chunks):
        buf, scratch, next_pos, next_rank = _walk_buffers(n_db, nbits)
        # The dense walk writes one slot past the kept items, hence n_db + 1.
        top_pos = np.empty(n_db + 1, dtype=np.int64)
        top_precision = np.empty(n_db + 1, dtype=np.float64)
        ranked = np.empty(k_max + 1, dtype=np.int64)
        lo, hi = _chunk_bounds(c, n_chunks, n_query)
        for qi in range(lo, hi):
            all_row = all_hist[qi]
            _scan_query(qi, query_words, db_words, query_masks, db_masks, nbits, buf, scratch, all_row,
                        rel_hist[qi], next_pos, next_rank)
            if _record_with_branch(all_row, nbits, k_max, n_db):
                s_all, n_top = _walk_recording_sparse(buf, next_pos, next_rank, k_max, top_pos, top_precision)
            else:
                s_all, n_top = _walk_recording_dense(buf, next_pos, next_rank, k_max, top_pos, top_precision)
            precision_sum_all[qi] = s_all
            # Positions 1..k_max (< n_db) are each held by exactly one recorded item;
            # its precision is > 0 iff it is relevant.
            for t in range(n_top):
                ranked[top_pos[t]] = np.int64(top_precision[t] > 0.0)
            ranked[0] = 0
            for p in range(1, k_max + 1):
                ranked[p] += ranked[p - 1]
            # Per cut-off, the recorded precisions in database order (the cut-offs
            # reaching position p are a suffix of the increasing map_cuts).
            for i in range(n_map):
                precision_sums[qi, i] = 0.0
            for t in range(n_top):
                p = top_pos[t]
                i = n_map - 1
                while i >= 0 and p <= map_cuts[i]:
                    precision_sums[qi, i] += top_precision[t]
                    i -= 1
            for i in range(n_map):
                map_hits[qi, i] = ranked[map_cuts[i]]
            for i in range(n_count):
                counts[qi, i] = ranked[count_cuts[i]]
    return all_hist, rel_hist, precision_sum_all, precision_sums, map_hits, counts
