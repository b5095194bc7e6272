"""The tables of multi-index hashing: one per substring of the codes, as flat arrays.

A code of ``nbits`` bits is cut into ``m`` disjoint substrings of consecutive
bits (lengths differ by at most one bit, at most :data:`MAX_SUBSTRING_BITS`
each).  Bit ``p`` of a code is bit ``p % B`` of its word ``p // B`` in the word
layout of :mod:`._words` (``B`` = 64 or 32), so a substring is one shift and
mask of one or two words; any fixed cut works, since queries are cut the same
way.

Table ``j`` holds every code's entry sorted by (substring ``j``, id):

``ids``
    uint32, the code ids in that order (ids ascend within equal keys);
``entries``
    the codes themselves in that order (``W`` words each), so that the codes
    found under one key are read from one contiguous run rather than from
    random places of the database;
``starts``
    uint32 offsets over the top ``p`` bits of the key (``2**p + 1`` of them):
    the entries whose key starts with prefix ``t`` are
    ``starts[t]:starts[t + 1]``.  When ``p`` equals the substring length the
    table is direct-addressed (a key's entries are that range); otherwise
    (substrings longer than :data:`MAX_DIRECT_BITS`, or much longer than
    ``log2(n)``) the key is found by binary search within its prefix's range.

The ``m`` tables are concatenated: ``ids`` and ``entries`` have ``m * n`` rows
(table ``j`` is rows ``j * n .. (j + 1) * n - 1``) and ``starts`` holds the
tables' offset arrays one after the other (table ``j``'s begins at
``table_starts[j]``).  Building a table is a stable sort on the
key (a radix sort of ``key << 32 | id``, 11 bits per pass); tables are built in
parallel.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from ._plan import prange_only

__all__ = ["MAX_SUBSTRING_BITS", "MAX_DIRECT_BITS", "MAX_CODES", "Layout", "Tables", "substring_lengths", "make_layout",
           "build_tables", "substring"]

#: Longest substring: keys are at most 32 bits (m >= nbits / 32).
MAX_SUBSTRING_BITS = 32
#: Longest prefix addressed directly (2**24 + 1 offsets, 64 MiB per table).
MAX_DIRECT_BITS = 24
#: Shortest prefix (a table of 2**16 offsets costs 256 KiB whatever n).
MIN_PREFIX_BITS = 16
#: Most codes a table can hold (ids and offsets are uint32).
MAX_CODES = 2**32 - 1


@dataclass(frozen=True)
class Layout:
    """Where the substrings lie and how each table is addressed.

    Attributes
    ----------
    nbits : int
        Code length in bits.
    offsets : tuple of int
        First bit of each substring.
    lengths : tuple of int
        Bits of each substring (``sum(lengths) == nbits``).
    prefix_bits : tuple of int
        Bits of the key addressed by each table's ``starts`` (``<= lengths``).
    """

    nbits: int
    offsets: tuple
    lengths: tuple
    prefix_bits: tuple

    @property
    def m(self) -> int:
        return len(self.lengths)

    @functools.cached_property
    def table_starts(self) -> np.ndarray:
        """int64 of shape (m + 1,): where each table's offsets begin in the concatenated ``starts``."""
        sizes = [(1 << p) + 1 for p in self.prefix_bits]
        return _frozen(np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64))

    @functools.cached_property
    def offsets_array(self) -> np.ndarray:
        return _frozen(np.asarray(self.offsets, np.int64))

    @functools.cached_property
    def lengths_array(self) -> np.ndarray:
        return _frozen(np.asarray(self.lengths, np.int64))

    @functools.cached_property
    def prefix_bits_array(self) -> np.ndarray:
        return _frozen(np.asarray(self.prefix_bits, np.int64))


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def prefix_bits_for(length: int, n: int) -> int:
    """Bits of a table's direct offsets: the whole key when it is short, else about log2(n) + 1."""
    wanted = max(MIN_PREFIX_BITS, math.ceil(math.log2(max(n, 2))) + 1)
    return min(length, MAX_DIRECT_BITS, wanted)


def substring_lengths(nbits: int, m: int) -> tuple:
    """Lengths of ``m`` substrings covering ``nbits`` bits, the first ``nbits % m`` one bit longer."""
    base, extra = divmod(nbits, m)
    return tuple(base + (1 if j < extra else 0) for j in range(m))


def make_layout(nbits: int, m: int, n: int | None = None, *, prefix_bits=None) -> Layout:
    """The substrings of ``m`` tables over ``nbits``-bit codes, addressed for ``n`` codes (or by ``prefix_bits``)."""
    lengths = substring_lengths(nbits, m)
    offsets = tuple(int(x) for x in np.concatenate([[0], np.cumsum(lengths)[:-1]]))
    if prefix_bits is None:
        prefix_bits = [prefix_bits_for(s, n) for s in lengths]
    return Layout(nbits=nbits, offsets=offsets, lengths=lengths, prefix_bits=tuple(int(p) for p in prefix_bits))


