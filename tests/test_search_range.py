"""range_search against the oracle, for every index class: same lims, distances and ids, by (distance, id)."""

import numpy as np
import pytest

import search_oracle as oracle
from hashx import HammingIndex
from hashx.search import _range, _threads
from hashx.search._words import database_words, query_words, row_bytes, to_rows

NBITS = oracle.NBITS
KINDS = oracle.KINDS
make_data = oracle.make_case


def check_range(index, queries, db, radius):
    lims, D, I = index.range_search(queries, radius)
    expected = oracle.oracle_range_search(queries, db, radius)
    for got, want in zip((lims, D, I), expected):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    return lims


@pytest.mark.parametrize("index_kind", oracle.INDEX_KINDS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("nbits", NBITS)
def test_range_search_equals_oracle(nbits, kind, index_kind):
    db, queries = make_data(kind, nbits, 1500 + 21, 20, seed=nbits + 1)
    index = oracle.make_index(index_kind, nbits)
    index.add(db)
    for radius in (0, 1, nbits // 4, nbits // 2 - 1, nbits, nbits + 5):
        lims = check_range(index, queries, db, radius)
        if radius >= nbits:
            assert np.all(np.diff(lims) == db.shape[0])


@pytest.mark.parametrize("nbits", [32, 64])
def test_few_queries_split_the_database(nbits, monkeypatch):
    monkeypatch.setattr(_threads, "SMALL_WORK_BYTES", 0)  # small calls would run on one thread
    db, queries = make_data("clustered", nbits, 40_000, 3, seed=9)
    for threads in (1, None):
        index = HammingIndex(nbits, threads=threads)
        index.add(db)
        for nq in (1, 3):
            check_range(index, queries[:nq], db, nbits // 4)


@pytest.mark.parametrize("qblock,nparts,dblock", [(1, 1, 64), (3, 4, 192), (50, 2, 1 << 20)])
def test_kernel_task_grids(qblock, nparts, dblock):
    nbits = 48
    db, queries = make_data("clustered", nbits, 2500, 9, seed=4)
    W = row_bytes(nbits) // 4
    qw, dbw = query_words(queries, nbits), database_words(to_rows(db, nbits, copy=True), nbits)
    for radius in (0, 10, 30):
        got = _range._range_kernel(qw, dbw, W, radius, qblock, nparts, dblock)
        for a, b in zip(got, oracle.oracle_range_search(queries, db, radius)):
            np.testing.assert_array_equal(a, b)


def test_queries_are_chunked_to_bound_memory(monkeypatch):
    db, queries = make_data("clustered", 64, 1200, 13, seed=8)
    index = HammingIndex(64)
    index.add(db)
    monkeypatch.setattr(_range, "STATE_BYTES", 1)  # one query per kernel call
    check_range(index, queries, db, 20)


@pytest.mark.parametrize("index_kind", oracle.INDEX_KINDS)
def test_hand_computed_order_is_distance_then_id(index_kind):
    db = np.array([[0b00000011], [0b00000001], [0b00000000], [0b00000001], [0b11111111]], dtype=np.uint8)
    index = oracle.make_index(index_kind, 8)
    index.add(db)
    lims, D, I = index.range_search(np.array([[0], [0b01111111]], dtype=np.uint8), 2)
    # query 0: distances [2, 1, 0, 1, 8]; query 1: [5, 6, 7, 6, 1]
    assert lims.tolist() == [0, 4, 5]
    assert I.tolist() == [2, 1, 3, 0, 4]
    assert D.tolist() == [0, 1, 1, 2, 1]


@pytest.mark.parametrize("index_kind", oracle.INDEX_KINDS)
def test_no_match_gives_empty_slices(index_kind):
    db = np.zeros((100, 8), dtype=np.uint8)
    index = oracle.make_index(index_kind, 64)
    index.add(db)
    lims, D, I = index.range_search(np.full((2, 8), 255, dtype=np.uint8), 10)
    assert lims.tolist() == [0, 0, 0]
    assert D.shape == I.shape == (0,)
