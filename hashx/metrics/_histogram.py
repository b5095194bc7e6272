"""numba kernels: per-query Hamming-distance histograms split by relevance.

For one query, the scan over the database writes one 32-bit word per item,
``(distance << 1) | relevant``, into a per-thread buffer (fusing the popcount of
the code XOR and the AND of the label bitmasks).  Everything else is derived
from that buffer in O(n_db + nbits) without sorting:

* the two histograms ``all_hist[d]`` (items at distance ``d``) and
  ``rel_hist[d]`` (relevant items at distance ``d``), from which MAP with tied
  ranks averaged, precision/recall at k with ties averaged and the PR curve follow;
* the exact ranking with ties broken by database index: an item at distance
  ``d`` sits at position ``1 + #{items at distance < d} + #{items at distance d
  with a smaller index}``.  A second walk over the buffer in index order keeps
  one running counter per distance, so each item learns its position (and each
  relevant item its rank among relevant items) in O(1).

Queries are processed in parallel (``prange`` over chunks of queries, one
buffer per chunk).  The full (n_query, n_db) distance or ranking matrix is
never built.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._popcount import popcount64

__all__ = [
    "relevance_histograms",
    "precision_sums_index",
    "ranked_relevance_counts_index",
]


@njit(cache=True, inline="always")
def _fill(qi, query_words, db_words, query_masks, db_masks, buf):
    """buf[j] = (hamming(query qi, item j) << 1) | (query qi and item j share a label)."""
    n_db = db_words.shape[0]
    if db_words.shape[1] == 1 and db_masks.shape[1] == 1:
        # One code word and one label word: a loop LLVM vectorises.
        code = query_words[qi, 0]
        mask = query_masks[qi, 0]
        words = db_words.reshape(n_db)
        masks = db_masks.reshape(n_db)
        for j in range(n_db):
            buf[j] = (np.uint32(popcount64(code ^ words[j])) << np.uint32(1)) | np.uint32(
                (mask & masks[j]) != 0
            )
    else:
        n_code = db_words.shape[1]
        n_mask = db_masks.shape[1]
        for j in range(n_db):
            dist = np.uint64(0)
            for w in range(n_code):
                dist += popcount64(query_words[qi, w] ^ db_words[j, w])
            shared = np.uint64(0)
            for w in range(n_mask):
                shared |= query_masks[qi, w] & db_masks[j, w]
            buf[j] = (np.uint32(dist) << np.uint32(1)) | np.uint32(shared != 0)


@njit(cache=True, inline="always")
def _histogram(buf, nbits, scratch, all_row, rel_row):
    """Fill all_row[d] / rel_row[d] from the buffer (4 partial histograms break store chains)."""
    scratch[:] = 0
    n = buf.shape[0]
    n4 = n - n % 4
    for j in range(0, n4, 4):
        scratch[0, buf[j]] += 1
        scratch[1, buf[j + 1]] += 1
        scratch[2, buf[j + 2]] += 1
        scratch[3, buf[j + 3]] += 1
    for j in range(n4, n):
        scratch[0, buf[j]] += 1
    for d in range(nbits + 1):
        irrelevant = scratch[0, 2 * d] + scratch[1, 2 * d] + scratch[2, 2 * d] + scratch[3, 2 * d]
        relevant = scratch[0, 2 * d + 1] + scratch[1, 2 * d + 1] + scratch[2, 2 * d + 1] + scratch[3, 2 * d + 1]
        all_row[d] = irrelevant + relevant
        rel_row[d] = relevant


@njit(cache=True, inline="always")
def _chunk_bounds(c, n_chunks, n_query):
    """Queries [lo, hi) of chunk c (n_chunks chunks, one buffer each, processed in parallel)."""
    return c * n_query // n_chunks, (c + 1) * n_query // n_chunks


@njit(cache=True, parallel=True)
def relevance_histograms(query_words, db_words, query_masks, db_masks, nbits, n_chunks):
    """Per-query histograms of Hamming distance, all items and relevant items.

    Parameters
    ----------
    query_words, db_words : ndarray of shape (n, code_words), dtype=uint64
    query_masks, db_masks : ndarray of shape (n, label_words), dtype=uint64
    nbits : int
    n_chunks : int
        Queries are split into this many chunks, processed in parallel.

    Returns
    -------
    all_hist, rel_hist : ndarray of shape (n_query, nbits + 1), dtype=int64
    """
    n_query = query_words.shape[0]
    n_db = db_words.shape[0]
    all_hist = np.zeros((n_query, nbits + 1), dtype=np.int64)
    rel_hist = np.zeros((n_query, nbits + 1), dtype=np.int64)
    n_chunks = min(n_query, n_chunks)
    for c in prange(n_chunks):
        buf = np.empty(n_db, dtype=np.uint32)
        scratch = np.empty((4, 2 * (nbits + 1)), dtype=np.int64)
        lo, hi = _chunk_bounds(c, n_chunks, n_query)
        for qi in range(lo, hi):
            _fill(qi, query_words, db_words, query_masks, db_masks, buf)
            _histogram(buf, nbits, scratch, all_hist[qi], rel_hist[qi])
    return all_hist, rel_hist


@njit(cache=True, inline="always")
def _start_positions(all_row, rel_row, nbits, next_pos, next_rank):
    """next_pos[d] = 1 + #items closer than d; next_rank[d] = 1 + #relevant items closer than d."""
    pos = 1
    rank = 1
    for d in range(nbits + 1):
        next_pos[d] = pos
        next_rank[d] = rank
        pos += all_row[d]
        rank += rel_row[d]


