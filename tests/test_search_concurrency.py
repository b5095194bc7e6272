"""Several Python threads on one index (issue 15): searches equal serial calls; add during search is safe."""

import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import search_oracle as oracle


@pytest.mark.parametrize("kind", oracle.INDEX_KINDS)
def test_concurrent_searches_equal_serial_calls(kind):
    db, queries = oracle.make_case("clustered", 64, 30_000, 24, seed=3)
    index = oracle.make_index(kind, 64)
    index.add(db)
    calls = [(lambda q=queries[i::4], k=k: index.search(q, k)) for i in range(4) for k in (1, 10)]
    calls += [(lambda q=queries[i::3], r=r: index.range_search(q, r)) for i in range(3) for r in (4, 12)]
    calls += [(lambda q=queries[i:i + 1]: index.search(q, 5)) for i in range(6)]  # single queries split in parts
    serial = [call() for call in calls]
    with ThreadPoolExecutor(max_workers=6) as pool:
        for _ in range(3):
            futures = [pool.submit(call) for call in calls]
            for future, want in zip(futures, serial):
                for a, b in zip(future.result(), want):
                    assert a.dtype == b.dtype
                    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", oracle.INDEX_KINDS)
def test_add_during_search_answers_for_a_snapshot(kind):
    # every search sees the codes of one moment: exactly some prefix of the batches added so far
    rng = np.random.default_rng(4)
    batches = [oracle.uniform_codes(rng, 4000, 32) for _ in range(6)]
    queries = oracle.uniform_codes(rng, 5, 32)
    index = oracle.make_index(kind, 32)
    index.add(batches[0])
    sizes = np.cumsum([len(b) for b in batches])
    expected = {int(n): oracle.oracle_search(queries, np.concatenate(batches)[:n], 8, 32) for n in sizes}
    results = []
    stop = threading.Event()

    def searcher():
        while not stop.is_set():
            results.append(index.search(queries, 8))

    threads = [threading.Thread(target=searcher) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for batch in batches[1:]:
            index.add(batch)
    finally:
        stop.set()
        for t in threads:
            t.join()
    results.append(index.search(queries, 8))
    assert len(results) >= 2
    for D, I in results:
        assert any(np.array_equal(D, e[0]) and np.array_equal(I, e[1]) for e in expected.values())
    assert index.ntotal == sizes[-1]
    np.testing.assert_array_equal(results[-1][1], expected[int(sizes[-1])][1])


@pytest.mark.parametrize("kind", oracle.INDEX_KINDS)
def test_concurrent_adds_are_serialised_and_lose_nothing(kind):
    rng = np.random.default_rng(5)
    batches = [oracle.uniform_codes(rng, 30, 64) for _ in range(400)]
    index = oracle.make_index(kind, 64)
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: races show up
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(index.add, batches))
    finally:
        sys.setswitchinterval(previous)
    assert index.ntotal == 400 * 30
    got = sorted(map(bytes, index.codes))
    assert got == sorted(map(bytes, np.concatenate(batches)))
