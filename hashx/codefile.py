"""The hashx code file: packed binary codes on disk (numpy only).

Layout of format version 2, the one written (all integers little-endian)::

    offset  size  field
    0       8     magic            b"HASHXCOD"
    8       4     version          uint32, 2
    12      4     nbits            uint32, a positive multiple of 8
    16      8     count            uint64, number of codes
    24      8     payload_offset   uint64, always 128
    32      32    payload_sha256   SHA-256 of nbits (uint32) + count (uint64) + the payload bytes
    64      60    reserved         zeros (checked)
    124     4     header_crc32     CRC-32 of bytes 0..123
    128     ...   payload          count * nbits // 8 bytes: the packed codes,
                                   row-major, as hashx.pack_codes makes them

Every header byte is checked: the CRC covers all 124 bytes before it, and the
reserved bytes must be zero.  The payload checksum covers ``nbits`` and
``count`` as well as the codes, so a header edited to describe the same bytes
as another shape (64-bit x 100 read as 32-bit x 200) fails the payload check
even if its CRC was recomputed.  The checksums detect corruption and
accidental edits, not deliberate forgery (anyone can recompute them).

Format version 1 (hashx 0.1) is still read: the same fields up to byte 64,
then ``header_crc32`` (CRC-32 of bytes 0..63) at offset 64 and 60 reserved
zero bytes at 68..127 (checked), the SHA-256 over the payload bytes only.  Its
``nbits`` and ``count`` are guarded by the header CRC alone; saving the codes
again writes version 2.

The payload starts at a 64-byte aligned offset so that it can be memory-mapped
directly as a ``(count, nbits // 8)`` uint8 array.  Files are written
atomically (temporary file + rename).  On load the header, the file size and
(by default) the payload checksum are verified, so a truncated or corrupted
file raises :class:`~hashx.exceptions.CodeFileError` instead of returning
garbage.
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

__all__ = ["MAGIC", "VERSION", "READ_VERSIONS", "HEADER_SIZE", "CodeFile", "save_codes", "load_codes", "read_header"]

MAGIC = b"HASHXCOD"
#: The format version save_codes writes.
VERSION = 2
#: The format versions load_codes reads.
READ_VERSIONS = (1, 2)
HEADER_SIZE = 128
_HEAD = struct.Struct("<8sIIQQ32s")  # 64 bytes: magic, version, nbits, count, payload_offset, payload_sha256
_CRC = struct.Struct("<I")
_SHAPE = struct.Struct("<IQ")  # nbits, count: hashed before the payload (version 2)
#: Where each version keeps its header CRC, and how many bytes it covers.
_CRC_AT = {1: 64, 2: HEADER_SIZE - _CRC.size}


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


def _payload_digest(version: int, nbits: int, count: int, payload: np.ndarray) -> bytes:
    """SHA-256 of the payload (version 1), or of ``nbits``, ``count`` and the payload (version 2)."""
    h = hashlib.sha256(_SHAPE.pack(nbits, count) if version >= 2 else b"")
    if payload.size:
        h.update(memoryview(np.ascontiguousarray(payload).reshape(-1)).cast("B"))
    return h.digest()


def _header_bytes(nbits: int, count: int, digest: bytes) -> bytes:
    """The 128-byte version-2 header."""
    head = _HEAD.pack(MAGIC, VERSION, nbits, count, HEADER_SIZE, digest) + bytes(_CRC_AT[VERSION] - _HEAD.size)
    return head + _CRC.pack(zlib.crc32(head))


def save_codes(path, codes: np.ndarray, nbits: int) -> None:
    """Write packed codes to a hashx code file (format version 2), atomically.

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
    header = _header_bytes(nbits, payload.shape[0], _payload_digest(VERSION, nbits, payload.shape[0], payload))
    with atomic_write(path, "wb") as f:
        f.write(header)
        if payload.size:
            f.write(memoryview(payload.reshape(-1)))


def _read_head(path: str, nbytes: int, *, what: str, kind: str) -> tuple[int, bytes]:
    """``(file size, its first nbytes)``; a missing, directory or unreadable path is a CodeFileError.

    ``what`` starts the messages (``"Code file"``), ``kind`` names the expected format.
    """
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            return size, f.read(nbytes)
    except FileNotFoundError:
        raise CodeFileError(f"{what} {path!r} does not exist.") from None
    except IsADirectoryError:
        raise CodeFileError(f"{what} {path!r} is a directory, not a {kind}.") from None
    except OSError as exc:
        raise CodeFileError(f"{what} {path!r} cannot be read ({exc.strerror or exc}).") from None


def read_header(path) -> dict:
    """Read and check a code file's header without touching the payload.

    Returns
    -------
    dict
        ``{"version", "nbits", "count", "payload_offset", "payload_sha256"}``.

    Raises
    ------
    CodeFileError
        Missing file, wrong magic, unknown version, corrupted header (CRC
        mismatch or non-zero reserved bytes), or a file size that does not
        match the header (truncated or padded file).
    """
    path = os.fspath(path)
    size, raw = _read_head(path, HEADER_SIZE, what="Code file", kind="hashx code file")
    if len(raw) < 8 or raw[:8] != MAGIC:
        raise CodeFileError(
            f"{path!r} is not a hashx code file: expected magic {MAGIC!r}, got {raw[:8]!r}."
        )
    if len(raw) < HEADER_SIZE:
        raise CodeFileError(f"Code file {path!r} is truncated: {size} bytes, shorter than its {HEADER_SIZE}-byte header.")
    magic, version, nbits, count, offset, digest = _HEAD.unpack_from(raw)
    if version not in READ_VERSIONS:
        raise CodeFileError(
            f"Code file {path!r} has format version {version}; this hashx reads versions "
            f"{', '.join(map(str, READ_VERSIONS))}."
        )
    crc_at = _CRC_AT[version]
    (crc,) = _CRC.unpack_from(raw, crc_at)
    if zlib.crc32(raw[:crc_at]) != crc:
        raise CodeFileError(f"Code file {path!r} has a corrupted header (CRC mismatch).")
    reserved = raw[_HEAD.size:crc_at] + raw[crc_at + _CRC.size:]
    if any(reserved):
        raise CodeFileError(f"Code file {path!r} has a corrupted header (reserved bytes are not zero).")
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
    """Load a hashx code file (format version 1 or 2).

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save_codes` (or ``HammingIndex.save``).
    mmap : bool, default=True
        Memory-map the payload read-only instead of reading it into memory.
    verify : bool, default=True
        Check the payload's SHA-256 (one pass over the data, about 2 GB/s),
        which also ties ``nbits`` and ``count`` to the codes (version 2).
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
    try:
        if count == 0:
            codes = np.zeros((0, width), dtype=np.uint8)
        elif mmap:
            codes = np.memmap(path, dtype=np.uint8, mode="r", offset=HEADER_SIZE, shape=(count, width))
        else:
            with open(path, "rb") as f:
                f.seek(HEADER_SIZE)
                codes = np.frombuffer(f.read(), dtype=np.uint8).reshape(count, width)
    except (OSError, ValueError) as exc:  # the file changed between the header check and the read
        raise CodeFileError(f"Code file {os.fspath(path)!r} could not be read ({exc}).") from None
    if verify and _payload_digest(header["version"], nbits, count, codes) != header["payload_sha256"]:
        raise CodeFileError(f"Code file {os.fspath(path)!r} is corrupted: payload checksum mismatch.")
    return CodeFile(codes=codes, nbits=nbits)
