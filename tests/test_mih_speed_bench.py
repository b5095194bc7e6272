"""benchmarks/mih_speed.py (single queries run in alternating blocks, so a drift in machine speed hits every
index alike) and benchmarks/search_call_overhead.py."""

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module("mih_speed")
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_single_queries_run_in_blocks_taking_turns_in_a_rotating_order(bench):
    calls = []
    queries = np.arange(7)[:, None]
    searches = {name: (lambda q, name=name: calls.append((name, int(q[0, 0])))) for name in ("a", "b", "c")}
    ticks = iter(range(10**6))
    times = bench.interleaved_latency(searches, queries, 9, rounds=3, warmup=2, clock=lambda: next(ticks))
    blocks = [[(3 * r + i) % 7 for i in range(3)] for r in range(3)]  # each round's queries, cycling through the 7
    assert len(calls) == 3 * 3 * (2 + 3)
    for r in range(3):
        for j in range(3):  # the (r + j)-th search's turn: two queries of the previous block untimed, then its block
            name = ("a", "b", "c")[(r + j) % 3]
            turn = calls[15 * r + 5 * j: 15 * r + 5 * j + 5]
            assert turn == [(name, q) for q in blocks[r - 1][:2] + blocks[r]]
    # only the blocks' calls are timed (one tick each)
    assert set(times) == {"a", "b", "c"} and all(t.shape == (3, 3) and (t == 1).all() for t in times.values())


def test_call_overhead_benchmark_times_both_indexes(tmp_path):
    sys.path.insert(0, str(BENCHMARKS))
    try:
        overhead = importlib.import_module("search_call_overhead")
    finally:
        sys.path.remove(str(BENCHMARKS))
    out = tmp_path / "overhead.json"
    assert overhead.main(["--n", "3000", "--passes", "2", "--queries", "5", "--threads", "1", "--out", str(out)]) == 0
    import json

    results = json.loads(out.read_text())["results"]
    assert set(results) == {"MultiIndexHammingIndex", "HammingIndex"}
    for r in results.values():
        assert len(r["search_us"]) == len(r["kernel_us"]) == 5 and min(r["search_us"] + r["kernel_us"]) > 0
        assert np.isfinite(r["overhead_us"])
