"""MultiIndexHammingIndex: identical to HammingIndex and the oracle, on every path, for every m."""

import logging

import numpy as np
import pytest

import search_oracle as oracle
from hashx import HammingIndex, MultiIndexHammingIndex
from hashx.exceptions import HashxTypeError, HashxValueError
from hashx.search import _mih_search
from hashx.search._mih_cost import m_range
from hashx.search._mih_tables import build_tables, make_layout
from hashx.search._popcount import GROUP
from hashx.search._words import database_words, query_words, row_bytes, to_rows, word_dtype

NBITS = [16, 24, 32, 48, 64, 128]


def valid_ms(nbits):
    """A few m for nbits: the fewest tables (longest substrings), two in between, and one substring per byte."""
    ms = list(m_range(nbits))
    return sorted({ms[0], ms[min(1, len(ms) - 1)], ms[len(ms) // 4], min(ms[-1], nbits // 8)})


def same(got, want):
    for a, b in zip(got, want):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def mih(nbits, m=None, scale=50.0, **kw):
    index = MultiIndexHammingIndex(nbits, m=m, **kw)
    index._budget_scale = scale
    return index


@pytest.mark.parametrize("kind", oracle.KINDS)
@pytest.mark.parametrize("nbits", NBITS)
def test_search_equals_oracle_and_linear_scan_for_several_m(nbits, kind):
    n = 1200 + 29
    db, queries = oracle.make_case(kind, nbits, n, 12, seed=nbits + 3)
    scan = HammingIndex(nbits)
    scan.add(db)
    for m in valid_ms(nbits):
        index = mih(nbits, m)
        index.add(db[:700])
        index.add(db[700:])
        assert index.num_tables == m
        for k in (1, 10, 100, n - 1, n, n + 5):
            got = index.search(queries, k)
            same(got, oracle.oracle_search(queries, db, k, nbits))
            same(got, scan.search(queries, k))
        for radius in (0, 1, nbits // 4, nbits // 2, nbits):
            got = index.range_search(queries, radius)
            same(got, oracle.oracle_range_search(queries, db, radius))


def test_small_k_takes_the_multi_index_path(caplog):
    # with the default budget, 400k uniform 32-bit codes and small k are answered by the tables (no
    # scan fallback): the cost model predicts a 3.4x speed-up.  (The tests' clustered codes, a few
    # centres, put a large part of the database under one key: the scan is as cheap there.)
    db, queries = oracle.make_case("uniform", 32, 400_000, 4, seed=1)
    index = MultiIndexHammingIndex(32)
    index.add(db)
    with caplog.at_level(logging.DEBUG, logger="hashx.search.multi_index"):
        same(index.search(queries, 5), oracle.oracle_search(queries, db, 5, 32))
        same(index.range_search(queries, 3), oracle.oracle_range_search(queries, db, 3))
    assert "built 3 tables" in caplog.text
    assert "scanned instead" not in caplog.text


def test_fallback_to_the_scan_is_exact(caplog):
    db, queries = oracle.make_case("uniform", 64, 3000, 9, seed=2)
    index = mih(64, scale=0.0)  # no query may spend anything: every one is scanned
    index.add(db)
    with caplog.at_level(logging.DEBUG, logger="hashx.search.multi_index"):
        same(index.search(queries, 7), oracle.oracle_search(queries, db, 7, 64))
        same(index.range_search(queries, 20), oracle.oracle_range_search(queries, db, 20))
    assert caplog.text.count("scanned instead") == 2


@pytest.mark.parametrize("scale,scanned", [(0.0, True), (50.0, False)])
def test_a_large_batch_tries_a_sample_first(scale, scanned, caplog):
    # 64 queries first: if most of them fall back, the other 136 are scanned without trying the tables
    db, queries = oracle.make_case("clustered", 32, 3000, 200, seed=5)
    index = mih(32, m=2, scale=scale)
    index.add(db)
    with caplog.at_level(logging.DEBUG, logger="hashx.search.multi_index"):
        same(index.search(queries, 6), oracle.oracle_search(queries, db, 6, 32))
    assert ("scanning the other 136" in caplog.text) == scanned


def test_mixed_fallback_merges_rows_in_query_order():
    # clustered queries stop early, far uniform ones run out of budget: both kinds in one call
    rng = np.random.default_rng(4)
    db = oracle.clustered_codes(rng, 4000, 64, noise=0.05)
    far = oracle.uniform_codes(rng, 5, 64)
    queries = np.concatenate([db[:3], far, db[10:13]])
    index = mih(64, m=4, scale=0.02)
    index.add(db)
    same(index.search(queries, 4), oracle.oracle_search(queries, db, 4, 64))
    same(index.range_search(queries, 12), oracle.oracle_range_search(queries, db, 12))


@pytest.mark.parametrize("nbits", [32, 64, 128])
def test_duplicates_ties_by_id_and_codes_at_the_maximum_distance(nbits):
    rng = np.random.default_rng(nbits)
    distinct = oracle.uniform_codes(rng, 40, nbits)
    db = distinct[rng.integers(0, 40, size=600)]  # every code about 15 times, ids shuffled
    query = distinct[:1]
    db[[5, 77, 300]] = ~query[0]  # the complement: distance nbits
    queries = np.concatenate([query, ~query, distinct[1:4]])
    for m in valid_ms(nbits):
        index = mih(nbits, m)
        index.add(db)
        for k in (1, 16, 599, 600, 650):
            same(index.search(queries, k), oracle.oracle_search(queries, db, k, nbits))
        same(index.range_search(queries, nbits), oracle.oracle_range_search(queries, db, nbits))
        D, I = index.search(query, 600)
        assert D[0, -3:].tolist() == [nbits] * 3 and I[0, -3:].tolist() == [5, 77, 300]


@pytest.mark.parametrize("nbits", [32, 64, 128])
def test_runs_shorter_than_a_group_and_at_the_end_of_the_tables(nbits):
    # a run's last entries (fewer than 64) are tested in one pass over a whole group, read past the
    # run, or ending at the last entry of the tables when the run is there; tables of fewer than 64
    # entries in all check every entry one by one
    rng = np.random.default_rng(nbits + 11)
    for n in (1, 2, 15, 16, 17, 31, 33, 63, 64, 65, 130):
        db = oracle.uniform_codes(rng, n, nbits)
        db[-1] = db[0]  # a duplicate in the last run of some table
        queries = np.concatenate([db[-1:], oracle.uniform_codes(rng, 3, nbits)])
        for m in (nbits // 16, nbits // 8):
            index = mih(nbits, m)
            index.add(db)
            for k in (1, 3, n):
                same(index.search(queries, k), oracle.oracle_search(queries, db, k, nbits))
            same(index.range_search(queries, nbits // 4), oracle.oracle_range_search(queries, db, nbits // 4))


@pytest.mark.parametrize("nbits", [32, 64, 128])
def test_runs_of_equal_keys_of_every_length_around_a_group(nbits):
    # each code repeated so that runs of equal keys are shorter than a group, exactly one, or one or
    # two whole groups and a tail (tested in one pass over a group read past the run)
    repeats = [1, 15, 16, 17, GROUP - 1, GROUP, GROUP + 1, GROUP + 17, 2 * GROUP + 15]
    rng = np.random.default_rng(nbits + 29)
    distinct = oracle.uniform_codes(rng, len(repeats), nbits)
    db = distinct[rng.permutation(np.repeat(np.arange(len(repeats)), repeats))]
    queries = np.concatenate([distinct, oracle.uniform_codes(rng, 2, nbits)])
    for m in (nbits // 16, nbits // 8):
        index = mih(nbits, m)
        index.add(db)
        for k in (1, 16, GROUP + 3, len(db)):
            same(index.search(queries, k), oracle.oracle_search(queries, db, k, nbits))
        for radius in (0, nbits // 4, nbits):
            same(index.range_search(queries, radius), oracle.oracle_range_search(queries, db, radius))


def test_hand_computed_8_bit():
    db = np.array([[0b00000001], [0b00000000], [0b00000011], [0b10000000], [0b00000111]], dtype=np.uint8)
    for m in (1, 2, 4, 8):
        index = mih(8, m)
        index.add(db)
        D, I = index.search(np.array([[0], [0b00000111]], dtype=np.uint8), 4)
        # query 0: distances [1, 0, 2, 1, 3]; query 1: [2, 3, 1, 4, 0]
        assert I.tolist() == [[1, 0, 3, 2], [4, 2, 0, 1]]
        assert D.tolist() == [[0, 1, 1, 2], [0, 1, 2, 3]]


@pytest.mark.parametrize("kind", oracle.KINDS)
@pytest.mark.parametrize("nbits", [24, 64, 128])
@pytest.mark.parametrize("nparts", [1, 2, 3])
def test_kernels_with_a_query_split_into_parts(nbits, nparts, kind):
    # one query's probes dealt to several tasks, each with its own heap, sharing their counts of
    # codes by distance to prune and stop
    db, queries = oracle.make_case(kind, nbits, 3001, 7, seed=nbits + nparts)
    W = row_bytes(nbits) // word_dtype(nbits).itemsize
    dbw = database_words(to_rows(db, nbits, copy=True), nbits)
    qw = query_words(queries, nbits)
    # uniform codes' neighbours are far: substrings of at most 12 bits keep the probes within the budget
    ms = valid_ms(nbits)[:3] if kind == "clustered" else [m for m in m_range(nbits) if nbits <= 12 * m][:2]
    for m in ms:
        layout = make_layout(nbits, m, 3001)
        tables = build_tables(dbw, W, layout, 3001)
        masks = _mih_search.substring_masks(layout, W, word_dtype(nbits))
        for k in (1, 10, 60):
            D, I, done = _mih_search.knn_search(qw, W, nbits, k, tables, masks, 1e9, nparts=nparts)
            assert done.any()  # rows of queries that gave up are undefined; the others exact
            eD, eI = oracle.oracle_search(queries, db, k, nbits)
            same((D[done], I[done]), (eD[done], eI[done]))
        lims, D, I, done = _mih_search.range_search(qw, W, nbits // 8, tables, masks, 1e9, nparts=nparts)
        assert done.any()
        elims, eD, eI = oracle.oracle_range_search(queries, db, nbits // 8)
        for q in range(len(queries)):
            if done[q]:
                same((D[lims[q]:lims[q + 1]], I[lims[q]:lims[q + 1]]), (eD[elims[q]:elims[q + 1]],
                                                                      eI[elims[q]:elims[q + 1]]))
            else:
                assert lims[q] == lims[q + 1]


@pytest.mark.parametrize("nparts", [1, 2])
def test_heaps_merge_alike_on_one_thread_and_in_parallel(nparts):
    # the kernel merges few queries' heaps on one thread and many in parallel: both must be exact
    nbits, k = 32, 64
    db, queries = oracle.make_case("clustered", nbits, 2000, 600, seed=nparts)
    W = row_bytes(nbits) // word_dtype(nbits).itemsize
    layout = make_layout(nbits, 4, 2000)
    tables = build_tables(database_words(to_rows(db, nbits, copy=True), nbits), W, layout, 2000)
    masks = _mih_search.substring_masks(layout, W, word_dtype(nbits))
    serial = _mih_search.PARALLEL_MERGE_KEYS // (nparts * k) - 1  # the most queries merged on one thread
    for nq in (serial, serial + 1, len(queries)):
        assert (nq * nparts * k < _mih_search.PARALLEL_MERGE_KEYS) == (nq == serial)
        D, I, done = _mih_search.knn_search(query_words(queries[:nq], nbits), W, nbits, k, tables, masks, 1e12,
                                            nparts=nparts)
        assert done.all()
        same((D, I), oracle.oracle_search(queries[:nq], db, k, nbits))


def test_each_tasks_counts_follow_its_heap_and_the_bound_is_the_union_kth():
    # the tasks of one query publish, per distance D, how many codes of their heap are at <= D; the
    # bound they prune and stop by is the least D at which these counts, summed, reach k: the k-th
    # distance among all their candidates, as if one task held them all
    rng = np.random.default_rng(5)
    nbits, keff, nparts, n = 64, 7, 3, 400
    entries = rng.integers(0, 2**63, n, dtype=np.int64).view(np.uint64) ^ np.uint64(rng.integers(0, 2**20))
    ids = np.arange(n, dtype=np.uint32)
    qs = np.zeros(1, np.uint64)
    masks = np.full(1, np.uint64(2**64 - 1))  # one table (m = 1): no code is "seen before"
    heaps = np.zeros((nparts, keff), np.int64)
    sizes = [0] * nparts
    counts = np.zeros((nparts, nbits + 1), np.int64)
    dist = np.array([bin(int(x)).count("1") for x in entries])
    previous = counts.copy()
    for e in range(n):
        p = int(rng.integers(nparts))
        sizes[p] = _mih_search._offer(qs, 0, 1, e, int(dist[e]), 0, 0, 1, ids, entries, masks, keff, heaps[p],
                                      sizes[p], counts, p)
        for t in range(nparts):
            held = heaps[t, :sizes[t]] >> 32
            assert counts[t].tolist() == [int((held <= D).sum()) for D in range(nbits + 1)]
        assert (counts >= previous).all()  # counts only ever rise: a stale read is still a true bound
        previous = counts.copy()
        union = np.sort(np.concatenate([heaps[t, :sizes[t]] >> 32 for t in range(nparts)]))
        want = int(union[keff - 1]) if union.size >= keff else nbits
        assert _mih_search._bound(counts, 0, nparts, keff, nbits) == want
    assert _mih_search._bound(counts, 0, nparts, keff, nbits) == int(np.sort(dist)[keff - 1])


def test_tables_hold_every_code_once_sorted_by_substring():
    nbits, n = 40, 2000
    db, _ = oracle.make_case("clustered", nbits, n, 1, seed=6)
    W = row_bytes(nbits) // 4
    for m in (2, 5):
        layout = make_layout(nbits, m, n)
        tables = build_tables(database_words(to_rows(db, nbits, copy=True), nbits), W, layout, n)
        bits = np.unpackbits(db, axis=1, bitorder="little")  # column p: bit p of the little-endian words
        for j, (off, length) in enumerate(zip(layout.offsets, layout.lengths)):
            keys = (bits[:, off:off + length].astype(np.int64) << np.arange(length)).sum(axis=1)
            ids = tables.ids[j * n:(j + 1) * n].astype(np.int64)
            assert sorted(ids.tolist()) == list(range(n))
            np.testing.assert_array_equal(ids, np.lexsort((np.arange(n), keys)))  # by (key, id)
            rows = tables.entries.view(np.uint8).reshape(m, n, -1)[j, :, : nbits // 8]
            np.testing.assert_array_equal(rows, db[ids])


def test_add_rebuilds_reset_clears_and_repr():
    db, queries = oracle.make_case("uniform", 32, 900, 6, seed=8)
    index = mih(32, m=2)
    assert repr(index) == "MultiIndexHammingIndex(nbits=32, m=2, ntotal=0, threads=None)"
    index.add(db[:400])
    same(index.search(queries, 5), oracle.oracle_search(queries, db[:400], 5, 32))
    index.add(db[400:])
    same(index.search(queries, 5), oracle.oracle_search(queries, db, 5, 32))
    index.reset()
    assert index.ntotal == 0 and index.nbytes == 0
    D, I = index.search(queries, 2)
    assert D.tolist() == [[33, 33]] * 6 and I.tolist() == [[-1, -1]] * 6


def test_default_m_follows_ntotal_and_build_is_explicit_too():
    index = MultiIndexHammingIndex(64)
    db, queries = oracle.make_case("uniform", 64, 5000, 3, seed=9)
    index.add(db)
    assert index.m is None and index.num_tables in m_range(64)
    before = index.nbytes
    index.build()
    assert index.nbytes > before  # the tables now exist
    same(index.search(queries, 3), oracle.oracle_search(queries, db, 3, 64))


def test_bad_parameters_name_what_is_wrong():
    with pytest.raises(HashxValueError, match=r"'m' parameter of MultiIndexHammingIndex must be an int in \[2, 64\]"):
        MultiIndexHammingIndex(64, m=1)  # substrings of at most 32 bits
    with pytest.raises(HashxValueError, match=r"'m'.*\[1, 16\]"):
        MultiIndexHammingIndex(16, m=17)
    with pytest.raises(HashxTypeError, match="'m'"):
        MultiIndexHammingIndex(64, m=4.0)
    with pytest.raises(HashxValueError, match=r"'nbits' parameter of MultiIndexHammingIndex must be an int in \[8, 2048\]"):
        MultiIndexHammingIndex(4096)
    with pytest.raises(HashxValueError, match="multiple of 8"):
        MultiIndexHammingIndex(60)


def test_capacity_is_bounded_by_uint32_ids(monkeypatch):
    from hashx.search import multi_index

    monkeypatch.setattr(multi_index, "MAX_CODES", 10)
    index = MultiIndexHammingIndex(16)
    index.add(np.zeros((10, 2), np.uint8))
    with pytest.raises(HashxValueError, match="at most 10 codes"):
        index.add(np.zeros((1, 2), np.uint8))
    assert index.ntotal == 10


def test_docstring_example_runs():
    import doctest

    import hashx.search.multi_index

    result = doctest.testmod(hashx.search.multi_index, verbose=False)
    assert result.attempted > 0 and result.failed == 0
