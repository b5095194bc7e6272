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

Measured against a linear scan (one thread, CPU time, single queries, 1M
and 10M codes of 64 and 128 bits, k = 1, 10, 100, every m near the best, on
a 2-core AMD EPYC Zen 5 VM; ``benchmarks/results/2026-12-01-mih_speed-amd.md``),
a probe costs about :data:`~._mih_search.PROBE_UNITS` candidates (60: with
that value the model's ``m`` was the fastest measured in all 12 cases), and a
unit of MIH work (probes reach random places, runs are short) costs
:data:`MIH_UNIT_COST` units of a scan that streams from memory; a scan of a
database small enough for the caches (:data:`CACHED_SCAN_BYTES`) costs
:data:`CACHED_SCAN_FACTOR` of that.  A batch of many queries is scanned block
by block with the database in cache, which helps the scan more than MIH:
MIH's speed-up over the scan for a batch is :data:`BATCH_FACTOR` of its
speed-up for single queries.  With these constants the model's speed-ups were
within 0.77-1.94x of the measured ones (10.6x predicted, 12.5x measured at 10M x
64 bits, k = 10); on other machines :func:`predicted_speedup` can be compared
with what ``benchmarks/mih_speed.py`` measures.  The constants are
host-dependent: on a Skylake-SP-class Xeon the same calibration found the
model's ``m`` up to 1.25x slower than the best (mean 1.08; m = 5 beat m = 4
at 10M x 64 bits for k >= 10) and least regret at ``PROBE_UNITS = 200``
(``benchmarks/results/2026-12-01-mih_speed-skylake.md``).
"""

from __future__ import annotations

import math
from functools import lru_cache

from ._mih_search import PROBE_UNITS
from ._mih_tables import MAX_SUBSTRING_BITS, substring_lengths
from ._words import row_bytes

__all__ = ["MAX_TABLES", "DESIGN_K", "MIH_SPEEDUP_NEEDED", "MIH_UNIT_COST", "CACHED_SCAN_BYTES",
           "CACHED_SCAN_FACTOR", "BATCH_FACTOR", "kth_distance", "mih_units", "scan_cost", "predicted_speedup",
           "budget_units", "default_m", "m_range"]

#: Most substrings (tables) an index may have.
MAX_TABLES = 64
#: Cost of one unit of MIH work in units of a scan streaming from memory.
MIH_UNIT_COST = 2.0
#: Databases up to this size are scanned from the caches ...
CACHED_SCAN_BYTES = 32 * 2**20
#: ... at this fraction of the cost.
CACHED_SCAN_FACTOR = 0.5
#: MIH's speed-up over the scan for a batch of 8 or more queries, relative to single queries.
BATCH_FACTOR = 0.35
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


def scan_cost(n: int, nbits: int, nq: int = 1) -> float:
    """Cost of a linear scan per query, in scan units (see the module docstring)."""
    cost = n * code_units(nbits)
    if n * row_bytes(nbits) <= CACHED_SCAN_BYTES:
        cost *= CACHED_SCAN_FACTOR
    return cost * (BATCH_FACTOR if nq >= 8 else 1.0)


def predicted_speedup(n: int, nbits: int, m: int, k: int, nq: int = 1) -> float:
    """The scan's cost over MIH's, for uniform random codes."""
    return scan_cost(n, nbits, nq) / (mih_units(max(n, 2), nbits, m, k) * MIH_UNIT_COST)


def budget_units(n: int, nbits: int, nq: int = 1) -> float:
    """Work (in MIH units, as the kernels count it) a query may spend before the scan is cheaper."""
    return scan_cost(n, nbits, nq) / MIH_UNIT_COST


@lru_cache(maxsize=4096)
def default_m(n: int, nbits: int) -> int:
    """The number of tables with the least predicted work at ``k = DESIGN_K`` (ties: fewer tables)."""
    n = max(n, 2)
    return min(m_range(nbits), key=lambda m: (mih_units(n, nbits, m, DESIGN_K), m))