@njit(cache=True, inline="always")
def _walk_buffers(n_db, nbits):
    """One thread's buffers for a walk: the query buffer, histogram scratch, next position and rank per distance."""
    buf = np.empty(n_db, dtype=np.uint32)
    scratch = np.empty((4, 2 * (nbits + 1)), dtype=np.int64)
    next_pos = np.empty(nbits + 1, dtype=np.int64)
    next_rank = np.empty(nbits + 1, dtype=np.int64)
    return buf, scratch, next_pos, next_rank


@njit(cache=True, inline="always")
def _advance(v, next_pos, next_rank):
    """Place the item with buffer word v: its position, relevance (0/1) and rank among relevant items so far."""
    d = v >> 1
    r = np.int64(v & 1)
    p = next_pos[d]
    next_pos[d] = p + 1
    rank = next_rank[d]
    next_rank[d] = rank + r
    return p, r, rank


@njit(cache=True, inline="always")
def _scan_query(qi, query_words, db_words, query_masks, db_masks, nbits, buf, scratch, all_row, rel_row,
                next_pos, next_rank):
    """One query's buffer, histograms and start positions; returns its number of relevant items."""
    _fill(qi, query_words, db_words, query_masks, db_masks, buf)
    _histogram(buf, nbits, scratch, all_row, rel_row)
    _start_positions(all_row, rel_row, nbits, next_pos, next_rank)
    total = 0
    for d in range(nbits + 1):
        total += rel_row[d]
    return total


@njit(cache=True, inline="always")
def _items_within(all_row, radius):
    """Items at distance <= radius."""
    count = 0
    for d in range(radius + 1):
        count += all_row[d]
    return count


@njit(cache=True, inline="always")
def _cut_distance(all_row, nbits, k):
    """Smallest distance d whose bucket reaches position k (k <= n_db)."""
    seen = 0
    for d in range(nbits + 1):
        seen += all_row[d]
        if seen >= k:
            return d
    return nbits


