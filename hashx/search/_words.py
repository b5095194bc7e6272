"""Packed codes as machine words.

The kernels read a code of ``nbytes = nbits // 8`` bytes as ``W`` unsigned
words: uint64 words when ``nbits % 64 == 0`` (64-, 128-, 256-bit codes, ...),
uint32 words otherwise.  Widths that are not a multiple of 4 bytes (16, 24,
48, 40 bits, ...) are zero-padded to one: the padding is zero in queries and
database alike, so it never changes a distance.  Only two word types exist, so
numba compiles at most two specialisations of each kernel.

The index stores its database in this *row layout* (``row_bytes`` bytes per
code).  When no padding is needed the row layout is the packed layout itself,
so a memory-mapped code file is scanned in place, without a copy.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["word_dtype", "row_bytes", "to_rows", "database_words", "query_words"]


@functools.lru_cache(maxsize=None)
def word_dtype(nbits: int) -> np.dtype:
    """The unsigned word type used for codes of ``nbits`` bits."""
    return np.dtype(np.uint64) if nbits % 64 == 0 else np.dtype(np.uint32)


@functools.lru_cache(maxsize=None)
def row_bytes(nbits: int) -> int:
    """Bytes per code in the row layout (``nbits // 8`` rounded up to whole words)."""
    size = word_dtype(nbits).itemsize
    return -(-(nbits // 8) // size) * size


def _is_aligned(a: np.ndarray, dtype: np.dtype) -> bool:
    """Whether uint8 rows ``a`` (a whole number of words each) are C-contiguous and aligned for ``dtype``."""
    return a.flags.c_contiguous and a.view(dtype).flags.aligned


def to_rows(codes: np.ndarray, nbits: int, *, copy: bool) -> np.ndarray:
    """Packed codes ``(n, nbits // 8)`` uint8 in the row layout ``(n, row_bytes)``.

    Returns ``codes`` itself when it already is in the row layout (contiguous,
    word-aligned, no padding) and ``copy`` is False; otherwise a new array.
    """
    width = row_bytes(nbits)
    dtype = word_dtype(nbits)
    if width == codes.shape[1]:
        if not copy and _is_aligned(codes, dtype):
            return codes
        out = codes.copy(order="C")  # (numpy's allocations are aligned for both word types; checked)
        if _is_aligned(out, dtype):
            return out
    out = np.zeros((codes.shape[0], width), dtype=np.uint8)
    out[:, : codes.shape[1]] = codes
    return out


def database_words(rows: np.ndarray, nbits: int) -> np.ndarray:
    """Read-only flat word view, shape (n * W,), of rows in the row layout.

    Always read-only (numba then compiles a single specialisation whether the
    database is an in-memory buffer or a read-only memory map).
    """
    words = np.asarray(rows).reshape(-1).view(word_dtype(nbits))
    words.flags.writeable = False
    return words


def query_words(queries: np.ndarray, nbits: int) -> np.ndarray:
    """Writable flat word copy, shape (nq * W,), of packed queries ``(nq, nbits // 8)``."""
    return to_rows(queries, nbits, copy=True).reshape(-1).view(word_dtype(nbits))
