"""HammingIndex.rank against the oracle: every query's full ranking by (distance, id), in chunks."""

import numpy as np
import pytest

import search_oracle as oracle
from hashx import HammingIndex
from hashx.search import _rank, _threads
from hashx.search._words import database_words, query_words, row_bytes, to_rows


def collect(index, queries, **kw):
    chunks = list(index.rank(queries, **kw))
    starts = [start for start, _, _ in chunks]
    D = np.concatenate([d for _, d, _ in chunks]) if chunks else None
    I = np.concatenate([i for _, _, i in chunks]) if chunks else None
    return starts, chunks, D, I


@pytest.mark.parametrize("kind", oracle.KINDS)
@pytest.mark.parametrize("nbits", oracle.NBITS)
def test_rank_equals_oracle(nbits, kind):
    n = 1000 + 45
    db, queries = oracle.make_case(kind, nbits, n, 12, seed=nbits + 2)
    index = HammingIndex(nbits)
    index.add(db)
    expected_d, expected_i = oracle.oracle_rank(queries, db)
    for max_memory, rows in ((1, 1), (5 * n * 10, 5), (1 << 30, 12)):
        starts, chunks, D, I = collect(index, queries, max_memory=max_memory)
        assert starts == list(range(0, 12, rows))
        assert all(d.dtype == np.uint16 and i.dtype == np.int64 for _, d, i in chunks)
        assert all(d.shape == i.shape == (min(rows, 12 - s), n) for s, d, i in chunks)
        np.testing.assert_array_equal(D, expected_d)
        np.testing.assert_array_equal(I, expected_i)


@pytest.mark.parametrize("nbits", [32, 64])
def test_few_queries_split_the_database(nbits, monkeypatch):
    monkeypatch.setattr(_threads, "SMALL_WORK_BYTES", 0)  # small calls would run on one thread
    db, queries = oracle.make_case("clustered", nbits, 40_000, 3, seed=11)
    expected_d, expected_i = oracle.oracle_rank(queries, db)
    for threads in (1, None):
        index = HammingIndex(nbits, threads=threads)
        index.add(db)
        _, _, D, I = collect(index, queries)
        np.testing.assert_array_equal(D, expected_d)
        np.testing.assert_array_equal(I, expected_i)


@pytest.mark.parametrize("nparts", [1, 2, 7])
def test_kernel_parts(nparts):
    nbits = 128
    db, queries = oracle.make_case("clustered", nbits, 3000, 5, seed=12)
    qw, dbw = query_words(queries, nbits), database_words(to_rows(db, nbits, copy=True), nbits)
    D = np.empty((5, 3000), np.uint16)
    I = np.empty((5, 3000), np.int64)
    _rank._rank_kernel(qw, dbw, row_bytes(nbits) // 8, nbits, nparts, D, I)
    expected_d, expected_i = oracle.oracle_rank(queries, db)
    np.testing.assert_array_equal(D, expected_d)
    np.testing.assert_array_equal(I, expected_i)


def test_hand_computed():
    db = np.array([[0b00000001], [0b00000000], [0b00000011], [0b10000000], [0b00000111]], dtype=np.uint8)
    index = HammingIndex(8)
    index.add(db)
    [(start, D, I)] = index.rank(np.array([[0]], dtype=np.uint8))
    assert start == 0
    assert I.tolist() == [[1, 0, 3, 2, 4]]
    assert D.tolist() == [[0, 1, 1, 2, 3]]


def test_rank_is_lazy_but_validates_eagerly():
    index = HammingIndex(64)
    index.add(np.zeros((10, 8), dtype=np.uint8))
    with pytest.raises(TypeError):
        index.rank(np.zeros((2, 8), dtype=np.int64))  # raises at the call, not at iteration
    chunks = index.rank(np.zeros((3, 8), dtype=np.uint8), max_memory=1)
    start, D, I = next(chunks)
    assert start == 0 and D.shape == (1, 10)
    assert [s for s, _, _ in chunks] == [1, 2]


def test_reuse_refills_the_same_arrays():
    db, queries = oracle.make_case("uniform", 64, 700, 7, seed=13)
    index = HammingIndex(64)
    index.add(db)
    expected_d, expected_i = oracle.oracle_rank(queries, db)
    seen = []
    for start, D, I in index.rank(queries, max_memory=3 * 700 * 10, reuse=True):
        np.testing.assert_array_equal(D, expected_d[start:start + 3])
        np.testing.assert_array_equal(I, expected_i[start:start + 3])
        seen.append(I)
    assert [s.shape[0] for s in seen] == [3, 3, 1]
    assert np.shares_memory(seen[0], seen[1]) and np.shares_memory(seen[0], seen[2])
    fresh = [I for _, _, I in index.rank(queries, max_memory=3 * 700 * 10)]
    assert not np.shares_memory(fresh[0], fresh[1])
    with pytest.raises(TypeError, match="'reuse'"):
        index.rank(queries, reuse=1)


def test_longest_codes_rank_and_search():
    # nbits is at most 32,768 (base.MAX_NBITS), so rank's uint16 distances always fit
    index = HammingIndex(32768)
    db = np.zeros((2, 4096), dtype=np.uint8)
    db[1] = 255
    index.add(db)
    [(_, D, I)] = index.rank(np.zeros((1, 4096), dtype=np.uint8))
    assert D.dtype == np.uint16 and D.tolist() == [[0, 32768]] and I.tolist() == [[0, 1]]
    D, I = index.search(np.full((1, 4096), 255, dtype=np.uint8), 3)
    assert I.tolist() == [[1, 0, -1]] and D.tolist() == [[0, 32768, 32769]]
