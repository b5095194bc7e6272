"""Tests of the hashx code file: round trip, atomic writes, corruption detection, versions 1 and 2."""

import hashlib
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from hashx.codefile import HEADER_SIZE, MAGIC, load_codes, read_header, save_codes
from hashx.exceptions import CodeFileError

V1_DIR = Path(__file__).parent / "data" / "codefile-v1"


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
    assert int.from_bytes(raw[8:12], "little") == 2
    assert int.from_bytes(raw[12:16], "little") == 32
    assert int.from_bytes(raw[16:24], "little") == 3
    assert int.from_bytes(raw[24:32], "little") == HEADER_SIZE
    # the payload hash covers nbits (uint32) and count (uint64) before the codes
    assert raw[32:64] == hashlib.sha256(struct.pack("<IQ", 32, 3) + codes.tobytes()).digest()
    assert raw[64:124] == bytes(60)
    assert int.from_bytes(raw[124:128], "little") == zlib.crc32(raw[:124])
    assert raw[HEADER_SIZE:] == codes.tobytes()


def _v1_bytes(codes, nbits):
    """A version-1 file built from the documented layout (README, "Code files"), not by hashx."""
    head = struct.pack("<8sIIQQ32s", MAGIC, 1, nbits, codes.shape[0], HEADER_SIZE,
                       hashlib.sha256(codes.tobytes()).digest())
    return head + struct.pack("<I", zlib.crc32(head)) + bytes(60) + codes.tobytes()


def test_version_1_written_by_hashx_0_1_still_loads():
    path = V1_DIR / "codes-64bits-100.hxc"
    assert read_header(path)["version"] == 1
    for mmap in (True, False):
        loaded = load_codes(path, mmap=mmap)
        assert (loaded.nbits, loaded.count) == (64, 100)
        np.testing.assert_array_equal(loaded.codes, np.load(V1_DIR / "codes-64bits-100.npy"))


def test_version_1_from_the_documented_layout_and_its_corruptions(tmp_path):
    codes = _codes(9, 24, seed=3)
    good = _v1_bytes(codes, 24)
    path = tmp_path / "v1.hxc"
    path.write_bytes(good)
    np.testing.assert_array_equal(load_codes(path).codes, codes)
    for i in range(len(good)):  # every single flipped byte, header (reserved bytes 68..127 included) and payload
        bad = bytearray(good)
        bad[i] ^= 0x5A
        path.write_bytes(bytes(bad))
        with pytest.raises(CodeFileError):
            load_codes(path)


def test_every_header_and_payload_byte_is_checked_in_version_2(tmp_path):
    path = tmp_path / "c.hxc"
    save_codes(path, _codes(7, 16, seed=4), 16)
    good = path.read_bytes()
    for i in range(len(good)):
        for mask in (0x01, 0x80):
            bad = bytearray(good)
            bad[i] ^= mask
            path.write_bytes(bytes(bad))
            with pytest.raises(CodeFileError):
                load_codes(path)


def test_every_truncation_is_refused(tmp_path):
    path = tmp_path / "c.hxc"
    save_codes(path, _codes(5, 32, seed=5), 32)
    good = path.read_bytes()
    for n in range(len(good)):
        path.write_bytes(good[:n])
        with pytest.raises(CodeFileError):
            load_codes(path)
    path.write_bytes(good + b"\0")
    with pytest.raises(CodeFileError, match="longer than its header says"):
        load_codes(path)


def _reshaped_header(raw: bytes, nbits: int, count: int, crc_at: int) -> bytes:
    """The issue's edit: same payload bytes, header says another shape, header CRC recomputed."""
    head = bytearray(raw[:HEADER_SIZE])
    head[12:16] = struct.pack("<I", nbits)
    head[16:24] = struct.pack("<Q", count)
    head[crc_at:crc_at + 4] = struct.pack("<I", zlib.crc32(bytes(head[:crc_at])))
    return bytes(head) + raw[HEADER_SIZE:]


def test_edited_header_with_recomputed_crc_is_caught_in_version_2(tmp_path):
    """64-bit x 100 relabelled as 32-bit x 200: the header CRC matches, the payload hash (which covers
    nbits and count) does not."""
    path = tmp_path / "c.hxc"
    save_codes(path, _codes(100, 64, seed=6), 64)
    path.write_bytes(_reshaped_header(path.read_bytes(), 32, 200, crc_at=124))
    assert read_header(path)["count"] == 200  # the header alone is self-consistent
    with pytest.raises(CodeFileError, match="payload checksum mismatch"):
        load_codes(path)
    with pytest.raises(CodeFileError, match="payload checksum mismatch"):
        load_codes(path, mmap=False)


def test_version_1_cannot_tie_the_shape_to_the_payload_and_resaving_upgrades(tmp_path):
    """The documented limit of version 1 (its hash covers the payload only), and the way out."""
    codes = _codes(100, 64, seed=7)
    path = tmp_path / "v1.hxc"
    path.write_bytes(_reshaped_header(_v1_bytes(codes, 64), 32, 200, crc_at=64))
    assert load_codes(path).codes.shape == (200, 4)  # version 1 cannot tell
    path.write_bytes(_v1_bytes(codes, 64))
    save_codes(tmp_path / "v2.hxc", load_codes(path).codes, 64)
    assert read_header(tmp_path / "v2.hxc")["version"] == 2
    (tmp_path / "v2.hxc").write_bytes(_reshaped_header((tmp_path / "v2.hxc").read_bytes(), 32, 200, crc_at=124))
    with pytest.raises(CodeFileError, match="payload checksum mismatch"):
        load_codes(tmp_path / "v2.hxc")


def test_unknown_version_and_nonzero_reserved_bytes(tmp_path):
    path = tmp_path / "c.hxc"
    save_codes(path, _codes(3, 8), 8)
    raw = bytearray(path.read_bytes())
    for version in (0, 3, 2**32 - 1):
        bad = bytearray(raw)
        bad[8:12] = struct.pack("<I", version)
        bad[124:128] = struct.pack("<I", zlib.crc32(bytes(bad[:124])))
        path.write_bytes(bytes(bad))
        with pytest.raises(CodeFileError, match=f"format version {version}; this hashx reads versions 1, 2"):
            load_codes(path)
    bad = bytearray(raw)
    bad[100] = 7
    bad[124:128] = struct.pack("<I", zlib.crc32(bytes(bad[:124])))
    path.write_bytes(bytes(bad))
    with pytest.raises(CodeFileError, match="reserved bytes are not zero"):
        load_codes(path)


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
