"""Full ranking of the database for each query, by counting sort.

Distances are integers in ``[0, nbits]``, so each query's database is ordered
by (distance, id) in linear time:

1. the distances of the query to a part of the database, vectorised, are
   written straight into the query's row of the output ``D`` (unsorted for
   now), and their histogram is taken;
2. exclusive prefix sums over (distance, part) give every part its output
   offset for each distance; parts are in id order, so the placement is
   stable and ties stay in ascending id order;
3. each part scatters its ids to their offsets;
4. the row of ``D`` is overwritten with the sorted distances (one run per
   distance).

Work is split over queries when there are several per thread (each query's
four steps then run back to back on one thread, while its row is in cache),
and over database parts of each query otherwise.  The histograms use four
interleaved tables, so that consecutive equal distances do not wait on each
other's increment.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numba import njit, prange

from ._plan import part_start, plan_scan, prange_only
from ._popcount import distances

__all__ = ["RANK_DTYPE", "rank_chunks"]

#: dtype of the distances returned by :func:`rank_chunks`.
RANK_DTYPE = np.dtype(np.uint16)


@njit(cache=True, nogil=True)
def _histogram(row, a, z, nbits, out):
    """``out[d]`` = number of ``row[a:z]`` equal to d (four interleaved tables)."""
    h = np.zeros((4, nbits + 1), np.int64)
    m = a + (z - a) // 4 * 4
    for i in range(a, m, 4):
        h[0, row[i]] += 1
        h[1, row[i + 1]] += 1
        h[2, row[i + 2]] += 1
        h[3, row[i + 3]] += 1
    for i in range(m, z):
        h[0, row[i]] += 1
    for d in range(nbits + 1):
        out[d] = h[0, d] + h[1, d] + h[2, d] + h[3, d]


@njit(cache=True, nogil=True)
def _rank_one(qs, q, db, W, nbits, row, ids):
    """Rank the whole database for query ``q`` on one thread (all four steps)."""
    n = db.shape[0] // W
    distances(qs, q * W, db, 0, n, W, row)
    offsets = np.empty(nbits + 1, np.int64)
    _histogram(row, 0, n, nbits, offsets)
    start = 0
    for d in range(nbits + 1):
        c = offsets[d]
        offsets[d] = start
        start += c
    for i in range(n):
        d = row[i]
        ids[offsets[d]] = i
        offsets[d] += 1
    pos = 0
    for d in range(nbits + 1):
        for i in range(pos, offsets[d]):
            row[i] = d
        pos = offsets[d]


@njit(parallel=prange_only(), cache=True, nogil=True)
def _rank_kernel(qs, db, W, nbits, nparts, out_d, out_i):
    nq = qs.shape[0] // W
    n = db.shape[0] // W
    if nparts == 1:
        # one query per task: its row stays in cache from one step to the next
        for q in prange(nq):
            _rank_one(qs, q, db, W, nbits, out_d[q], out_i[q])
        return
    tables = np.zeros((nq * nparts, nbits + 1), np.int64)

    # 1. distances (unsorted) and per-part histograms
    for task in prange(nq * nparts):
        q = task // nparts
        p = task - q * nparts
        row = out_d[q]
        ra = part_start(n, nparts, p)
        rz = part_start(n, nparts, p + 1)
        distances(qs, q * W, db, ra, rz, W, row)
        _histogram(row, ra, rz, nbits, tables[task])

    # 2. histograms -> offsets, ordered by (distance, part)
    for q in range(nq):
        start = 0
        for d in range(nbits + 1):
            for p in range(nparts):
                c = tables[q * nparts + p, d]
                tables[q * nparts + p, d] = start
                start += c

    # 3. scatter the ids
    for task in prange(nq * nparts):
        q = task // nparts
        p = task - q * nparts
        row = out_d[q]
        ids = out_i[q]
        o = tables[task]
        for i in range(part_start(n, nparts, p), part_start(n, nparts, p + 1)):
            d = row[i]
            ids[o[d]] = i
            o[d] += 1

    # 4. sorted distances: after the scatter, the last part's offset for
    #    distance d is the end of d's run
    for q in prange(nq):
        row = out_d[q]
        last = tables[q * nparts + nparts - 1]
        pos = 0
        for d in range(nbits + 1):
            end = last[d]
            for i in range(pos, end):
                row[i] = d
            pos = max(pos, end)


def rank_chunks(qwords: np.ndarray, dbwords: np.ndarray, W: int, nbits: int, threads: int,
                chunk: int, reuse: bool = False) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Yield ``(start, D, I)`` for consecutive chunks of at most ``chunk`` queries.

    ``D`` (uint16) and ``I`` (int64) have shape (rows, n): row ``r`` is query
    ``start + r``'s whole database ordered by (distance, id).  With ``reuse``
    every chunk is written into the same two arrays (fresh memory costs a page
    fault per page; refilled memory does not).  The caller sets the numba
    thread count around each ``next()``.
    """
    nq = qwords.shape[0] // W
    n = dbwords.shape[0] // W
    out_d = out_i = None
    for a in range(0, nq, chunk):
        z = min(nq, a + chunk)
        plan = plan_scan(z - a, n, W * dbwords.dtype.itemsize, threads)
        if out_d is None or not reuse:
            out_d = np.empty((z - a, n), RANK_DTYPE)
            out_i = np.empty((z - a, n), np.int64)
        d, i = out_d[: z - a], out_i[: z - a]
        _rank_kernel(qwords[a * W:z * W], dbwords, W, nbits, plan.nparts, d, i)
        yield a, d, i
