"""Every index class: the verbs, bad input, empty cases, save/load and the thread setting."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import search_oracle as oracle
from hashx import HammingIndex, MultiIndexHammingIndex
from hashx.codefile import HEADER_SIZE as CODE_HEADER_SIZE
from hashx.exceptions import CodeFileError, HashxTypeError, HashxValueError
from hashx.search._mih_file import HEADER_SIZE as MIH_HEADER_SIZE
from hashx.search._threads import max_threads
from hashx.search._words import query_words

KINDS = oracle.INDEX_KINDS
CLASSES = {"exact": HammingIndex, "mih": MultiIndexHammingIndex}
HEADER_SIZE = {"exact": CODE_HEADER_SIZE, "mih": MIH_HEADER_SIZE}


def _index(nbits=64, n=500, seed=0, kind="exact", **kw):
    db, queries = oracle.make_case("clustered", nbits, n, 10, seed=seed)
    index = oracle.make_index(kind, nbits, **kw)
    index.add(db)
    return index, db, queries


def _methods(kind):
    return ["add", "search", "range_search"] + (["rank"] if kind == "exact" else [])


# ---------------------------------------------------------------------- verbs
@pytest.mark.parametrize("kind", KINDS)
def test_ids_follow_add_order_and_reset_restarts_them(kind):
    db, queries = oracle.make_case("uniform", 32, 300, 5, seed=1)
    index = oracle.make_index(kind, 32)
    assert index.ntotal == 0 and len(index) == 0
    for a, z in ((0, 100), (100, 101), (101, 300)):
        index.add(db[a:z])
    assert index.ntotal == 300
    np.testing.assert_array_equal(index.codes, db)
    D, I = index.search(queries, 300)
    np.testing.assert_array_equal(I, oracle.oracle_search(queries, db, 300, 32)[1])
    index.reset()
    assert index.ntotal == 0
    index.add(db[200:])
    _, I = index.search(db[200:201], 1)
    assert I.tolist() == [[0]]


@pytest.mark.parametrize("kind", KINDS)
def test_add_copies_and_codes_view_is_read_only(kind):
    index, db, queries = _index(kind=kind)
    D, I = index.search(queries, 5)
    db[:] = 0  # the caller's array changes; the index must not
    D2, I2 = index.search(queries, 5)
    np.testing.assert_array_equal(I, I2)
    with pytest.raises(ValueError):
        index.codes[0, 0] = 1


@pytest.mark.parametrize("kind", KINDS)
def test_add_empty_is_a_no_op_and_repr_is_informative(kind):
    index = oracle.make_index(kind, 16, threads=1)
    index.add(np.zeros((0, 2), dtype=np.uint8))
    assert index.ntotal == 0
    assert repr(index) == {"exact": "HammingIndex(nbits=16, ntotal=0, threads=1)",
                           "mih": "MultiIndexHammingIndex(nbits=16, m=None, ntotal=0, threads=1)"}[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_empty_queries_give_documented_empty_results(kind):
    index, _, _ = _index(kind=kind)
    none = np.zeros((0, 8), dtype=np.uint8)
    D, I = index.search(none, 4)
    assert D.shape == I.shape == (0, 4) and D.dtype == np.int32 and I.dtype == np.int64
    lims, D, I = index.range_search(none, 3)
    assert lims.tolist() == [0] and D.shape == I.shape == (0,)
    if kind == "exact":
        assert list(index.rank(none)) == []


@pytest.mark.parametrize("kind", KINDS)
def test_empty_index_gives_padding_and_empty_results(kind):
    index = oracle.make_index(kind, 48)
    queries = np.ones((2, 6), dtype=np.uint8)
    D, I = index.search(queries, 3)
    assert D.tolist() == [[49] * 3] * 2 and I.tolist() == [[-1] * 3] * 2
    lims, D, I = index.range_search(queries, 48)
    assert lims.tolist() == [0, 0, 0] and D.size == I.size == 0
    if kind == "exact":
        [(start, D, I)] = index.rank(queries)
        assert start == 0 and D.shape == I.shape == (2, 0)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("kind,method", [(k, m) for k in KINDS for m in _methods(k)])
def test_wrong_dtype_names_uint8(kind, method):
    index, _, _ = _index(kind=kind)
    args = {"add": (), "search": (3,), "range_search": (3,), "rank": ()}[method]
    for bad in (np.zeros((2, 8), dtype=np.int8), np.zeros((2, 8), dtype=np.float32), [[0] * 8]):
        with pytest.raises(HashxTypeError, match="uint8") as info:
            getattr(index, method)(bad, *args)
        assert isinstance(info.value, TypeError)


@pytest.mark.parametrize("kind,method", [(k, m) for k in KINDS for m in _methods(k)])
def test_wrong_width_names_the_expected_shape(kind, method):
    index, _, _ = _index(nbits=64, kind=kind)
    args = {"add": (), "search": (3,), "range_search": (3,), "rank": ()}[method]
    for bad in (np.zeros((2, 4), dtype=np.uint8), np.zeros(8, dtype=np.uint8), np.zeros((2, 8, 1), dtype=np.uint8)):
        with pytest.raises(HashxValueError, match=r"\(n, 8\) for nbits=64") as info:
            getattr(index, method)(bad, *args)
        assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("kind", KINDS)
def test_bad_k_radius_and_memory(kind):
    index, _, queries = _index(kind=kind)
    name = type(index).__name__
    with pytest.raises(HashxValueError, match=f"'k' parameter of {name}.search must be an int >= 1. Got 0"):
        index.search(queries, 0)
    with pytest.raises(HashxTypeError, match="'k'"):
        index.search(queries, 2.0)
    with pytest.raises(HashxTypeError, match="'k'"):
        index.search(queries, True)
    with pytest.raises(HashxValueError, match=f"'radius' parameter of {name}.range_search must be an int >= 0"):
        index.range_search(queries, -1)
    with pytest.raises(HashxTypeError, match="'radius'"):
        index.range_search(queries, None)
    if kind == "exact":
        with pytest.raises(HashxValueError, match="'max_memory'"):
            index.rank(queries, max_memory=0)
    D, I = index.search(queries, np.int64(3))  # numpy integers are fine
    assert D.shape == (10, 3)


@pytest.mark.parametrize("kind", KINDS)
def test_bad_nbits_and_threads(kind):
    cls = CLASSES[kind]
    with pytest.raises(HashxValueError, match="multiple of 8"):
        cls(12)
    with pytest.raises(HashxTypeError, match="'nbits'"):
        cls("64")
    with pytest.raises(HashxValueError, match="'threads'"):
        cls(64, threads=0)
    with pytest.raises(HashxValueError, match=rf"'threads'.*\[1, {max_threads()}\]"):
        cls(64, threads=max_threads() + 1)
    with pytest.raises(HashxTypeError, match="'threads'"):
        cls(64, threads=1.0)


@pytest.mark.parametrize("kind", KINDS)
def test_threads_reassigned_after_a_search_is_validated_again(kind):
    # a call validates `threads` only when it changed: a bad value set after a search must still fail
    index = CLASSES[kind](64, threads=1)
    codes = np.random.default_rng(0).integers(0, 256, size=(50, 8), dtype=np.uint8)
    index.add(codes)
    want = index.search(codes[:3], 4)
    for bad, error in ((0, HashxValueError), (max_threads() + 1, HashxValueError), (True, HashxTypeError)):
        index.threads = bad
        with pytest.raises(error, match="'threads'"):
            index.search(codes[:3], 4)
    index.threads = None
    for got, expected in zip(index.search(codes[:3], 4), want):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("offset", [0, 1, 3])
@pytest.mark.parametrize("nbits", [24, 64, 128])
def test_queries_in_any_memory_layout_give_the_same_answer(nbits, offset, kind):
    # unaligned, strided or Fortran-ordered query buffers are copied to aligned words, never misread
    rng = np.random.default_rng(nbits + offset)
    codes = rng.integers(0, 256, size=(40, nbits // 8), dtype=np.uint8)
    buffer = np.zeros(40 * (nbits // 8) + offset, np.uint8)[offset:].reshape(40, nbits // 8)
    buffer[:] = codes
    index = CLASSES[kind](nbits, threads=1)
    index.add(codes)
    want = index.search(codes, 5)
    for queries in (buffer, np.asfortranarray(codes), np.repeat(codes, 2, axis=0)[::2]):
        for got, expected in zip(index.search(queries, 5), want):
            np.testing.assert_array_equal(got, expected)
    words = query_words(buffer, nbits)
    assert words.flags.writeable and words.flags.aligned and not np.shares_memory(words, buffer)


# ---------------------------------------------------------------- persistence
def _memory_mapped(array):
    while array is not None:
        if isinstance(array, np.memmap):
            return True
        array = getattr(array, "base", None)
    return False


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("nbits", [16, 24, 32, 64, 256])
@pytest.mark.parametrize("mmap", [True, False])
def test_save_load_search_identical(tmp_path, nbits, mmap, kind):
    index, db, queries = _index(nbits=nbits, n=700, seed=nbits, kind=kind)
    path = tmp_path / "index.hxc"
    index.save(path)
    loaded = CLASSES[kind].load(path, mmap=mmap)
    assert loaded.nbits == nbits and loaded.ntotal == 700
    np.testing.assert_array_equal(loaded.codes, db)
    for k in (1, 50):
        for got, want in zip(loaded.search(queries, k), index.search(queries, k)):
            np.testing.assert_array_equal(got, want)
    for got, want in zip(loaded.range_search(queries, nbits // 4), index.range_search(queries, nbits // 4)):
        np.testing.assert_array_equal(got, want)
    if kind == "exact":
        (_, d1, i1), (_, d2, i2) = next(loaded.rank(queries)), next(index.rank(queries))
        np.testing.assert_array_equal(i1, i2)
        np.testing.assert_array_equal(d1, d2)
    # searched in place, without a copy, whenever the codes need no padding (a
    # multi-index file stores them padded)
    assert _memory_mapped(loaded.codes) == (mmap and (nbits % 32 == 0 or kind == "mih"))


@pytest.mark.parametrize("kind", KINDS)
def test_loaded_index_can_grow_and_be_saved_over_its_own_file(tmp_path, kind):
    index, db, queries = _index(nbits=64, n=300, kind=kind)
    path = tmp_path / "index.hxc"
    index.save(path)
    loaded = CLASSES[kind].load(path)
    extra = oracle.uniform_codes(np.random.default_rng(5), 50, 64)
    loaded.add(extra)  # copies the memory map first
    both = np.concatenate([db, extra])
    np.testing.assert_array_equal(loaded.search(queries, 20)[1], oracle.oracle_search(queries, both, 20, 64)[1])
    loaded.save(path)
    again = CLASSES[kind].load(path, threads=1)
    np.testing.assert_array_equal(again.codes, both)
    assert again.threads == 1


@pytest.mark.parametrize("kind", KINDS)
def test_empty_index_round_trip(tmp_path, kind):
    path = tmp_path / "empty.hxc"
    CLASSES[kind](128).save(path)
    loaded = CLASSES[kind].load(path)
    assert loaded.nbits == 128 and loaded.ntotal == 0
    assert loaded.search(np.zeros((1, 16), np.uint8), 2)[1].tolist() == [[-1, -1]]


def _saved(tmp_path, kind):
    index, _, _ = _index(nbits=64, n=200, kind=kind)
    path = tmp_path / "index.hxc"
    index.save(path)
    return path


@pytest.mark.parametrize("kind", KINDS)
def test_truncated_file_raises(tmp_path, kind):
    path = _saved(tmp_path, kind)
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(CodeFileError, match="truncated"):
        CLASSES[kind].load(path)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mmap", [True, False])
def test_flipped_payload_byte_raises(tmp_path, mmap, kind):
    path = _saved(tmp_path, kind)
    raw = bytearray(path.read_bytes())
    raw[HEADER_SIZE[kind] + 77] ^= 0x10
    path.write_bytes(bytes(raw))
    with pytest.raises(CodeFileError, match="checksum"):
        CLASSES[kind].load(path, mmap=mmap)


@pytest.mark.parametrize("kind", KINDS)
def test_wrong_magic_raises(tmp_path, kind):
    path = _saved(tmp_path, kind)
    raw = bytearray(path.read_bytes())
    raw[:8] = b"NOTHASHX"
    path.write_bytes(bytes(raw))
    with pytest.raises(CodeFileError, match="not a hashx (code|multi-index) file"):
        CLASSES[kind].load(path)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_interrupted_save_keeps_the_old_file(tmp_path, monkeypatch, failing, kind):
    path = _saved(tmp_path, kind)
    before = path.read_bytes()
    bigger, _, queries = _index(nbits=64, n=900, seed=3, kind=kind)

    def boom(*args, **kwargs):
        raise OSError("disk unplugged")

    monkeypatch.setattr(os, failing, boom)
    with pytest.raises(OSError, match="disk unplugged"):
        bigger.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.hxc"]  # no temp file left
    assert CLASSES[kind].load(path).ntotal == 200


# -------------------------------------------------------------------- threads
def test_thread_counts_give_identical_results():
    # in a child with two numba threads, whatever this machine's core count
    code = textwrap.dedent("""
        import numpy as np, search_oracle as oracle
        import numba
        import hashx.search._threads as t
        assert numba.config.NUMBA_NUM_THREADS == 2
        t.SMALL_WORK_BYTES = 0  # small calls would run on one thread
        for nbits, n, nq in ((64, 40_000, 1), (64, 5000, 40), (48, 40_000, 3), (128, 3000, 9)):
            db, q = oracle.make_case("clustered", nbits, n, nq, seed=n)
            out = []
            for kind in oracle.INDEX_KINDS:
                for threads in (1, 2):
                    # a multi-index query splits into parts when there are fewer queries than threads
                    index = oracle.make_index(kind, nbits, threads=threads)
                    index.add(db)
                    before = numba.get_num_threads()
                    res = [*index.search(q, 30), *index.range_search(q, nbits // 5)]
                    if kind == "exact":
                        res += [a for _, d, i in index.rank(q[:4]) for a in (d, i)]
                    assert numba.get_num_threads() == before, "thread count not restored"
                    out.append(res)
            for res in out[1:]:
                for a, b in zip(out[0], res):
                    assert a.dtype == b.dtype and np.array_equal(a, b)
            assert np.array_equal(out[0][1], oracle.oracle_search(q, db, 30, nbits)[1])
        print("ok")
    """)
    env = dict(os.environ, NUMBA_NUM_THREADS="2", PYTHONPATH=os.pathsep.join(
        [os.path.dirname(__file__), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_small_calls_run_on_one_thread():
    from hashx.search._threads import SMALL_WORK_BYTES, call_threads

    assert call_threads(1, 1000, 8, 2) == 1
    assert call_threads(1000, 1_000_000, 8, 2) == 2
    assert call_threads(1, SMALL_WORK_BYTES // 8, 8, 3) == 3


def test_thread_setting_is_restored_after_a_call():
    import numba

    before = numba.get_num_threads()
    index, _, queries = _index(threads=1)
    index.search(queries, 3)
    list(index.rank(queries))
    assert numba.get_num_threads() == before


def test_docstring_example_runs():
    import doctest

    import hashx.search.index

    result = doctest.testmod(hashx.search.index, verbose=False)
    assert result.attempted > 0 and result.failed == 0
