"""Exact top-k Hamming search by threshold pruning and counting selection.

For every (query, database part) the kernel keeps a small candidate buffer
(ids in ascending order with their distances), a histogram of the candidates'
distances and a threshold ``thr``: the smallest distance ``t`` such that at
least ``k`` candidates have distance ``<= t`` (``nbits + 1`` until ``k``
candidates are known).  A code at distance ``>= thr`` cannot be in the
top-k: ``k`` codes with a smaller or equal distance and a smaller id precede
it.  So the scan computes, vectorised and branch-free, which of each group
of 64 codes are at distance ``< thr`` (:func:`._popcount.next_group`) and
visits only those, appending them to the buffer and lowering ``thr`` as the
histogram fills.  Once the threshold has settled almost no code passes, and
the scan runs at the speed of XOR + popcount + compare.

When a buffer is full it is compacted to its ``k`` best entries (all with
``d < thr`` and the first ones with ``d == thr``; the buffer is in id order).
The parts' buffers are finally merged per query with a counting sort on the
distance, which is stable, so ties are ordered by ascending id.  No distance
matrix is ever formed and nothing is sorted by comparison.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._plan import plan_scan, prange_only, task_bounds
from ._popcount import GROUP, next_group, popcount, trailing_zeros

__all__ = ["topk_search"]

#: Bytes of candidate state allowed per kernel call (queries are chunked to fit).
STATE_BYTES = 64 * 1024 * 1024


@njit(cache=True, nogil=True)
def _compact(k, ids, dists, h, s, count, thr, cum):
    """Shrink slot ``s``'s full buffer to its k best entries; return (count, cum).

    Keeps every entry with ``d < thr`` and the first ``k - #(d < thr)`` entries
    with ``d == thr`` (the buffer is in id order, so these are the ones with
    the smallest ids).
    """
    below = cum - h[s, thr]
    keep_eq = k - below
    kept = 0
    for j in range(count):
        dj = dists[s, j]
        if dj < thr or (dj == thr and keep_eq > 0):
            if dj == thr:
                keep_eq -= 1
            ids[s, kept] = ids[s, j]
            dists[s, kept] = dj
            kept += 1
    h[s, thr] = k - below
    return kept, k


@njit(cache=True, nogil=True)
def _visit(g, m, qs, qo, db, W, k, cap, ids, dists, h, s, count, thr, cum):
    """Offer the codes ``g + i`` for the set bits ``i`` of ``m``; return (count, thr, cum)."""
    while m != 0:
        i = g + trailing_zeros(m)
        m &= m - np.uint64(1)
        d = 0
        for j in range(W):
            d += popcount(qs[qo + j] ^ db[i * W + j])
        if d < thr:
            if count == cap:
                count, cum = _compact(k, ids, dists, h, s, count, thr, cum)
            ids[s, count] = i
            dists[s, count] = d
            count += 1
            h[s, d] += 1
            cum += 1
            while cum - h[s, thr] >= k:
                cum -= h[s, thr]
                thr -= 1
    return count, thr, cum


@njit(parallel=prange_only(), cache=True, nogil=True)
def _topk_kernel(qs, db, W, nbits, k, qblock, nparts, dblock, cap):
    nq = qs.shape[0] // W
    n = db.shape[0] // W
    nslots = nq * nparts
    cand_ids = np.empty((nslots, cap), np.int64)
    cand_d = np.empty((nslots, cap), np.int32)
    counts = np.zeros(nslots, np.int64)
    hist = np.zeros((nslots, nbits + 2), np.int64)
    nqblocks = (nq + qblock - 1) // qblock
    for task in prange(nqblocks * nparts):
        p, qa, qz, ra, rz = task_bounds(task, nq, n, qblock, nparts)
        thrs = np.full(qz - qa, nbits + 1, np.int64)
        cums = np.zeros(qz - qa, np.int64)
        for b0 in range(ra, rz, dblock):
            b1 = min(rz, b0 + dblock)
            gz = b0 + (b1 - b0) // GROUP * GROUP
            for q in range(qa, qz):
                s = q * nparts + p
                qo = q * W
                thr = thrs[q - qa]
                cum = cums[q - qa]
                count = counts[s]
                g = b0
                while g < gz:
                    g, m = next_group(qs, qo, db, g, gz, W, thr)
                    count, thr, cum = _visit(g, m, qs, qo, db, W, k, cap, cand_ids, cand_d, hist, s,
                                             count, thr, cum)
                    g += GROUP
                # the last codes of the part, fewer than a group: visit them all
                tail = (np.uint64(1) << np.uint64(b1 - gz)) - np.uint64(1)
                count, thr, cum = _visit(gz, tail, qs, qo, db, W, k, cap, cand_ids, cand_d, hist, s,
                                         count, thr, cum)
                thrs[q - qa] = thr
                cums[q - qa] = cum
                counts[s] = count

    out_d = np.empty((nq, k), np.int32)
    out_i = np.empty((nq, k), np.int64)
    keff = min(k, n)
    for q in prange(nq):
        merged = np.zeros(nbits + 2, np.int64)  # histogram of the query's candidates, all parts
        for p in range(nparts):
            s = q * nparts + p
            for j in range(counts[s]):
                merged[cand_d[s, j]] += 1
        # t: smallest distance with #(d <= t) >= keff; below: #(d < t)
        t = 0
        below = 0
        while below + merged[t] < keff:
            below += merged[t]
            t += 1
        offsets = np.empty(t + 1, np.int64)
        acc = 0
        for d in range(t + 1):
            offsets[d] = acc
            acc += merged[d]
        need = keff - below
        for p in range(nparts):
            s = q * nparts + p
            for j in range(counts[s]):
                d = cand_d[s, j]
                if d < t or (d == t and need > 0):
                    if d == t:
                        need -= 1
                    pos = offsets[d]
                    offsets[d] = pos + 1
                    out_d[q, pos] = d
                    out_i[q, pos] = cand_ids[s, j]
        for j in range(keff, k):
            out_d[q, j] = nbits + 1
            out_i[q, j] = -1
    return out_d, out_i


def topk_search(qwords: np.ndarray, dbwords: np.ndarray, W: int, nbits: int, k: int,
                threads: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest codes of each query (the caller holds the numba thread count).

    Parameters
    ----------
    qwords : ndarray of shape (nq * W,)
        Query codes as words (see :mod:`hashx.search._words`).
    dbwords : ndarray of shape (n * W,), read-only
        Database codes as words, same dtype; ``n >= 1``.
    W : int
        Words per code.
    nbits : int
        Code length in bits.
    k : int
        Neighbours per query (``>= 1``; rows are padded past ``n``).
    threads : int
        Threads the kernel runs on (used to plan the task grid).

    Returns
    -------
    D : ndarray of shape (nq, k), dtype=int32
    I : ndarray of shape (nq, k), dtype=int64
    """
    nq = qwords.shape[0] // W
    n = dbwords.shape[0] // W
    width = W * dbwords.dtype.itemsize
    cap = int(min(2 * k + 64, n))  # candidate buffer per (query, part)
    pieces = []
    a = 0
    while a < nq:
        # bound the per-call candidate state (queries x parts x buffer and histogram)
        plan = plan_scan(nq - a, n, width, threads)
        z = min(nq, a + max(1, STATE_BYTES // (plan.nparts * (cap * 12 + (nbits + 2) * 8))))
        if z < nq:
            plan = plan_scan(z - a, n, width, threads)
        pieces.append(_topk_kernel(qwords[a * W:z * W], dbwords, W, nbits, k,
                                   plan.qblock, plan.nparts, plan.dblock, cap))
        a = z
    if len(pieces) == 1:
        return pieces[0]
    return np.concatenate([p[0] for p in pieces]), np.concatenate([p[1] for p in pieces])
