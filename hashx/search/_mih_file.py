"""The multi-index file: a MultiIndexHammingIndex's codes and tables on disk.

Layout (integers little-endian)::

    offset  size  field
    0       8     magic            b"HASHXMIH"
    8       4     version          uint32, currently 1
    12      4     nbits            uint32
    16      8     count            uint64, number of codes
    24      4     m                uint32, number of tables
    28      4     m_given          uint32, the index's ``m`` (0 when chosen from count)
    32      32    codes_sha256     the payload_sha256 of a (version-2) code file of
                                   the same codes: SHA-256 of nbits (uint32), count
                                   (uint64) and the packed codes
    64      64    prefix_bits      uint8 per table (zeros past m)
    128     32    payload_sha256   SHA-256 of bytes 0..127 and of the payload
    160     4     header_crc32     CRC-32 of bytes 0..159
    164     92    reserved         zeros
    256     ...   payload: four sections, each starting at a multiple of 64 bytes
                  codes    count x row_bytes   the codes in the word layout
                  starts   sum(2**p + 1) x 4   uint32, the tables' offsets
                  ids      m x count x 4       uint32
                  entries  m x count x row_bytes

(see :mod:`._mih_tables` and :mod:`._words`; the substrings follow from
``nbits`` and ``m``).  The payload checksum covers the header fields too, so
an edited header cannot describe the payload differently.  On load the
header CRC, the reserved bytes, every field's range, the file size and (by
default) the payload checksum are checked, and the tables' structure always
(offsets ascending within ``[0, count]``, ids below ``count``), so that no file
can make a search read out of bounds.  ``codes_sha256`` lets ``hashx search``
tell whether a saved index still matches a code file without reading either
payload.
"""

from __future__ import annotations

import hashlib
import os
import struct
import zlib

import numpy as np
from numba import njit

from .._atomic import atomic_write
from ..codefile import VERSION as CODE_FILE_VERSION
from ..codefile import _payload_digest, _read_head
from ..exceptions import CodeFileError
from ._mapped import open_mapped
from ._mih_cost import m_range
from ._mih_tables import MAX_CODES, MAX_DIRECT_BITS, Layout, Tables, make_layout
from ._words import row_bytes, word_dtype
from .base import CodeStore

__all__ = ["MAGIC", "VERSION", "HEADER_SIZE", "write_index", "read_index", "read_index_header"]

MAGIC = b"HASHXMIH"
VERSION = 1
HEADER_SIZE = 256
ALIGN = 64
_FIELDS = struct.Struct("<8sIIQII32s64s")  # bytes 0..127
_DIGEST = struct.Struct("<32s")  # bytes 128..159
_CRC = struct.Struct("<I")  # bytes 160..163
_CRC_END = _FIELDS.size + _DIGEST.size
_USED = _CRC_END + _CRC.size