@njit(cache=True, parallel=True)
def precision_sums_index(query_words, db_words, query_masks, db_masks, nbits, k, n_chunks):
    """Sum of precisions at the relevant items of the top ``k``, ties by database index.

    The ranking sorts by Hamming distance, equal distances by database index
    (what a stable sort of the distances gives).  ``k`` must satisfy
    ``1 <= k <= n_db``; the other parameters are those of :func:`relevance_histograms`.

    Returns
    -------
    precision_sum : ndarray of shape (n_query,), dtype=float64
        Sum over relevant items at positions p <= k of (relevant items at
        positions <= p) / p.
    relevant_in_top_k : ndarray of shape (n_query,), dtype=int64
    relevant_total : ndarray of shape (n_query,), dtype=int64
    """
    n_query = query_words.shape[0]
    n_db = db_words.shape[0]
    precision_sum = np.zeros(n_query, dtype=np.float64)
    relevant_in_top_k = np.zeros(n_query, dtype=np.int64)
    relevant_total = np.zeros(n_query, dtype=np.int64)
    n_chunks = min(n_query, n_chunks)
    for c in prange(n_chunks):
        buf, scratch, next_pos, next_rank = _walk_buffers(n_db, nbits)
        all_row = np.empty(nbits + 1, dtype=np.int64)
        rel_row = np.empty(nbits + 1, dtype=np.int64)
        lo, hi = _chunk_bounds(c, n_chunks, n_query)
        for qi in range(lo, hi):
            total = _scan_query(qi, query_words, db_words, query_masks, db_masks, nbits, buf, scratch, all_row,
                                rel_row, next_pos, next_rank)
            relevant_total[qi] = total
            s = 0.0
            hits = 0
            cut = _cut_distance(all_row, nbits, k)
            if k >= n_db:
                # Whole ranking: branch-free walk.
                for j in range(n_db):
                    p, r, rank = _advance(buf[j], next_pos, next_rank)
                    s += (r * rank) / p
                hits = total
            elif 8 * _items_within(all_row, cut) <= n_db:
                # Few items reach the cut distance: skipping the others is a predictable branch.
                for j in range(n_db):
                    v = buf[j]
                    d = v >> 1
                    if d > cut:
                        continue
                    p = next_pos[d]
                    next_pos[d] = p + 1
                    if v & 1:
                        rank = next_rank[d]
                        next_rank[d] = rank + 1
                        if p <= k:
                            s += rank / p
                            hits += 1
            else:
                # Branch-free walk with the cut (relevance and the cut are unpredictable branches).
                for j in range(n_db):
                    p, r, rank = _advance(buf[j], next_pos, next_rank)
                    r *= np.int64(p <= k)
                    s += (r * rank) / p
                    hits += r
            precision_sum[qi] = s
            relevant_in_top_k[qi] = hits
    return precision_sum, relevant_in_top_k, relevant_total


@njit(cache=True, parallel=True)
def ranked_relevance_counts_index(query_words, db_words, query_masks, db_masks, nbits, ks, n_chunks):
    """Number of relevant items in the top k for several k, ties by database index.

    Parameters
    ----------
    ks : ndarray of shape (m,), dtype=int64
        Cut-offs with ``1 <= k <= n_db``; the other parameters are those of
        :func:`relevance_histograms`.

    Returns
    -------
    counts : ndarray of shape (n_query, m), dtype=int64
        Relevant items among the first ``ks[i]`` positions of each query's ranking.
    relevant_total : ndarray of shape (n_query,), dtype=int64
    """
    n_query = query_words.shape[0]
    n_db = db_words.shape[0]
    n_k = ks.shape[0]
    k_max = 1
    for i in range(n_k):
        k_max = max(k_max, ks[i])
    counts = np.zeros((n_query, n_k), dtype=np.int64)
    relevant_total = np.zeros(n_query, dtype=np.int64)
    n_chunks = min(n_query, n_chunks)
    for c in prange(n_chunks):
        buf, scratch, next_pos, next_rank = _walk_buffers(n_db, nbits)
        all_row = np.empty(nbits + 1, dtype=np.int64)
        rel_row = np.empty(nbits + 1, dtype=np.int64)
        ranked = np.empty(k_max + 2, dtype=np.int64)
        lo, hi = _chunk_bounds(c, n_chunks, n_query)
        for qi in range(lo, hi):
            relevant_total[qi] = _scan_query(qi, query_words, db_words, query_masks, db_masks, nbits, buf,
                                             scratch, all_row, rel_row, next_pos, next_rank)
            cut = _cut_distance(all_row, nbits, k_max)
            # ranked[p] = 1 if the item at position p (1-based, p <= k_max) is relevant
            if 8 * _items_within(all_row, cut) <= n_db:
                for j in range(n_db):
                    v = buf[j]
                    d = v >> 1
                    if d > cut:
                        continue
                    p = next_pos[d]
                    next_pos[d] = p + 1
                    if p <= k_max:
                        ranked[p] = v & 1
            else:
                # Branch-free: positions past k_max all write to the spare slot k_max + 1.
                for j in range(n_db):
                    v = buf[j]
                    d = v >> 1
                    p = next_pos[d]
                    next_pos[d] = p + 1
                    ranked[min(p, k_max + 1)] = v & 1
            running = 0
            ranked[0] = 0
            for p in range(1, k_max + 1):
                running += ranked[p]
                ranked[p] = running
            for i in range(n_k):
                counts[qi, i] = ranked[ks[i]]
    return counts, relevant_total
