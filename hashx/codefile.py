"""The hashx code file: packed binary codes on disk (numpy only).

Layout (all integers little-endian)::

    offset  size  field
    0       8     magic            b"HASHXCOD"
    8       4     version          uint32, currently 1
    12      4     nbits            uint32, a positive multiple of 8
    16      8     count            uint64, number of codes
    24      8     payload_offset   uint64, always 128 in version 1
    32      32    payload_sha256   SHA-256 of the payload bytes
    64      4     header_crc32     CRC-32 of bytes 0..63
    68      60    reserved         zeros
    128     ...   payload          count * nbits // 8 bytes: the packed codes,
                                   row-major, as hashx.pack_codes makes them

The payload starts at a 64-byte aligned offset so that it can be memory-mapped
directly as a ``(count, nbits // 8)`` uint8 array.  Files are written
atomically (temporary file + rename).  On load the header CRC, the file size
and (by default) the payload checksum are verified, so a truncated or
corrupted file raises :class:`~hashx.exceptions.CodeFileError` instead of
returning garbage.
"""

from __future__ import annotations

import hashlib
import os
import struct
import zlib
from dataclasses import dataclass

import numpy as np

from ._atomic import atomic_write
from ._validation import check_nbits, check_packed_codes
from .exceptions import CodeFileError

__all__ = ["MAGIC", "VERSION", "HEADER_SIZE", "CodeFile", "save_codes", "load_codes", "read_header"]

MAGIC = b"HASHXCOD"
VERSION = 1
HEADER_SIZE = 128
_HEAD = struct.Struct("<8sIIQQ32s")  # 64 bytes
_CRC = struct.Struct("<I")


@dataclass(frozen=True)
class CodeFile:
    """What :func:`load_codes` returns.

    Attributes
    ----------
    codes : ndarray of shape (count, nbits // 8), dtype=uint8
        Packed codes (a read-only memory map when loaded with ``mmap=True``).
    nbits : int
        Code length in bits.
    """

    codes: np.ndarray
    nbits: int

    @property
    def count(self) -> int:
        return int(self.codes.shape[0])


def _sha256(payload) -> bytes:
    return hashlib.sha256(memoryview(payload).cast("B")).digest() if len(payload) else hashlib.sha256(b"").digest()


def save_codes(path, codes: np.ndarray, nbits: int) -> None:
    """Write packed codes to a hashx code file, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; replaced only once the new file is complete.
    codes : ndarray of shape (n, nbits // 8), dtype=uint8
        Packed codes.
    nbits : int
        Code length in bits.
    """
    nbits = check_nbits(nbits, caller="save_codes")
    check_packed_codes(codes, nbits, caller="save_codes")
    payload = np.ascontiguousarray(codes)
    head = _HEAD.pack(MAGIC, VERSION, nbits, payload.shape[0], HEADER_SIZE, _sha256(payload.reshape(-1)))
    header = head + _CRC.pack(zlib.crc32(head)) + bytes(HEADER_SIZE - _HEAD.size - _CRC.size)
    with atomic_write(path, "wb") as f:
        f.write(header)
        if payload.size:
            f.write(memoryview(payload.reshape(-1)))


def read_header(path) -> dict:
    """Read and check a code file's header without touching the payload.

    Returns
    -------
    dict
        ``{"version", "nbits", "count", "payload_offset", "payload_sha256"}``.

    Raises
    ------
    CodeFileError
        Missing file, wrong magic, unknown version, corrupted header, or a file
        size that does not match the header (truncated or padded file).
    """
    path = os.fspath(path)
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            raw = f.read(HEADER_SIZE)
    except FileNotFoundError:
        raise CodeFileError(f"Code file {path!r} does not exist.") from None
    except IsADirectoryError:
        raise CodeFileError(f"Code file {path!r} is a directory, not a hashx code file.") from None
    if len(raw) < 8 or raw[:8] != MAGIC:
        raise CodeFileError(
            f"{path!r} is not a hashx code file: expected magic {MAGIC!r}, got {raw[:8]!r}."
        )
    if len(raw) < HEADER_SIZE:
        raise CodeFileError(f"Code file {path!r} is truncated: {size} bytes, shorter than its {HEADER_SIZE}-byte header.")
    magic, version, nbits, count, offset, digest = _HEAD.unpack_from(raw)
    (crc,) = _CRC.unpack_from(raw, _HEAD.size)
    if version != VERSION:
        raise CodeFileError(
            f"Code file {path!r} has format version {version}; this hashx reads version {VERSION}."
        )
    if zlib.crc32(raw[: _HEAD.size]) != crc:
        raise CodeFileError(f"Code file {path!r} has a corrupted header (CRC mismatch).")
    if nbits == 0 or nbits % 8 or offset != HEADER_SIZE:
        raise CodeFileError(f"Code file {path!r} has an invalid header (nbits={nbits}, payload_offset={offset}).")
    expected = HEADER_SIZE + count * (nbits // 8)
    if size != expected:
        what = "truncated" if size < expected else "longer than its header says"
        raise CodeFileError(
            f"Code file {path!r} is {what}: {size} bytes, expected {expected} "
            f"for {count} codes of {nbits} bits."
        )
    return {"version": version, "nbits": nbits, "count": count, "payload_offset": offset, "payload_sha256": digest}


def load_codes(path, *, mmap: bool = True, verify: bool = True) -> CodeFile:
    """Load a hashx code file.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save_codes` (or ``HammingIndex.save``).
    mmap : bool, default=True
        Memory-map the payload read-only instead of reading it into memory.
    verify : bool, default=True
        Check the payload's SHA-256 (one pass over the data, about 2 GB/s).
        Turn off only for files you trust, to open huge files instantly.

    Returns
    -------
    CodeFile
        ``codes`` of shape (count, nbits // 8), dtype=uint8, and ``nbits``.

    Raises
    ------
    CodeFileError
        Wrong magic, corrupted header, truncated file, or payload checksum mismatch.
    """
    header = read_header(path)
    nbits, count = header["nbits"], header["count"]
    width = nbits // 8
    if count == 0:
        codes = np.zeros((0, width), dtype=np.uint8)
    elif mmap:
        codes = np.memmap(path, dtype=np.uint8, mode="r", offset=HEADER_SIZE, shape=(count, width))
    else:
        with open(path, "rb") as f:
            f.seek(HEADER_SIZE)
            codes = np.frombuffer(f.read(), dtype=np.uint8).reshape(count, width)
    if verify and _sha256(np.asarray(codes).reshape(-1)) != header["payload_sha256"]:
        raise CodeFileError(f"Code file {os.fspath(path)!r} is corrupted: payload checksum mismatch.")
    return CodeFile(codes=codes, nbits=nbits)