def _aligned(x: int) -> int:
    return -(-x // ALIGN) * ALIGN


def _sections(nbits: int, count: int, layout: Layout) -> list[tuple[str, int, np.dtype, int]]:
    """(name, offset from the start of the file, dtype, number of items) of each payload section."""
    width = row_bytes(nbits)
    words = word_dtype(nbits)
    sizes = [("codes", np.dtype(np.uint8), count * width),
             ("starts", np.dtype(np.uint32), int(layout.table_starts[-1]) if count else 0),
             ("ids", np.dtype(np.uint32), layout.m * count),
             ("entries", words, layout.m * count * width // words.itemsize)]
    out, at = [], HEADER_SIZE
    for name, dtype, items in sizes:
        out.append((name, at, dtype, items))
        at = _aligned(at + items * dtype.itemsize)
    return out


def _file_size(sections) -> int:
    name, at, dtype, items = sections[-1]
    return at + items * dtype.itemsize


def _packed_sha256(rows: np.ndarray, nbits: int) -> bytes:
    """The ``payload_sha256`` a (version-2) code file of these codes carries."""
    packed = np.ascontiguousarray(rows[:, : nbits // 8])
    return _payload_digest(CODE_FILE_VERSION, nbits, int(packed.shape[0]), packed)


def write_index(path, index, store: CodeStore, tables: Tables | None) -> None:
    """Write ``index`` (its snapshot ``store`` and, unless empty, its ``tables``) to ``path`` atomically."""
    nbits, count = index.nbits, store.n
    if tables is None:
        layout = make_layout(nbits, index.num_tables, prefix_bits=[0] * index.num_tables)
        starts = ids = entries = None
    else:
        layout, starts, ids, entries = tables.layout, tables.starts, tables.ids, tables.entries
    rows = store.rows[:count]
    prefix = bytes(layout.prefix_bits) + bytes(64 - layout.m)
    fields = _FIELDS.pack(MAGIC, VERSION, nbits, count, layout.m, index.m or 0, _packed_sha256(rows, nbits), prefix)
    digest = hashlib.sha256(fields)
    chunks = []
    at = HEADER_SIZE
    for (name, offset, dtype, items), array in zip(_sections(nbits, count, layout), (rows, starts, ids, entries)):
        pad = bytes(offset - at)
        data = memoryview(np.ascontiguousarray(array).reshape(-1)).cast("B") if items else memoryview(b"")
        digest.update(pad)
        digest.update(data)
        chunks += [pad, data]
        at = offset + items * dtype.itemsize
    head = fields + _DIGEST.pack(digest.digest())
    header = head + _CRC.pack(zlib.crc32(head)) + bytes(HEADER_SIZE - _USED)
    with atomic_write(path, "wb") as f:
        f.write(header)
        for chunk in chunks:
            f.write(chunk)


def read_index_header(path) -> dict:
    """Read and check a multi-index file's header (not the payload).

    Returns
    -------
    dict
        ``nbits``, ``count``, ``m``, ``m_given`` (None when chosen from count),
        ``codes_sha256``, ``payload_sha256``, ``layout`` and ``sections``.

    Raises
    ------
    CodeFileError
        Missing file, wrong magic, unknown version, corrupted header, or a file
        size that does not match the header.
    """
    path = os.fspath(path)
    size, raw = _read_head(path, HEADER_SIZE, what="Index file", kind="hashx multi-index file")
    if raw[:8] != MAGIC:
        raise CodeFileError(f"{path!r} is not a hashx multi-index file: expected magic {MAGIC!r}, got {raw[:8]!r}.")
    if len(raw) < HEADER_SIZE:
        raise CodeFileError(f"Index file {path!r} is truncated: {size} bytes, shorter than its "
                            f"{HEADER_SIZE}-byte header.")
    magic, version, nbits, count, m, m_given, codes_sha, prefix = _FIELDS.unpack_from(raw)
    (payload_sha,) = _DIGEST.unpack_from(raw, _FIELDS.size)
    (crc,) = _CRC.unpack_from(raw, _CRC_END)
    if version != VERSION:
        raise CodeFileError(f"Index file {path!r} has format version {version}; this hashx reads version {VERSION}.")
    if zlib.crc32(raw[:_CRC_END]) != crc or any(raw[_USED:HEADER_SIZE]):
        raise CodeFileError(f"Index file {path!r} has a corrupted header (CRC mismatch or reserved bytes set).")
    valid_nbits = nbits >= 8 and nbits % 8 == 0 and len(m_range(nbits)) > 0
    if not valid_nbits or m not in m_range(nbits) or m_given not in (0, m) or count > MAX_CODES:
        raise CodeFileError(f"Index file {path!r} has an invalid header (nbits={nbits}, m={m}, "
                            f"m_given={m_given}, count={count}).")
    layout = make_layout(nbits, m, prefix_bits=prefix[:m])
    lowest = 1 if count else 0  # an empty index has no tables
    if any(not lowest <= p <= (min(s, MAX_DIRECT_BITS) if count else 0)
           for p, s in zip(layout.prefix_bits, layout.lengths)) or any(prefix[m:]):
        raise CodeFileError(f"Index file {path!r} has an invalid header (prefix bits {list(prefix[:m])} for "
                            f"substrings of {list(layout.lengths)} bits).")
    sections = _sections(nbits, count, layout)
    expected = _file_size(sections)
    if size != expected:
        what = "truncated" if size < expected else "longer than its header says"
        raise CodeFileError(f"Index file {path!r} is {what}: {size} bytes, expected {expected} for {count} "
                            f"codes of {nbits} bits in {m} tables.")
    return {"nbits": nbits, "count": count, "m": m, "m_given": m_given or None, "codes_sha256": codes_sha,
            "payload_sha256": payload_sha, "layout": layout, "sections": sections, "header": raw[:_FIELDS.size]}


@njit(cache=True, nogil=True)
def _tables_are_sound(table_starts, starts, ids, n):
    """Offsets ascend from 0 to n within every table, and every id is below n."""
    m = table_starts.shape[0] - 1
    for j in range(m):
        a = table_starts[j]
        z = table_starts[j + 1]
        if starts[a] != 0 or starts[z - 1] != n:
            return False
        for t in range(a + 1, z):
            if starts[t] < starts[t - 1]:
                return False
    for i in range(ids.shape[0]):
        if ids[i] >= n:
            return False
    return True


def _read_payload(path, header: dict, mmap: bool, verify: bool) -> dict:
    sections = header["sections"]
    size = _file_size(sections)
    if mmap:
        payload = np.memmap(path, dtype=np.uint8, mode="r", shape=(size,))
    else:
        with open(path, "rb") as f:
            payload = np.frombuffer(f.read(), dtype=np.uint8)
        if payload.shape[0] != size:
            raise CodeFileError(f"Index file {os.fspath(path)!r} changed size while it was read.")
    if verify:
        digest = hashlib.sha256(header["header"])
        digest.update(memoryview(payload[HEADER_SIZE:]))
        if digest.digest() != header["payload_sha256"]:
            raise CodeFileError(f"Index file {os.fspath(path)!r} is corrupted: payload checksum mismatch.")
    arrays = {}
    for name, at, dtype, items in sections:
        view = payload[at:at + items * dtype.itemsize].view(dtype)
        view.flags.writeable = False
        arrays[name] = view
    return arrays


def read_index(path, cls, *, mmap: bool, verify: bool, threads):
    """Open a multi-index file as an instance of ``cls`` (see :meth:`MultiIndexHammingIndex.load`)."""

    def load(p):
        header = read_index_header(p)
        return header, _read_payload(p, header, mmap, verify)

    if mmap:
        (header, arrays), source = open_mapped(path, load)
    else:
        (header, arrays), source = load(path), None
    nbits, count, layout = header["nbits"], header["count"], header["layout"]
    index = cls(nbits, m=header["m_given"], threads=threads)
    if count == 0:
        return index
    if not _tables_are_sound(layout.table_starts, arrays["starts"], arrays["ids"], count):
        raise CodeFileError(f"Index file {os.fspath(path)!r} is corrupted: its tables are inconsistent.")
    rows = arrays["codes"].reshape(count, row_bytes(nbits))
    store = CodeStore(rows, count, source)
    index._store = store
    index._tables = (store, Tables(layout=layout, n=count, starts=arrays["starts"], ids=arrays["ids"],
                                   entries=arrays["entries"]))
    return index