@njit(cache=True, inline="always")
def substring(words, base, wbits, off, length):
    """Bits ``off .. off + length - 1`` of the code starting at ``words[base]``, as uint64."""
    w = off // wbits
    b = off - w * wbits
    x = np.uint64(words[base + w]) >> np.uint64(b)
    got = wbits - b
    while got < length:
        w += 1
        x |= np.uint64(words[base + w]) << np.uint64(got)
        got += wbits
    return x & ((np.uint64(1) << np.uint64(length)) - np.uint64(1))


#: Bits sorted per pass of the radix sort (2**11 counters fit in the L1 cache).
RADIX_BITS = 11


@njit(cache=True, nogil=True)
def _radix_sort(src, dst, length):
    """Stable LSD radix sort of ``src`` by bits ``32 .. 32 + length - 1``; returns the sorted array.

    ``src`` and ``dst`` are both overwritten; the result is one of them.
    """
    passes = max(1, -(-length // RADIX_BITS))
    digit = -(-length // passes)
    n = src.shape[0]
    lo = 0
    while lo < length:
        bits = min(digit, length - lo)
        shift = np.uint64(32 + lo)
        mask = np.uint64((1 << bits) - 1)
        counts = np.zeros(1 << bits, np.int64)
        for i in range(n):
            counts[(src[i] >> shift) & mask] += 1
        total = 0
        for t in range(1 << bits):
            c = counts[t]
            counts[t] = total
            total += c
        for i in range(n):
            v = src[i]
            t = (v >> shift) & mask
            dst[counts[t]] = v
            counts[t] += 1
        src, dst = dst, src
        lo += bits
    return src


@njit(cache=True, nogil=True)
def _build_table(db, W, wbits, n, off, length, p, starts, ids, entries):
    """Fill one table: ``starts`` (2**p + 1 offsets), ``ids`` (n) and ``entries`` (n * W words)."""
    a = np.empty(n, np.uint64)
    b = np.empty(n, np.uint64)
    for i in range(n):
        a[i] = (substring(db, i * W, wbits, off, length) << np.uint64(32)) | np.uint64(i)
    packed = _radix_sort(a, b, length)  # by key; ids ascend within a key (stable, from id order)
    shift = np.uint64(32 + length - p)
    size = (1 << p) + 1
    counts = np.zeros(size, np.int64)
    for e in range(n):
        counts[(packed[e] >> shift) + np.uint64(1)] += 1
    for t in range(1, size):
        counts[t] += counts[t - 1]
    for t in range(size):
        starts[t] = counts[t]
    low = np.uint64(0xFFFFFFFF)
    for e in range(n):
        i = packed[e] & low
        ids[e] = i
        src = np.int64(i) * W
        for w in range(W):
            entries[e * W + w] = db[src + w]


@njit(parallel=prange_only(), cache=True, nogil=True)
def _build(db, W, wbits, n, offsets, lengths, prefix_bits, table_starts, starts, ids, entries):
    for j in prange(offsets.shape[0]):
        _build_table(db, W, wbits, n, offsets[j], lengths[j], prefix_bits[j],
                     starts[table_starts[j]:table_starts[j + 1]], ids[j * n:(j + 1) * n],
                     entries[j * n * W:(j + 1) * n * W])


@dataclass(frozen=True)
class Tables:
    """The ``m`` tables of an index (flat arrays, see the module docstring).

    Attributes
    ----------
    layout : Layout
    n : int
        Codes indexed.
    starts : ndarray of shape (sum(2**p + 1),), dtype=uint32
    ids : ndarray of shape (m * n,), dtype=uint32
    entries : ndarray of shape (m * n * W,), dtype=uint64 or uint32
        The codes, in each table's order, as words.
    """

    layout: Layout
    n: int
    starts: np.ndarray
    ids: np.ndarray
    entries: np.ndarray

    @property
    def nbytes(self) -> int:
        return int(self.starts.nbytes + self.ids.nbytes + self.entries.nbytes)


def build_tables(dbwords: np.ndarray, W: int, layout: Layout, n: int) -> Tables:
    """Build the tables of ``n`` codes (``dbwords``: flat words, see :mod:`._words`); the caller holds the threads."""
    m = layout.m
    wbits = 8 * dbwords.dtype.itemsize
    table_starts = layout.table_starts
    starts = np.empty(int(table_starts[-1]), np.uint32)
    ids = np.empty(m * n, np.uint32)
    entries = np.empty(m * n * W, dbwords.dtype)
    _build(dbwords, W, wbits, n, layout.offsets_array, layout.lengths_array, layout.prefix_bits_array,
           table_starts, starts, ids, entries)
    for a in (starts, ids, entries):
        a.flags.writeable = False
    return Tables(layout=layout, n=n, starts=starts, ids=ids, entries=entries)
