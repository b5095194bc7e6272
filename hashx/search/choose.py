"""choose_index: a linear scan or multi-index hashing, from the collection's size, the code length and k."""

from __future__ import annotations

from .._validation import check_int
from ._mih_cost import MIH_SPEEDUP_NEEDED, default_m, predicted_speedup
from .multi_index import MAX_MIH_NBITS

__all__ = ["choose_index"]


def choose_index(n: int, nbits: int, k: int, *, nq: int = 1) -> str:
    """Which index answers ``nq`` queries for the ``k`` nearest of ``n`` codes faster.

    Returns ``"mih"`` (:class:`~hashx.search.MultiIndexHammingIndex`) when
    the cost model of multi-index hashing predicts at least a
    ``MIH_SPEEDUP_NEEDED``-fold (2x) speed-up over the linear scan of
    :class:`~hashx.search.HammingIndex`, and ``"exact"`` otherwise.  The model
    (:mod:`hashx.search._mih_cost`) counts, for uniform random codes, the
    lookups and the codes a query verifies with the default number of tables,
    against the codes a scan reads; a batch of 8 or more queries shares the
    scan's reads, which helps the scan more than MIH.  Its constants were
    fitted to measurements on a 2-core AMD EPYC (Zen 5) VM
    (``benchmarks/results/2026-12-01-mih_speed-amd.md``).  What it
    gives, single queries (batches of 1,000 in parentheses where they
    differ):

    ==========  ============  ============  ============
    codes       k = 1         k = 10        k = 100
    ==========  ============  ============  ============
    1M x 32     mih           mih           mih (exact)
    1M x 64     mih (exact)   exact         exact
    10M x 64    mih           mih           mih
    1M x 128    exact         exact         exact
    10M x 128   mih (exact)   exact         exact
    100M x 64   mih           mih           mih
    1B x 64     mih           mih           mih
    1B x 128    mih           mih           mih
    ==========  ============  ============  ============

    Clustered codes (a trained model's) have closer neighbours than random
    ones, so MIH does better on them than predicted here.

    Parameters
    ----------
    n : int
        Codes in the database, ``>= 0``.
    nbits : int
        Code length in bits.
    k : int
        Neighbours per query, ``>= 1``.
    nq : int, default=1
        Queries per call.

    Returns
    -------
    {"exact", "mih"}
    """
    n = check_int(n, "n", caller="choose_index", min_value=0)
    nbits = check_int(nbits, "nbits", caller="choose_index", min_value=8)
    k = check_int(k, "k", caller="choose_index", min_value=1)
    nq = check_int(nq, "nq", caller="choose_index", min_value=1)
    if nbits > MAX_MIH_NBITS or nbits % 8 or k >= n:
        return "exact"
    speedup = predicted_speedup(n, nbits, default_m(n, nbits), k, nq)
    return "mih" if speedup >= MIH_SPEEDUP_NEEDED else "exact"
