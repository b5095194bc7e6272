"""benchmarks/mih_speed.py: single queries take turns, so a drift in machine speed hits every index alike."""

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


def test_single_queries_take_turns_in_a_rotating_order(bench):
    calls = []
    queries = np.arange(5)[:, None]
    searches = {name: (lambda q, name=name: calls.append((name, int(q[0, 0])))) for name in ("a", "b", "c")}
    ticks = iter(range(10**6))
    times = bench.interleaved_latency(searches, queries, 7, clock=lambda: next(ticks))
    warm, timed = calls[:3], calls[3:]
    assert warm == [("a", 0), ("b", 0), ("c", 0)]
    assert len(timed) == 21
    for i in range(7):  # query i % 5 through all three, starting with the (i % 3)-th
        turn = timed[3 * i: 3 * i + 3]
        assert [q for _, q in turn] == [i % 5] * 3
        assert [name for name, _ in turn] == [("a", "b", "c")[(i + j) % 3] for j in range(3)]
    assert set(times) == {"a", "b", "c"} and all(t.shape == (7,) and (t == 1).all() for t in times.values())
