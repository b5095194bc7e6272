"""How a scan is split into parallel tasks and cache blocks.

Every kernel scans a grid of tasks: a task is one block of queries against one
contiguous part of the database.  Within a task the database part is walked in
cache blocks (about 256 KiB); each block is scanned by every query of the task
before the next block is loaded, so the database is read from memory once per
query block rather than once per query.

* Many queries: one part, query blocks spread over the threads (each query is
  scanned by one thread, like faiss, but blocked for cache).
* Few queries (fewer than four per thread): one query per block and the
  database cut into several parts per query, so even a single query uses every
  thread; the parts' partial results are merged afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

from numba import njit

from ._popcount import GROUP

__all__ = ["ScanPlan", "plan_scan", "part_start", "task_bounds", "prange_only"]

#: Database bytes per cache block.
CACHE_BLOCK_BYTES = 256 * 1024
#: Most queries in one task (bounds the per-task working set).
MAX_QUERY_BLOCK = 256
#: Fewest database rows worth a part of their own.
MIN_PART_ROWS = 16384


@dataclass(frozen=True)
class ScanPlan:
    """A split of ``nq`` queries x ``n`` codes into parallel tasks.

    Attributes
    ----------
    qblock : int
        Queries per task.
    nparts : int
        Contiguous database parts per query (results are merged over parts).
    dblock : int
        Database rows per cache block (a multiple of ``GROUP``).
    """

    qblock: int
    nparts: int
    dblock: int


def plan_scan(nq: int, n: int, row_bytes: int, threads: int) -> ScanPlan:
    """Choose the task grid for ``nq`` queries against ``n`` codes of ``row_bytes`` bytes."""
    dblock = max(GROUP, (CACHE_BLOCK_BYTES // row_bytes) // GROUP * GROUP)
    nq = max(nq, 1)
    if threads == 1:
        return ScanPlan(qblock=min(nq, MAX_QUERY_BLOCK), nparts=1, dblock=dblock)
    if nq >= 4 * threads:
        nblocks = threads * -(-nq // (threads * MAX_QUERY_BLOCK))
        return ScanPlan(qblock=-(-nq // nblocks), nparts=1, dblock=dblock)
    nparts = -(-4 * threads // nq)
    nparts = max(1, min(nparts, n // MIN_PART_ROWS))
    return ScanPlan(qblock=1, nparts=nparts, dblock=dblock)


@njit(cache=True, nogil=True)
def part_start(n, nparts, p):
    """First row of database part ``p`` of ``nparts`` (a multiple of ``GROUP``; ``n`` for ``p == nparts``)."""
    if p >= nparts:
        return n
    return ((n * p) // nparts) // GROUP * GROUP


@njit(cache=True, inline="always")
def task_bounds(task, nq, n, qblock, nparts):
    """Task ``task`` of the grid: its database part ``p``, queries ``qa..qz-1`` and rows ``ra..rz-1``."""
    qb = task // nparts
    p = task - qb * nparts
    qa = qb * qblock
    return p, qa, min(nq, qa + qblock), part_start(n, nparts, p), part_start(n, nparts, p + 1)


def prange_only() -> dict:
    """numba ``parallel=`` options: parallelise explicit ``prange`` loops only.

    Leaves numpy calls (``np.zeros`` ...) and array expressions sequential, so
    each kernel compiles one parallel region per ``prange`` and nothing more.
    A new dict each call (numba consumes it).
    """
    return dict(prange=True, comprehension=False, reduction=False, inplace_binop=False,
                setitem=False, numpy=False, stencil=False, fusion=False)
