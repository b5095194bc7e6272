"""search against the oracle, for every index class: distances and ids identical, ties by ascending id."""

import numpy as np
import pytest

import search_oracle as oracle
from hashx import HammingIndex
from hashx.search import _threads, _topk
from hashx.search._words import database_words, query_words, row_bytes, to_rows

NBITS = oracle.NBITS
KINDS = oracle.KINDS
make_data = oracle.make_case


def check_search(index, queries, db, k, nbits):
    D, I = index.search(queries, k)
    expected_d, expected_i = oracle.oracle_search(queries, db, k, nbits)
    assert D.dtype == np.int32 and I.dtype == np.int64
    assert D.shape == I.shape == (queries.shape[0], k)
    np.testing.assert_array_equal(D, expected_d)
    np.testing.assert_array_equal(I, expected_i)


@pytest.mark.parametrize("index_kind", oracle.INDEX_KINDS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("nbits", NBITS)
def test_search_equals_oracle(nbits, kind, index_kind):
    n = 2000 + 37  # not a multiple of the 64-code groups: the tail path runs too
    db, queries = make_data(kind, nbits, n, 30, seed=nbits)
    index = oracle.make_index(index_kind, nbits)
    index.add(db[:1000])
    index.add(db[1000:])
    for k in (1, 10, 100, n + 7):
        check_search(index, queries, db, k, nbits)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("nbits", [32, 64, 256])
def test_few_queries_split_the_database(nbits, kind, monkeypatch):
    # fewer queries than 4 per thread: the database is cut into parts per query and merged
    # (small calls normally run on one thread; lift that so the split happens here)
    monkeypatch.setattr(_threads, "SMALL_WORK_BYTES", 0)
    db, queries = make_data(kind, nbits, 40_000, 3, seed=100 + nbits)
    for threads in (1, None):
        index = HammingIndex(nbits, threads=threads)
        index.add(db)
        for nq in (1, 3):
            for k in (1, 100):
                check_search(index, queries[:nq], db, k, nbits)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("nbits", [24, 64, 128])
@pytest.mark.parametrize("qblock,nparts,dblock", [(1, 1, 64), (2, 3, 128), (7, 5, 64 * 5), (64, 2, 1 << 20)])
def test_kernel_task_grids_and_compaction(nbits, kind, qblock, nparts, dblock):
    # every split of the work gives the same answer; cap = k + 1 forces a buffer
    # compaction at almost every accepted candidate
    db, queries = make_data(kind, nbits, 3001, 11, seed=7)
    W = row_bytes(nbits) // (8 if nbits % 64 == 0 else 4)
    qw, dbw = query_words(queries, nbits), database_words(to_rows(db, nbits, copy=True), nbits)
    for k in (1, 5, 40):
        for cap in (k + 1, 2 * k + 64):
            D, I = _topk._topk_kernel(qw, dbw, W, nbits, k, qblock, nparts, dblock, cap)
            expected_d, expected_i = oracle.oracle_search(queries, db, k, nbits)
            np.testing.assert_array_equal(D, expected_d)
            np.testing.assert_array_equal(I, expected_i)


def test_queries_are_chunked_to_bound_memory(monkeypatch):
    db, queries = make_data("clustered", 64, 1500, 25, seed=3)
    index = HammingIndex(64)
    index.add(db)
    monkeypatch.setattr(_topk, "STATE_BYTES", 1)  # one query per kernel call
    check_search(index, queries, db, 17, 64)


@pytest.mark.parametrize("index_kind", oracle.INDEX_KINDS)
def test_hand_computed_8_bit(index_kind):
    db = np.array([[0b00000001], [0b00000000], [0b00000011], [0b10000000], [0b00000111]], dtype=np.uint8)
    index = oracle.make_index(index_kind, 8)
    index.add(db)
    D, I = index.search(np.array([[0], [0b00000111]], dtype=np.uint8), 7)
    # query 0: distances [1, 0, 2, 1, 3]; query 1: [2, 3, 1, 4, 0]
    assert I.tolist() == [[1, 0, 3, 2, 4, -1, -1], [4, 2, 0, 1, 3, -1, -1]]
    assert D.tolist() == [[0, 1, 1, 2, 3, 9, 9], [0, 1, 2, 3, 4, 9, 9]]


@pytest.mark.parametrize("index_kind", oracle.INDEX_KINDS)
def test_hand_computed_64_bit_ties_by_id(index_kind):
    ones = np.uint64(0xFFFFFFFFFFFFFFFF)
    words = np.array([ones, 0, 1 << 63, 0b11, 1, ones ^ np.uint64(1), 0], dtype=np.uint64)
    db = words.astype(">u8").view(np.uint8).reshape(-1, 8)  # big-endian bytes, as packbits would give
    index = oracle.make_index(index_kind, 64)
    index.add(db)
    D, I = index.search(np.zeros((1, 8), dtype=np.uint8), 7)
    assert I.tolist() == [[1, 6, 2, 4, 3, 5, 0]]
    assert D.tolist() == [[0, 0, 1, 1, 2, 63, 64]]


@pytest.mark.parametrize("index_kind", oracle.INDEX_KINDS)
def test_repeated_calls_and_non_contiguous_queries_agree(index_kind):
    db, queries = make_data("clustered", 128, 3000, 20, seed=5)
    index = oracle.make_index(index_kind, 128)
    index.add(db)
    D, I = index.search(queries, 25)
    wide = np.zeros((20, 32), dtype=np.uint8)
    wide[:, ::2] = queries
    strided = wide[:, ::2]
    assert not strided.flags.c_contiguous
    D2, I2 = index.search(strided, 25)
    np.testing.assert_array_equal(D, D2)
    np.testing.assert_array_equal(I, I2)


@pytest.mark.parametrize("index_kind", oracle.INDEX_KINDS)
@pytest.mark.parametrize("nbits", [8, 40, 72, 96, 160, 320, 1024])
def test_unusual_code_lengths(nbits, index_kind):
    # generic word counts (W > 4) and padded widths go through the same kernels
    db, queries = make_data("clustered", nbits, 700, 6, seed=nbits)
    index = oracle.make_index(index_kind, nbits)
    index.add(db)
    check_search(index, queries, db, 9, nbits)
    for got, want in zip(index.range_search(queries, nbits // 3), oracle.oracle_range_search(queries, db, nbits // 3)):
        np.testing.assert_array_equal(got, want)
    if index_kind == "exact":
        (_, D, I), = index.rank(queries)
        np.testing.assert_array_equal(I, oracle.oracle_rank(queries, db)[1])
