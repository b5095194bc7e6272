"""numba kernel: NDCG@k of the Hamming ranking with graded relevance.

The grade of a database item for a query is the number of labels they share
(popcount of the AND of their label bitmasks).  One scan per query writes
``(distance << 32) | grade`` into a per-thread buffer; from it:

* IDCG@k: the grades sorted in decreasing order, from a histogram of grades;
* DCG@k with ties by database index: a walk in index order with one running
  position counter per distance (as in :mod:`._histogram`);
* expected DCG@k over random orders inside tie groups: every position of a
  group holds, in expectation, the group's mean gain, so
  ``E[DCG@k] = sum_d mean_gain_d * sum_{positions p of group d, p <= k} 1/log2(p + 1)``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._popcount import popcount64

__all__ = ["ndcg_per_query"]


@njit(cache=True, inline="always")
def _fill_graded(qi, query_words, db_words, query_masks, db_masks, buf):
    n_db = db_words.shape[0]
    n_code = db_words.shape[1]
    n_mask = db_masks.shape[1]
    if n_code == 1 and n_mask == 1:
        # One code word and one label word: a loop LLVM vectorises.
        code = query_words[qi, 0]
        mask = query_masks[qi, 0]
        words = db_words.reshape(n_db)
        masks = db_masks.reshape(n_db)
        for j in range(n_db):
            buf[j] = (popcount64(code ^ words[j]) << np.uint64(32)) | popcount64(mask & masks[j])
        return
    for j in range(n_db):
        dist = np.uint64(0)
        for w in range(n_code):
            dist += popcount64(query_words[qi, w] ^ db_words[j, w])
        grade = np.uint64(0)
        for w in range(n_mask):
            grade += popcount64(query_masks[qi, w] & db_masks[j, w])
        buf[j] = (dist << np.uint64(32)) | grade


@njit(cache=True, parallel=True)
def ndcg_per_query(query_words, db_words, query_masks, db_masks, nbits, n_labels, k, gains, discounts, average,
                   n_chunks):
    """NDCG@k of every query.

    Parameters
    ----------
    k : int
        Cut-off, ``1 <= k <= n_db``.
    gains : ndarray of shape (n_labels + 1,), dtype=float64
        Gain of an item by grade (``gains[0]`` must be 0).
    discounts : ndarray of shape (k + 1,), dtype=float64
        ``discounts[p] = 1 / log2(p + 1)`` for positions ``p = 1..k``.
    average : bool
        Expected DCG over random orders inside tie groups if True, ties by
        database index if False.
    n_chunks : int
        Queries are split into this many chunks, processed in parallel.

    Returns
    -------
    ndcg : ndarray of shape (n_query,), dtype=float64
        0 for a query without any relevant item.
    has_relevant : ndarray of shape (n_query,), dtype=bool
    """
    n_query = query_words.shape[0]
    n_db = db_words.shape[0]
    ndcg = np.zeros(n_query, dtype=np.float64)
    has_relevant = np.zeros(n_query, dtype=np.bool_)
    n_chunks = min(n_query, n_chunks)
    for c in prange(n_chunks):
        buf = np.empty(n_db, dtype=np.uint64)
        count = np.empty(nbits + 1, dtype=np.int64)
        gain_sum = np.empty(nbits + 1, dtype=np.float64)
        grade_count = np.empty(n_labels + 1, dtype=np.int64)
        next_pos = np.empty(nbits + 1, dtype=np.int64)
        lo = c * n_query // n_chunks
        hi = (c + 1) * n_query // n_chunks
        for qi in range(lo, hi):
            _fill_graded(qi, query_words, db_words, query_masks, db_masks, buf)
            count[:] = 0
            gain_sum[:] = 0.0
            grade_count[:] = 0
            for j in range(n_db):
                v = buf[j]
                d = v >> np.uint64(32)
                g = v & np.uint64(0xFFFFFFFF)
                count[d] += 1
                gain_sum[d] += gains[g]
                grade_count[g] += 1
            # Ideal DCG@k: grades in decreasing order.
            ideal = 0.0
            p = 1
            for g in range(n_labels, 0, -1):
                for _ in range(grade_count[g]):
                    if p > k:
                        break
                    ideal += gains[g] * discounts[p]
                    p += 1
                if p > k:
                    break
            if ideal == 0.0:
                continue
            has_relevant[qi] = True
            dcg = 0.0
            if average:
                start = 0
                for d in range(nbits + 1):
                    n = count[d]
                    if n == 0:
                        continue
                    if start >= k:
                        break
                    stop = min(start + n, k)
                    disc = 0.0
                    for q in range(start + 1, stop + 1):
                        disc += discounts[q]
                    dcg += gain_sum[d] / n * disc
                    start += n
            else:
                pos = 1
                for d in range(nbits + 1):
                    next_pos[d] = pos
                    pos += count[d]
                for j in range(n_db):
                    v = buf[j]
                    d = v >> np.uint64(32)
                    q = next_pos[d]
                    next_pos[d] = q + 1
                    if q <= k:
                        dcg += gains[v & np.uint64(0xFFFFFFFF)] * discounts[q]
            ndcg[qi] = dcg / ideal
    return ndcg, has_relevant
