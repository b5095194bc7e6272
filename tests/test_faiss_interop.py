"""faiss interop: codes and ids survive hashx -> faiss -> hashx exactly (flat, ID maps, IVF), and
searches agree with hashx's own index (distances exactly; faiss's ids are checked against the oracle)."""

import sys

import faiss  # faiss-cpu is in the dev extra: these tests never skip
import numpy as np
import pytest
from search_oracle import distance_matrix, make_case

from hashx import HammingIndex
from hashx.exceptions import CodeFileError, HashxTypeError, HashxValueError
from hashx.search.faiss_interop import faiss_codes, from_faiss, read_faiss, to_faiss, write_faiss



def _index(codes, nbits):
    index = HammingIndex(nbits)
    index.add(codes)
    return index


def _check_valid_topk(D, I, queries, codes, k):
    """faiss's answer is a correct top-k: its distances are the true ones, sorted, and equal hashx's."""
    true = distance_matrix(queries, codes)
    assert np.array_equal(np.take_along_axis(true, I, axis=1), D)
    expected = np.sort(true, axis=1)[:, :k]
    assert np.array_equal(D, expected)


@pytest.mark.parametrize("kind", ["uniform", "clustered"])
@pytest.mark.parametrize("nbits", [16, 64, 128])
def test_flat_round_trip_and_search(kind, nbits):
    codes, queries = make_case(kind, nbits, 700, 25, seed=nbits)
    ours = _index(codes, nbits)
    flat = to_faiss(ours)
    assert isinstance(flat, faiss.IndexBinaryFlat) and flat.d == nbits and flat.ntotal == 700
    D, I = flat.search(queries, 10)
    hD, hI = ours.search(queries, 10)
    assert np.array_equal(D, hD)
    _check_valid_topk(D, I, queries, codes, 10)
    back = from_faiss(flat)
    assert back.nbits == nbits and np.array_equal(back.codes, codes)
    for got, want in zip(back.search(queries, 10), (hD, hI)):
        assert np.array_equal(got, want)  # identical results, ties included


@pytest.mark.parametrize("nbits", [24, 64, 128])
def test_index_methods_round_trip_searches_identically(nbits):
    """HammingIndex.to_faiss / HammingIndex.from_faiss: same codes, and every search of the index that
    comes back (top-k with ties by id, k up to ntotal, range search) equals the original's and the oracle's."""
    codes, queries = make_case("clustered", nbits, 500, 20, seed=7)
    codes = np.concatenate([codes, codes[:50]])  # duplicates: ties that only the id order breaks
    ours = _index(codes, nbits)
    flat = ours.to_faiss()
    assert isinstance(flat, faiss.IndexBinaryFlat) and flat.d == nbits and flat.ntotal == 550
    back = HammingIndex.from_faiss(flat, threads=1)
    assert isinstance(back, HammingIndex) and back.nbits == nbits and np.array_equal(back.codes, codes)
    true = distance_matrix(queries, codes)
    for k in (1, 10, 550):
        D, I = back.search(queries, k)
        want_I = np.argsort(true, axis=1, kind="stable")[:, :k]  # ascending distance, then id
        assert np.array_equal(I, want_I) and np.array_equal(D, np.take_along_axis(true, want_I, axis=1))
        for got, want in zip((D, I), ours.search(queries, k)):
            assert np.array_equal(got, want)
    for got, want in zip(back.range_search(queries, nbits // 4), ours.range_search(queries, nbits // 4)):
        assert np.array_equal(got, want)
    with pytest.raises(HashxTypeError, match="must be a faiss binary index"):
        HammingIndex.from_faiss(faiss.IndexFlatL2(8))


def test_ivf_codes_come_back_in_id_order_and_search_identically():
    nbits = 64
    codes, queries = make_case("clustered", nbits, 2000, 30, seed=3)
    quantizer = faiss.IndexBinaryFlat(nbits)
    ivf = faiss.IndexBinaryIVF(quantizer, nbits, 16)
    ivf.train(codes)
    ivf.add(codes)
    got_codes, ids = faiss_codes(ivf)
    assert np.array_equal(ids, np.arange(2000)) and np.array_equal(got_codes, codes)
    back = from_faiss(ivf)
    ours = _index(codes, nbits)
    for got, want in zip(back.search(queries, 15), ours.search(queries, 15)):
        assert np.array_equal(got, want)
    ivf.nprobe = ivf.nlist  # exhaustive: faiss's IVF search is then exact too
    D, I = ivf.search(queries, 15)
    assert np.array_equal(D, ours.search(queries, 15)[0])
    _check_valid_topk(D, I, queries, codes, 15)


def test_arbitrary_ids_are_read_but_refused_as_a_hashx_index():
    nbits = 32
    codes, _ = make_case("uniform", nbits, 300, 1, seed=5)
    ids = np.random.default_rng(0).permutation(10_000)[:300].astype(np.int64)
    idmap = faiss.IndexBinaryIDMap(faiss.IndexBinaryFlat(nbits))
    idmap.add_with_ids(codes, ids)
    got, got_ids = faiss_codes(idmap)
    order = np.argsort(ids)
    assert np.array_equal(got_ids, ids[order]) and np.array_equal(got, codes[order])
    ivf = faiss.IndexBinaryIVF(faiss.IndexBinaryFlat(nbits), nbits, 4)
    ivf.train(codes)
    ivf.add_with_ids(codes, ids)
    got, got_ids = faiss_codes(ivf)
    assert np.array_equal(got_ids, ids[order]) and np.array_equal(got, codes[order])
    with pytest.raises(HashxValueError, match="needs faiss ids 0 .. ntotal - 1"):
        from_faiss(ivf)


def test_faiss_files_round_trip_and_corrupted_files(tmp_path):
    codes, queries = make_case("uniform", 64, 100, 5, seed=1)
    write_faiss(tmp_path / "x.faiss", to_faiss(_index(codes, 64)))
    back = from_faiss(read_faiss(tmp_path / "x.faiss"))
    assert np.array_equal(back.codes, codes)
    data = (tmp_path / "x.faiss").read_bytes()
    (tmp_path / "cut.faiss").write_bytes(data[: len(data) // 2])
    with pytest.raises(CodeFileError, match="not a readable faiss binary index"):
        read_faiss(tmp_path / "cut.faiss")
    with pytest.raises(CodeFileError, match="does not exist"):
        read_faiss(tmp_path / "missing.faiss")


def test_empty_index_and_type_errors():
    empty = from_faiss(to_faiss(HammingIndex(24)))
    assert empty.nbits == 24 and empty.ntotal == 0
    with pytest.raises(HashxTypeError, match="must be a HammingIndex"):
        to_faiss(np.zeros((2, 3), np.uint8))
    with pytest.raises(HashxTypeError, match="must be a faiss binary index"):
        faiss_codes(faiss.IndexFlatL2(8))
    with pytest.raises(HashxTypeError, match="reads IndexBinaryFlat"):
        faiss_codes(faiss.IndexBinaryHash(64, 8))


def test_without_faiss_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "faiss", None)
    with pytest.raises(ImportError, match="pip install faiss-cpu"):
        to_faiss(HammingIndex(64))
