"""The multi-index file: round trips, and every kind of damage refused with a CodeFileError."""

import struct
import zlib

import numpy as np
import pytest

import search_oracle as oracle
from hashx import MultiIndexHammingIndex
from hashx.exceptions import CodeFileError
from hashx.search import _mih_file
from hashx.search._mih_file import HEADER_SIZE, read_index_header


def _saved(tmp_path, nbits=64, n=400, m=None, seed=0):
    db, queries = oracle.make_case("clustered", nbits, n, 6, seed=seed)
    index = MultiIndexHammingIndex(nbits, m=m)
    index.add(db)
    path = tmp_path / "index.mih"
    index.save(path)
    return path, index, db, queries


def _same_results(a, b, queries, nbits):
    for k in (1, 7, 50):
        for x, y in zip(a.search(queries, k), b.search(queries, k)):
            np.testing.assert_array_equal(x, y)
    for x, y in zip(a.range_search(queries, nbits // 4), b.range_search(queries, nbits // 4)):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("nbits,m", [(16, None), (24, 3), (48, 2), (64, None), (64, 4), (128, 8)])
@pytest.mark.parametrize("mmap", [True, False])
def test_round_trip_keeps_codes_tables_and_m(tmp_path, nbits, m, mmap):
    path, index, db, queries = _saved(tmp_path, nbits=nbits, m=m, seed=nbits)
    loaded = MultiIndexHammingIndex.load(path, mmap=mmap, threads=1)
    assert loaded.m == m and loaded.num_tables == index.num_tables and loaded.threads == 1
    np.testing.assert_array_equal(loaded.codes, db)
    assert loaded._tables is not None  # loaded, not rebuilt
    built, saved = index._tables[1], loaded._tables[1]
    assert built.layout == saved.layout
    for name in ("starts", "ids", "entries"):
        np.testing.assert_array_equal(getattr(built, name), getattr(saved, name))
    _same_results(loaded, index, queries, nbits)
    header = read_index_header(path)
    assert (header["nbits"], header["count"], header["m"]) == (nbits, 400, index.num_tables)


def test_codes_checksum_matches_a_code_file_of_the_same_codes(tmp_path):
    from hashx.codefile import read_header, save_codes

    path, index, db, _ = _saved(tmp_path, nbits=48)
    save_codes(tmp_path / "db.hxc", db, 48)
    assert read_index_header(path)["codes_sha256"] == read_header(tmp_path / "db.hxc")["payload_sha256"]


@pytest.mark.parametrize("cut", [0, 7, 100, HEADER_SIZE - 1, HEADER_SIZE, HEADER_SIZE + 1000, -1])
def test_truncated_files_are_refused(tmp_path, cut):
    path, *_ = _saved(tmp_path)
    raw = path.read_bytes()
    path.write_bytes(raw[:cut] if cut >= 0 else raw[:-1])
    with pytest.raises(CodeFileError, match="truncated|not a hashx multi-index file"):
        MultiIndexHammingIndex.load(path)


def test_a_longer_file_is_refused(tmp_path):
    path, *_ = _saved(tmp_path)
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(CodeFileError, match="longer than its header says"):
        MultiIndexHammingIndex.load(path)


def test_every_header_bit_is_checked(tmp_path):
    path, *_ = _saved(tmp_path)
    raw = path.read_bytes()
    for byte in range(HEADER_SIZE):
        for bit in (0, 5):
            damaged = bytearray(raw)
            damaged[byte] ^= 1 << bit
            path.write_bytes(bytes(damaged))
            with pytest.raises(CodeFileError):
                MultiIndexHammingIndex.load(path, verify=False)


def _rewrite_header(path, **fields):
    """Change header fields and recompute the header CRC (as a careful vandal would)."""
    raw = bytearray(path.read_bytes())
    names = ["magic", "version", "nbits", "count", "m", "m_given", "codes_sha256", "prefix_bits"]
    values = dict(zip(names, _mih_file._FIELDS.unpack_from(raw)))
    values.update(fields)
    raw[:_mih_file._FIELDS.size] = _mih_file._FIELDS.pack(*[values[n] for n in names])
    raw[_mih_file._CRC_END:_mih_file._USED] = struct.pack("<I", zlib.crc32(bytes(raw[:_mih_file._CRC_END])))
    path.write_bytes(bytes(raw))


def test_edited_header_with_a_valid_crc_is_refused(tmp_path):
    path, index, *_ = _saved(tmp_path, m=4)
    _rewrite_header(path, m_given=0)  # same size, different header: the payload checksum covers it
    with pytest.raises(CodeFileError, match="checksum"):
        MultiIndexHammingIndex.load(path)
    _rewrite_header(path, m_given=4, count=399)
    with pytest.raises(CodeFileError, match="expected"):
        MultiIndexHammingIndex.load(path)
    _rewrite_header(path, count=400, version=2)
    with pytest.raises(CodeFileError, match="version 2"):
        MultiIndexHammingIndex.load(path)
    _rewrite_header(path, version=1, m=1)
    with pytest.raises(CodeFileError, match="invalid header"):
        MultiIndexHammingIndex.load(path)
    _rewrite_header(path, m=4, prefix_bits=bytes([16, 16, 16, 30]) + bytes(60))
    with pytest.raises(CodeFileError, match="prefix bits"):
        MultiIndexHammingIndex.load(path)


@pytest.mark.parametrize("mmap", [True, False])
def test_flipped_payload_bytes_fail_the_checksum(tmp_path, mmap):
    path, *_ = _saved(tmp_path)
    raw = path.read_bytes()
    for at in (HEADER_SIZE, HEADER_SIZE + 3301, len(raw) // 2, len(raw) - 1):
        damaged = bytearray(raw)
        damaged[at] ^= 0x04
        path.write_bytes(bytes(damaged))
        with pytest.raises(CodeFileError, match="checksum"):
            MultiIndexHammingIndex.load(path, mmap=mmap)


def _section(path, name):
    header = read_index_header(path)
    for section, at, dtype, items in header["sections"]:
        if section == name:
            return at, dtype, items
    raise KeyError(name)


@pytest.mark.parametrize("section,value", [("starts", 10**6), ("starts", 0), ("ids", 400), ("ids", 2**32 - 1)])
def test_damaged_tables_are_refused_even_unverified(tmp_path, section, value):
    # a payload damaged past the checksum (verify=False) must never make a search read out of bounds
    path, *_ = _saved(tmp_path)
    at, dtype, items = _section(path, section)
    raw = bytearray(path.read_bytes())
    where = at + dtype.itemsize * (items - 2)  # near the end, where starts are n
    raw[where:where + 4] = struct.pack("<I", value)
    path.write_bytes(bytes(raw))
    with pytest.raises(CodeFileError, match="inconsistent"):
        MultiIndexHammingIndex.load(path, verify=False)


def test_wrong_kind_of_file_and_missing_files(tmp_path):
    from hashx.codefile import save_codes

    save_codes(tmp_path / "codes.hxc", np.zeros((3, 8), np.uint8), 64)
    with pytest.raises(CodeFileError, match="not a hashx multi-index file"):
        MultiIndexHammingIndex.load(tmp_path / "codes.hxc")
    with pytest.raises(CodeFileError, match="does not exist"):
        MultiIndexHammingIndex.load(tmp_path / "nothing.mih")
    with pytest.raises(CodeFileError, match="directory"):
        MultiIndexHammingIndex.load(tmp_path)
