"""The cost model of multi-index hashing: the default ``m``, the per-query budget, and exact vs MIH.

Costs are in *units*: verifying 8 bytes of code costs 1, so a candidate or a
scanned code costs its row bytes / 8 (1 for 64-bit codes, 2 for 128-bit
codes), and a probe costs :data:`~._mih_search.PROBE_UNITS`.

For uniform random codes (the hard case: no structure to exploit) the model
predicts a query's work exactly in expectation: the ``k``-th nearest of ``n``
codes lies at about the smallest ``d`` with ``n * P(Binomial(nbits, 1/2) <= d)
>= k``; the search runs the steps ``(r, j)`` up to the first with
``m * r + j >= d``, and step ``(r, j)`` makes ``C(s_j, r)`` probes that find
``n / 2**s_j`` codes each on average.  Clustered codes (a trained model's)
have closer neighbours and stop earlier, so the model is conservative for
them.

A linear scan of ``n`` codes costs ``n`` code units for one query.  A batch of
many queries is scanned block by block with the database in cache, which the
measurements put at about :data:`BATCH_SCAN_FACTOR` of that per query, while
MIH's cost per query does not shrink with the batch.
"""

from __future__ import annotations

import math
from functools import lru_cache

from ._mih_search import PROBE_UNITS
from ._mih_tables import MAX_SUBSTRING_BITS, substring_lengths
from ._words import row_bytes

__all__ = ["MAX_TABLES", "BATCH_SCAN_FACTOR", "DESIGN_K", "MIH_SPEEDUP_NEEDED", "kth_distance", "mih_units",
           "scan_units", "default_m", "m_range"]

#: Most substrings (tables) an index may have.
MAX_TABLES = 64
#: Per-query cost of a blocked scan of many queries, relative to a single query's scan.
BATCH_SCAN_FACTOR = 0.25
#: The k the default m is chosen for.
DESIGN_K = 10
#: Predicted speed-up over the scan needed before ``choose_index`` picks MIH.
MIH_SPEEDUP_NEEDED = 2.0


def code_units(nbits: int) -> float:
    """Cost units of verifying one code (its row bytes / 8)."""
    return row_bytes(nbits) / 8


@lru_cache(maxsize=4096)
def kth_distance(n: int, nbits: int, k: int) -> int:
    """Expected distance of the k-th nearest of ``n`` uniform random codes to a query (``nbits`` when k >= n)."""
    if k >= n:
        return nbits
    total = 0
    for d in range(nbits + 1):
        total += math.comb(nbits, d)
        if n * total >= k * 2**nbits:
            return d
    return nbits  # pragma: no cover - the loop ends at d = nbits


def m_range(nbits: int) -> range:
    """The valid numbers of substrings for ``nbits``-bit codes."""
    return range(-(-nbits // MAX_SUBSTRING_BITS), min(nbits, MAX_TABLES) + 1)


@lru_cache(maxsize=4096)
def mih_units(n: int, nbits: int, m: int, k: int) -> float:
    """Predicted work of one query (uniform random codes) with ``m`` tables, in cost units."""
    lengths = substring_lengths(nbits, m)
    target = kth_distance(n, nbits, k)
    per_code = code_units(nbits)
    units = 0.0
    r = 0
    while True:
        for j, s in enumerate(lengths):
            if r <= s:
                probes = math.comb(s, r)
                units += probes * (PROBE_UNITS + per_code * n / 2**s)
            if m * r + j >= target:
                return units
        r += 1


def scan_units(n: int, nbits: int, nq: int = 1) -> float:
    """Cost of a linear scan per query, in cost units (a batch shares its reads)."""
    factor = 1.0 if nq < 8 else BATCH_SCAN_FACTOR
    return n * code_units(nbits) * factor


@lru_cache(maxsize=4096)
def default_m(n: int, nbits: int) -> int:
    """The number of tables with the least predicted work at ``k = DESIGN_K`` (ties: fewer tables)."""
    n = max(n, 2)
    return min(m_range(nbits), key=lambda m: (mih_units(n, nbits, m, DESIGN_K), m))
