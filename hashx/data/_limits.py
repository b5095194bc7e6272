"""Sizes a file declares, checked before anything is allocated or read.

A file's header states each array's shape; a damaged or hostile file can
state anything (a 7 KB HDF5 file may declare 10^10 x 1,000 floats).  The
readers check every declared size against two bounds before they allocate
memory or start reading:

- **what the file stores**: an array cannot hold more bytes than
  ``MAX_COMPRESSION_RATIO`` times the bytes stored for it (1,032 is the
  largest ratio deflate, the compression of ``.npz``, MATLAB and most HDF5
  files, can reach; uncompressed storage must hold every byte);
- **this machine's memory**: an array the reader materialises may not exceed
  :func:`memory_limit` (the physical memory).

Either failure is a :class:`~hashx.exceptions.DataFormatError` naming the file
and the variable, never a ``MemoryError`` or a scan of terabytes of fill
values.
"""

from __future__ import annotations

import functools
import math
import os

import numpy as np

from ..exceptions import DataFormatError
from ._messages import where

__all__ = [
    "MAX_COMPRESSION_RATIO",
    "memory_limit",
    "declared_bytes",
    "check_stored",
    "check_sparse_rows",
    "check_memory",
    "allocate",
    "human_bytes",
]

#: The largest expansion deflate can reach (258-byte matches coded in 2 bits: 1032:1).
MAX_COMPRESSION_RATIO = 1032
#: Headers and chunk indices a small stored array may legitimately need beyond its data.
_SLACK_BYTES = 1 << 16


@functools.lru_cache(maxsize=1)
def memory_limit() -> int:
    """The largest array (bytes) a reader allocates: the machine's physical memory.

    Where the operating system does not report it, 2**40 (1 TiB).
    """
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return 1 << 40


def human_bytes(n: int) -> str:
    """``n`` bytes in binary units, e.g. ``"37.3 TiB"``."""
    value = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} bytes"  # pragma: no cover


def declared_bytes(shape, itemsize: int) -> int:
    """Bytes of an array of ``shape`` (exact Python integers: never overflows)."""
    return math.prod(int(s) for s in shape) * int(itemsize)


def check_stored(path, var, shape, itemsize: int, stored: int, *, compressed: bool = True) -> None:
    """Refuse a declared ``shape`` that the ``stored`` bytes cannot hold.

    Parameters
    ----------
    shape : tuple of int
        The shape the file declares.
    itemsize : int
        Bytes per stored element.
    stored : int
        Bytes the file stores for the array (the whole file where no finer
        figure is known).
    compressed : bool
        Whether the storage may be compressed (deflate's 1032:1 bound) or must
        hold every byte.

    Raises
    ------
    DataFormatError
        The declared size exceeds what the storage can hold.
    """
    need = declared_bytes(shape, itemsize)
    bound = stored * (MAX_COMPRESSION_RATIO if compressed else 1) + (_SLACK_BYTES if compressed else 0)
    if need > bound:
        raise DataFormatError(
            f"{where(path, var)}: declares an array of shape {tuple(int(s) for s in shape)} "
            f"({human_bytes(need)}) but stores only {human_bytes(stored)} for it; the file is truncated or "
            f"its header is corrupted."
        )


def check_sparse_rows(path, var, nrows: int, stored: int) -> None:
    """Refuse a column-compressed (MATLAB) sparse matrix whose row count its storage cannot justify.

    Read by rows (CSR), a matrix needs one row pointer per row although a
    column-compressed file stores nothing per row: a damaged row count would
    allocate gigabytes from a few bytes.  The rows' pointers (int64) are held
    to the bound of :func:`check_stored` over the file's ``stored`` bytes.
    """
    need = 8 * (int(nrows) + 1)
    if need > stored * MAX_COMPRESSION_RATIO + _SLACK_BYTES:
        raise DataFormatError(
            f"{where(path, var)}: a sparse matrix of {int(nrows):,} rows needs {human_bytes(need)} of row pointers "
            f"to be read by rows, more than {MAX_COMPRESSION_RATIO} times the file's {human_bytes(stored)}; its "
            f"row count is corrupted."
        )


def check_memory(path, var, shape, dtype) -> None:
    """Refuse to materialise an array larger than :func:`memory_limit` (or of negative dimensions)."""
    if any(int(s) < 0 for s in shape):
        raise DataFormatError(f"{where(path, var)}: declares negative dimensions {tuple(int(s) for s in shape)}; "
                              f"the file's header is corrupted.")
    need = declared_bytes(shape, np.dtype(dtype).itemsize)
    if need > memory_limit():
        raise DataFormatError(
            f"{where(path, var)}: reading it needs a {tuple(int(s) for s in shape)} {np.dtype(dtype)} array "
            f"({human_bytes(need)}), more than this machine's memory ({human_bytes(memory_limit())})."
        )


def allocate(path, var, shape, dtype) -> np.ndarray:
    """``np.empty(shape, dtype)`` after :func:`check_memory`; a ``MemoryError`` becomes a DataFormatError."""
    check_memory(path, var, shape, dtype)
    try:
        return np.empty(tuple(int(s) for s in shape), dtype=dtype)
    except MemoryError:
        need = human_bytes(declared_bytes(shape, np.dtype(dtype).itemsize))
        raise DataFormatError(
            f"{where(path, var)}: not enough free memory for a {tuple(shape)} {np.dtype(dtype)} array ({need})."
        ) from None
