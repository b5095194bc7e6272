"""benchmarks/mih_cost_model.py: its counts are the library's model, its fit finds planted constants."""

import importlib
import sys
from pathlib import Path

import pytest

from hashx.search import _mih_cost
from hashx.search._mih_search import PROBE_UNITS
from hashx.search._words import row_bytes

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def cost_model():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module("mih_cost_model")
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.mark.parametrize("n,nbits,m,k", [(10**6, 64, 5, 10), (10**7, 64, 4, 1), (10**7, 128, 8, 100)])
def test_step_counts_are_the_library_model(cost_model, n, nbits, m, k):
    assert cost_model.units(n, nbits, m, k, PROBE_UNITS) == pytest.approx(_mih_cost.mih_units(n, nbits, m, k))


def test_the_fit_recovers_planted_constants(cost_model):
    # times made by the model itself with PROBE_UNITS 150 and a unit costing 2.5 scan units
    ms_per_scan_unit = 1e-6
    rows = []
    for n, nbits in ((10**6, 64), (10**7, 64), (10**7, 128)):
        cached = _mih_cost.CACHED_SCAN_FACTOR if n * row_bytes(nbits) <= _mih_cost.CACHED_SCAN_BYTES else 1.0
        for k in (1, 10, 100):
            rows.append({"n": n, "nbits": nbits, "m": 0, "k": k,
                         "ms": n * row_bytes(nbits) / 8 * cached * ms_per_scan_unit})
            for m in range(3, 10):
                rows.append({"n": n, "nbits": nbits, "m": m, "k": k,
                             "ms": cost_model.units(n, nbits, m, k, 150) * 2.5 * ms_per_scan_unit})
    lines = cost_model.report(rows)
    regret = {line.split("|")[1].strip(): line.split("|")[2].strip() for line in lines if line.startswith("| ")}
    assert regret["150"] == "1.00"  # the planted value picks the fastest m in every case
    assert regret["25"] != "1.00"  # and a far-off one does not
    implied = [line.split("|")[-2].strip() for line in lines if line.startswith("| 10,000,000 | 64 |")]
    # the implied unit cost is 2.5 exactly where the library's PROBE_UNITS is the planted one; here it is
    # not, so check it against the closed form instead
    for k, got in zip((1, 10, 100), implied):
        best = min(range(3, 10), key=lambda m: cost_model.units(10**7, 64, m, k, 150))
        want = 2.5 * cost_model.units(10**7, 64, best, k, 150) / cost_model.units(10**7, 64, best, k, PROBE_UNITS)
        assert got == f"{want:.2f}"
