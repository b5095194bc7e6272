"""Tests of the hashx code file: round trip, atomic writes, corruption detection."""

import os

import numpy as np
import pytest

from hashx.codefile import HEADER_SIZE, MAGIC, load_codes, read_header, save_codes
from hashx.exceptions import CodeFileError


def _codes(n, nbits, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(n, nbits // 8), dtype=np.uint8)


@pytest.mark.parametrize("nbits", [16, 24, 64, 256])
@pytest.mark.parametrize("mmap", [True, False])
def test_round_trip(tmp_path, nbits, mmap):
    codes = _codes(101, nbits)
    path = tmp_path / "c.hxc"
    save_codes(path, codes, nbits)
    loaded = load_codes(path, mmap=mmap)
    assert loaded.nbits == nbits and loaded.count == 101
    assert loaded.codes.dtype == np.uint8 and loaded.codes.shape == codes.shape
    np.testing.assert_array_equal(loaded.codes, codes)
    assert os.path.getsize(path) == HEADER_SIZE + codes.size


def test_layout_is_as_documented(tmp_path):
    codes = _codes(3, 32)
    path = tmp_path / "c.hxc"
    save_codes(path, codes, 32)
    raw = path.read_bytes()
    assert raw[:8] == MAGIC
    assert int.from_bytes(raw[8:12], "little") == 1
    assert int.from_bytes(raw[12:16], "little") == 32
    assert int.from_bytes(raw[16:24], "little") == 3
    assert int.from_bytes(raw[24:32], "little") == HEADER_SIZE
    assert raw[HEADER_SIZE:] == codes.tobytes()


def test_empty_code_file(tmp_path):
    path = tmp_path / "e.hxc"
    save_codes(path, np.zeros((0, 8), dtype=np.uint8), 64)
    loaded = load_codes(path)
    assert loaded.codes.shape == (0, 8)


def test_mmap_is_read_only(tmp_path):
    path = tmp_path / "c.hxc"
    save_codes(path, _codes(10, 64), 64)
    loaded = load_codes(path, mmap=True)
    with pytest.raises(ValueError):
        loaded.codes[0, 0] = 1


def test_truncated_file(tmp_path):
    path = tmp_path / "c.hxc"
    save_codes(path, _codes(50, 64), 64)
    data = path.read_bytes()
    path.write_bytes(data[:-3])
    with pytest.raises(CodeFileError, match="truncated"):
        load_codes(path)
    path.write_bytes(data[:40])
    with pytest.raises(CodeFileError, match="truncated"):
        load_codes(path)


def test_flipped_payload_byte(tmp_path):
    path = tmp_path / "c.hxc"
    save_codes(path, _codes(50, 64), 64)
    data = bytearray(path.read_bytes())
    data[HEADER_SIZE + 77] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises(CodeFileError, match="checksum mismatch"):
        load_codes(path)
    # verify=False is the documented way to skip the check for trusted files
    assert load_codes(path, verify=False).count == 50


def test_wrong_magic_and_corrupted_header(tmp_path):
    path = tmp_path / "c.hxc"
    save_codes(path, _codes(5, 64), 64)
    data = bytearray(path.read_bytes())
    bad = bytearray(data)
    bad[0:8] = b"NOTHASHX"
    path.write_bytes(bytes(bad))
    with pytest.raises(CodeFileError, match="not a hashx code file"):
        load_codes(path)
    bad = bytearray(data)
    bad[16] ^= 0x01  # count field changed: header CRC must catch it
    path.write_bytes(bytes(bad))
    with pytest.raises(CodeFileError, match="corrupted header"):
        read_header(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(CodeFileError, match="does not exist"):
        load_codes(tmp_path / "nope.hxc")
    with pytest.raises(CodeFileError, match="directory"):
        load_codes(tmp_path)


def test_interrupted_write_leaves_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "c.hxc"
    old = _codes(20, 64, seed=1)
    save_codes(path, old, 64)

    def exploding_replace(src, dst):
        raise OSError("simulated crash before rename")

    monkeypatch.setattr(os, "replace", exploding_replace)
    with pytest.raises(OSError, match="simulated crash"):
        save_codes(path, _codes(20, 64, seed=2), 64)
    monkeypatch.undo()
    np.testing.assert_array_equal(load_codes(path).codes, old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.hxc"], "temporary file left behind"


def test_save_validates(tmp_path):
    with pytest.raises(TypeError, match="dtype uint8"):
        save_codes(tmp_path / "x", np.zeros((2, 8), dtype=np.int64), 64)
    with pytest.raises(ValueError, match=r"shape \(n, 4\) for nbits=32"):
        save_codes(tmp_path / "x", np.zeros((2, 8), dtype=np.uint8), 32)
    assert not (tmp_path / "x").exists()
