"""Code files (hashx.codefile.load_codes): the reference decoder is written from the README's table."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

import numpy as np

from hashx.codefile import load_codes, save_codes

from . import Family, Rejected, family

NAME = "codes.hxc"


def _bytes_of(codes, nbits) -> bytes:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        save_codes(Path(tmp) / NAME, codes, nbits)
        return (Path(tmp) / NAME).read_bytes()


def _v1(codes, nbits) -> bytes:
    head = struct.pack("<8sIIQQ32s", b"HASHXCOD", 1, nbits, codes.shape[0], 128,
                       hashlib.sha256(codes.tobytes()).digest())
    return head + struct.pack("<I", zlib.crc32(head)) + bytes(60) + codes.tobytes()


def _header(version, nbits, count, digest=bytes(32), offset=128) -> bytes:
    head = struct.pack("<8sIIQQ32s", b"HASHXCOD", version, nbits, count, offset, digest)
    if version == 1:
        return head + struct.pack("<I", zlib.crc32(head)) + bytes(60)
    head += bytes(60)
    return head + struct.pack("<I", zlib.crc32(head))


def seeds():
    rng = np.random.default_rng(0)
    out = []
    for n, nbits in ((5, 64), (3, 8), (0, 32), (17, 128)):
        codes = rng.integers(0, 256, size=(n, nbits // 8), dtype=np.uint8)
        out.append({NAME: _bytes_of(codes, nbits)})
    out.append({NAME: _v1(rng.integers(0, 256, size=(4, 2), dtype=np.uint8), 16)})
    return out


def hostile():
    codes = np.arange(800, dtype=np.uint8).reshape(100, 8)
    good = _bytes_of(codes, 64)
    # the edit: 64-bit x 100 relabelled 32-bit x 200 with a recomputed header CRC
    edited = bytearray(good)
    edited[12:24] = struct.pack("<IQ", 32, 200)
    edited[124:128] = struct.pack("<I", zlib.crc32(bytes(edited[:124])))
    return [
        ("empty file", {NAME: b""}),
        ("magic only", {NAME: b"HASHXCOD"}),
        ("text file", {NAME: b"not a code file\n" * 20}),
        ("edited header, CRC recomputed", {NAME: bytes(edited)}),
        ("huge count, no payload", {NAME: _header(2, 64, 2**62)}),
        ("huge nbits", {NAME: _header(2, 2**32 - 8, 1)}),
        ("nbits 0", {NAME: _header(2, 0, 0)}),
        ("nbits 12", {NAME: _header(2, 12, 0)}),
        ("version 3", {NAME: _header(3, 64, 0)}),
        ("payload offset 64", {NAME: _header(2, 64, 0, offset=64)}),
        ("v1 huge count", {NAME: _header(1, 64, 2**40)}),
        ("reserved byte set", {NAME: good[:100] + b"\x01" + good[101:]}),
    ]


def read(folder):
    loaded = load_codes(folder / NAME)
    return loaded.nbits, np.array(loaded.codes)


def reference(folder):
    raw = (folder / NAME).read_bytes()
    if len(raw) < 128 or raw[:8] != b"HASHXCOD":
        raise Rejected("short or wrong magic")
    _, version, nbits, count, offset, digest = struct.unpack_from("<8sIIQQ32s", raw)
    if version not in (1, 2):
        raise Rejected(f"version {version}")
    crc_at = 64 if version == 1 else 124
    if zlib.crc32(raw[:crc_at]) != struct.unpack_from("<I", raw, crc_at)[0]:
        raise Rejected("header CRC")
    if any(raw[64:crc_at]) or any(raw[crc_at + 4:128]):
        raise Rejected("reserved bytes")
    if nbits == 0 or nbits % 8 or offset != 128 or len(raw) != 128 + count * nbits // 8:
        raise Rejected("fields or size")
    payload = raw[128:]
    h = hashlib.sha256(struct.pack("<IQ", nbits, count) if version == 2 else b"")
    h.update(payload)
    if h.digest() != digest:
        raise Rejected("payload hash")
    return nbits, np.frombuffer(io.BytesIO(payload).read(), dtype=np.uint8).reshape(count, nbits // 8)


def same(got, want):
    return got[0] == want[0] and got[1].shape == want[1].shape and np.array_equal(got[1], want[1])


family(Family("codefile", NAME, seeds, hostile, read, reference, same))
