"""Exact range search: every code within a Hamming radius of each query.

Two passes over the same task grid as the top-k scan (:mod:`._plan`):

1. count, for each (query, database part), the matches at each distance
   ``0..radius``: a vectorised, branch-free pass marks which of each group of
   64 codes are within the radius (:func:`._popcount.next_group`) and only
   those are visited;
2. turn the counts into output offsets ordered by (distance, part), then scan
   again and write each match at its offset.

Within a query the results are therefore ordered by (distance, id); faiss's
``range_search`` orders them by id instead.  The output is allocated once,
at its exact size.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._plan import plan_scan, prange_only, task_bounds
from ._popcount import GROUP, next_group, popcount, trailing_zeros

__all__ = ["range_search"]

#: Bytes of per-query tables allowed per kernel call (queries are chunked to fit).
STATE_BYTES = 64 * 1024 * 1024


@njit(cache=True, nogil=True)
def _visit_count(g, m, qs, qo, db, W, radius, counts, s):
    """Count, by distance, the codes ``g + i`` (set bits ``i`` of ``m``) within the radius."""
    while m != 0:
        i = g + trailing_zeros(m)
        m &= m - np.uint64(1)
        d = 0
        for j in range(W):
            d += popcount(qs[qo + j] ^ db[i * W + j])
        if d <= radius:
            counts[s, d] += 1


@njit(cache=True, nogil=True)
def _visit_write(g, m, qs, qo, db, W, radius, offsets, s, out_d, out_i):
    """Write the codes ``g + i`` (set bits ``i`` of ``m``) within the radius at their offsets."""
    while m != 0:
        i = g + trailing_zeros(m)
        m &= m - np.uint64(1)
        d = 0
        for j in range(W):
            d += popcount(qs[qo + j] ^ db[i * W + j])
        if d <= radius:
            pos = offsets[s, d]
            offsets[s, d] = pos + 1
            out_d[pos] = d
            out_i[pos] = i


@njit(parallel=prange_only(), cache=True, nogil=True)
def _range_kernel(qs, db, W, radius, qblock, nparts, dblock):
    nq = qs.shape[0] // W
    n = db.shape[0] // W
    nslots = nq * nparts
    nqblocks = (nq + qblock - 1) // qblock
    counts = np.zeros((nslots, radius + 1), np.int64)
    for task in prange(nqblocks * nparts):
        p, qa, qz, ra, rz = task_bounds(task, nq, n, qblock, nparts)
        for b0 in range(ra, rz, dblock):
            b1 = min(rz, b0 + dblock)
            gz = b0 + (b1 - b0) // GROUP * GROUP
            for q in range(qa, qz):
                qo = q * W
                s = q * nparts + p
                g = b0
                while g < gz:
                    g, m = next_group(qs, qo, db, g, gz, W, radius + 1)
                    _visit_count(g, m, qs, qo, db, W, radius, counts, s)
                    g += GROUP
                tail = (np.uint64(1) << np.uint64(b1 - gz)) - np.uint64(1)
                _visit_count(gz, tail, qs, qo, db, W, radius, counts, s)

    # offsets[s, d]: where the next match of slot s at distance d goes
    lims = np.zeros(nq + 1, np.int64)
    offsets = np.empty((nslots, radius + 1), np.int64)
    total = 0
    for q in range(nq):
        for d in range(radius + 1):
            for p in range(nparts):
                s = q * nparts + p
                offsets[s, d] = total
                total += counts[s, d]
        lims[q + 1] = total

    out_d = np.empty(total, np.int32)
    out_i = np.empty(total, np.int64)
    for task in prange(nqblocks * nparts):
        p, qa, qz, ra, rz = task_bounds(task, nq, n, qblock, nparts)
        for b0 in range(ra, rz, dblock):
            b1 = min(rz, b0 + dblock)
            gz = b0 + (b1 - b0) // GROUP * GROUP
            for q in range(qa, qz):
                qo = q * W
                s = q * nparts + p
                g = b0
                while g < gz:
                    g, m = next_group(qs, qo, db, g, gz, W, radius + 1)
                    _visit_write(g, m, qs, qo, db, W, radius, offsets, s, out_d, out_i)
                    g += GROUP
                tail = (np.uint64(1) << np.uint64(b1 - gz)) - np.uint64(1)
                _visit_write(gz, tail, qs, qo, db, W, radius, offsets, s, out_d, out_i)
    return lims, out_d, out_i


def range_search(qwords: np.ndarray, dbwords: np.ndarray, W: int, radius: int,
                 threads: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All codes within ``radius`` of each query (caller holds the numba thread count).

    Parameters
    ----------
    qwords : ndarray of shape (nq * W,)
        Query codes as words (see :mod:`hashx.search._words`).
    dbwords : ndarray of shape (n * W,), read-only
        Database codes as words, same dtype; ``n >= 1``.
    W : int
        Words per code.
    radius : int
        Largest distance returned, ``0 <= radius <= nbits``.
    threads : int
        Threads the kernel runs on (used to plan the task grid).

    Returns
    -------
    lims : ndarray of shape (nq + 1,), dtype=int64
    D : ndarray of shape (lims[-1],), dtype=int32
    I : ndarray of shape (lims[-1],), dtype=int64
    """
    nq = qwords.shape[0] // W
    n = dbwords.shape[0] // W
    width = W * dbwords.dtype.itemsize
    pieces = []
    a = 0
    while a < nq:
        # bound the per-call tables (nq * nparts * (radius + 1) counts and offsets)
        plan = plan_scan(nq - a, n, width, threads)
        z = min(nq, a + max(1, STATE_BYTES // (plan.nparts * (radius + 1) * 16)))
        if z < nq:
            plan = plan_scan(z - a, n, width, threads)
        pieces.append(_range_kernel(qwords[a * W:z * W], dbwords, W, radius, plan.qblock, plan.nparts, plan.dblock))
        a = z
    if len(pieces) == 1:
        return pieces[0]
    lims = [np.zeros(1, np.int64)]
    base = 0
    for piece_lims, piece_d, _ in pieces:
        lims.append(piece_lims[1:] + base)
        base += piece_d.shape[0]
    return (np.concatenate(lims), np.concatenate([p[1] for p in pieces]),
            np.concatenate([p[2] for p in pieces]))
