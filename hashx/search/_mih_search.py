"""Exact k-nearest-neighbour and range search over multi-index hashing tables.

The pigeonhole principle (Norouzi, Punjani and Fleet, "Fast search in Hamming
space with multi-index hashing", CVPR 2012): if a code differs from the query
in ``d`` bits and the code is cut into ``m`` disjoint substrings, then in some
substring ``j`` it differs in at most ``r_j`` bits whenever
``sum_j (r_j + 1) > d``.  So a query probes its tables in *steps*
``(r, j)`` = (0, 0), (0, 1), ..., (0, m-1), (1, 0), ...: step ``(r, j)`` looks
up, in table ``j``, every key at exactly ``r`` bits from the query's substring
``j`` (``C(s_j, r)`` keys, enumerated in increasing order as bit masks with
``r`` set bits) and computes the full distance of every code found under them
(the *candidates*).  After step ``(r, j)`` tables ``0..j`` have been searched
to radius ``r`` and the others to ``r - 1``, so every code at distance
``<= R = m * r + j`` has been seen.

k-NN: the ``k`` best candidates so far are kept in a max-heap on the key
``(distance << 32) | id``, which orders them by (distance, id).  The search
stops after the first step whose ``R`` reaches the heap's largest distance:
every code at that distance or closer has then been seen, so the heap holds
exactly the ``k`` first codes in (distance, id) order, ties included.  Range
search stops at the first ``R >= radius``.

A code is found once per table whose substring is close enough; it is counted
only the first time, with no per-query memory: found in step ``(r, j)`` it was
already seen iff some other table ``j'`` has substring distance ``< r``, or
``== r`` with ``j' < j``.  That test (``m`` masked popcounts) runs only for
candidates that would enter the result.

Work is bounded.  A query's work is counted in units of one code word
verified: a candidate costs ``W`` units, a probe :data:`PROBE_UNITS` (the
lookup and reaching its run; within a step, each run's first lines are
prefetched :data:`PIPELINE` probes before it is verified).  The caller sets
each query's *budget* to what a linear scan would cost it.  A query gives up before a step whose probes
alone would exceed the budget, or as soon as its work does; the caller then
answers it with the linear scan (:mod:`._topk`, :mod:`._range`), so a query
never costs much more than a scan, and the answer is exact either way.  This
is what keeps large ``k``, large radii, long codes or tiny databases safe.

Few queries: each query's probes are dealt round-robin to ``nparts`` tasks,
each with its own heap.  The tasks find disjoint sets of codes, so if they
hold ``k`` codes at distance ``<= D`` between them, the final ``k``-th
distance is at most ``D``.  Each task publishes, for every ``D``, how many
codes of its heap are at distance ``<= D`` (a row of cumulative counts); a
push or a replacement of the heap's top by a closer code only ever raises
these counts, so every count a task reads from another task, however stale,
is a true statement about codes found, and the counts need no locks or
ordering.  Each task prunes candidates and stops by the least ``D`` whose
counts, summed over the query's tasks, reach ``k``: the bound a single task
holding all their candidates would have, not the looser bound of one task's
share (measured on a Skylake-SP-class VM, 10M x 64-bit codes, k = 10, two
tasks: 0.97-1.23 ms a query against 1.15-1.40 ms with the per-heap bound).
That is exact: every code as close as the final ``k``-th was reached by
every task's steps.  A task also stops in the middle of a step as soon as
the bound falls to what its earlier steps covered (the other tasks' finds
can lower it at any time; its own finds in a step cannot).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numba import njit, prange

from ._mih_tables import substring
from ._plan import prange_only
from ._popcount import GROUP, next_group, popcount, prefetch, trailing_zeros

__all__ = ["PROBE_UNITS", "binomials", "knn_search", "range_search", "substring_masks"]

#: Cost of one probe (a key looked up, its run of entries reached), in units of one code word verified.
PROBE_UNITS = 60.0
#: Bytes of heaps and counts allowed per kernel call (queries are chunked to fit).
STATE_BYTES = 64 * 1024 * 1024
#: Cache lines of a probe's run loaded ahead while earlier runs are verified.
PREFETCH_LINES = 64
#: Probes looked up (and their runs prefetched) before the first of them is verified.
PIPELINE = 8
#: Probes whose offsets are loaded ahead of their lookup.
LOOKAHEAD = 16
#: Heap entries from which the k-NN kernel merges its queries' heaps in parallel (below, one thread does).
PARALLEL_MERGE_KEYS = 1 << 14


@functools.lru_cache(maxsize=1)
def binomials() -> np.ndarray:
    """C(s, r) for 0 <= r <= s <= 32 (the longest substring), float64 of shape (33, 33), read-only."""
    out = np.array([[math.comb(s, r) for r in range(33)] for s in range(33)], dtype=np.float64)
    out.flags.writeable = False
    return out


@njit(cache=True, nogil=True)
def _heap_push(heap, size, key):
    """Insert ``key`` into the max-heap ``heap[:size]``; return the new size."""
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        if heap[parent] >= key:
            break
        heap[i] = heap[parent]
        i = parent
    heap[i] = key
    return size + 1


@njit(cache=True, nogil=True)
def _heap_replace_top(heap, size, key):
    """Replace the largest key of the max-heap ``heap[:size]`` by the smaller ``key``."""
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and heap[c + 1] > heap[c]:
            c += 1
        if heap[c] <= key:
            break
        heap[i] = heap[c]
        i = c
    heap[i] = key


@njit(cache=True, nogil=True)
def _seen_before(qs, qo, code, co, W, masks, m, j, r):
    """Whether a candidate found in step (r, j) was found in an earlier step."""
    for jj in range(m):
        if jj == j:
            continue
        dj = 0
        for w in range(W):
            dj += popcount((qs[qo + w] ^ code[co + w]) & masks[jj * W + w])
        if dj < r or (jj < j and dj == r):
            return True
    return False


@njit(cache=True, inline="always")
def _next_mask(mask):
    """The next larger integer with the same number of set bits (Gosper)."""
    c = mask & (~mask + np.uint64(1))
    rr = mask + c
    return (((rr ^ mask) >> np.uint64(2)) >> np.uint64(trailing_zeros(c))) | rr


@njit(cache=True, nogil=True, inline="always")
def _key_range(j, key, wbits, W, n, lengths, prefix_bits, offsets, table_starts, starts, entries):
    """Entries ``a..z-1`` of table ``j`` whose substring equals ``key``."""
    length = lengths[j]
    shift = np.uint64(length - prefix_bits[j])
    t = table_starts[j] + np.int64(key >> shift)
    a = np.int64(starts[t])
    z = np.int64(starts[t + 1])
    if shift == 0 or a == z:
        return a, z
    base = j * n
    off = offsets[j]
    lo, hi = a, z
    while lo < hi:
        mid = (lo + hi) >> 1
        if substring(entries, (base + mid) * W, wbits, off, length) < key:
            lo = mid + 1
        else:
            hi = mid
    a = lo
    hi = z
    while lo < hi:
        mid = (lo + hi) >> 1
        if substring(entries, (base + mid) * W, wbits, off, length) <= key:
            lo = mid + 1
        else:
            hi = mid
    return a, lo


@njit(cache=True, nogil=True)
def _offer(qs, qo, W, e, d, r, j, m, ids, entries, masks, keff, heap, size, counts, row):
    """Offer entry ``e`` (at distance ``d``, found in step (r, j)) to the heap; return the new size.

    ``counts[row, D]`` (the heap's codes at distance ``<= D``) follows the heap.
    """
    key = (np.int64(d) << 32) | np.int64(ids[e])
    if size == keff and key >= heap[0]:
        return size
    if _seen_before(qs, qo, entries, e * W, W, masks, m, j, r):
        return size
    if size < keff:
        for x in range(d, counts.shape[1]):
            counts[row, x] += 1
        return _heap_push(heap, size, key)
    top = heap[0] >> 32
    _heap_replace_top(heap, size, key)
    for x in range(d, top):  # the code at distance top left, one at d came
        counts[row, x] += 1
    return size


@njit(cache=True, nogil=True, inline="always")
def _bound(counts, row0, nparts, keff, thr_d):
    """The least ``D <= thr_d`` such that the query's tasks (rows ``row0..row0+nparts-1``) hold ``keff``
    codes at distance ``<= D`` (given that ``thr_d`` is such a bound)."""
    while thr_d > 0:
        total = 0
        for p in range(nparts):
            total += counts[row0 + p, thr_d - 1]
        if total < keff:
            break
        thr_d -= 1
    return thr_d


@njit(cache=True, inline="always")
def _distance(qs, qo, entries, e, W):
    d = 0
    for w in range(W):
        d += popcount(qs[qo + w] ^ entries[e * W + w])
    return d


@njit(cache=True, inline="always")
def _next_bits(qs, qo, entries, ea, g, gz, ez, W, limit):
    """(g, bits): the next group from ``g`` with an entry closer than ``limit`` (bits: which), then the
    tail ``gz..ez-1`` (fewer than a group) of the run ``ea..ez-1``; ``g >= ez`` when nothing is left.

    When the run holds a full group, the tail is tested in one vector pass
    over the group that ends at ``ez`` (inside the run, so in lines already
    loaded), its bits shifted to the tail's entries; a run shorter than a
    group (most runs of a table keyed by about log2(n) bits) is tested entry
    by entry, which reads no line outside it.
    """
    if g < gz:
        g, bits = next_group(qs, qo, entries, g, gz, W, limit)
        if g < gz:
            return g, bits
    if g < ez:
        if ez - ea < GROUP:
            bits = np.uint64(0)
            for i in range(ez - g):
                if _distance(qs, qo, entries, g + i, W) < limit:
                    bits |= np.uint64(1) << np.uint64(i)
            return g, bits
        gs = ez - GROUP
        h, bits = next_group(qs, qo, entries, gs, ez, W, limit)
        if h != gs:
            return g, np.uint64(0)
        return g, bits >> np.uint64(g - gs)
    return ez, np.uint64(0)


@njit(cache=True, nogil=True, inline="always")
def _knn_run(qs, qo, W, ea, ez, r, j, m, ids, entries, masks, keff, heap, size, thr_d, counts, row0, part,
             nparts):
    """Offer the entries ``ea..ez-1`` (one key's run, found in step (r, j)); return (size, thr_d).

    ``thr_d`` bounds the final k-th distance from above (:func:`_bound` over
    the counts of the query's tasks, this one's in row ``row0 + part``).
    """
    thr_d = _bound(counts, row0, nparts, keff, thr_d)
    gz = ea + (ez - ea) // GROUP * GROUP
    g, bits = _next_bits(qs, qo, entries, ea, ea, gz, ez, W, thr_d + 1)
    while g < ez:
        while bits != 0:
            e = g + trailing_zeros(bits)
            bits &= bits - np.uint64(1)
            d = _distance(qs, qo, entries, e, W)
            if d <= thr_d:
                size = _offer(qs, qo, W, e, d, r, j, m, ids, entries, masks, keff, heap, size, counts, row0 + part)
                thr_d = _bound(counts, row0, nparts, keff, thr_d)
        g, bits = _next_bits(qs, qo, entries, ea, g + GROUP, gz, ez, W, thr_d + 1)
    return size, thr_d


@njit(cache=True, nogil=True, inline="always")
def _prefetch_run(entries, ea, ez, W):
    """Start loading the first cache lines (at most PREFETCH_LINES) of entries ``ea..ez-1``.

    A run need not start on a line: its lines are those of its first and
    last words and every line between, so the last word's line is loaded too
    (a short run often straddles two lines)."""
    step = 64 // entries.itemsize
    first = ea * W
    last = min(ez * W, first + PREFETCH_LINES * step)
    for x in range(first, last, step):
        prefetch(entries, x)
    prefetch(entries, last - 1)


@njit(cache=True, nogil=True)
def _query_keys(qs, qo, wbits, offsets, lengths):
    m = lengths.shape[0]
    qkeys = np.empty(m, np.uint64)
    for j in range(m):
        qkeys[j] = substring(qs, qo, wbits, offsets[j], lengths[j])
    return qkeys


@njit(cache=True, nogil=True, inline="always")
def _range_run(qs, qo, W, ea, ez, r, j, m, radius, ids, entries, masks, out_d, out_i, at, found):
    """Count the entries ``ea..ez-1`` within ``radius`` (first found in step (r, j)), or write them when
    ``out_d`` is not empty; return the new count."""
    write = out_d.shape[0] > 0
    gz = ea + (ez - ea) // GROUP * GROUP
    g, bits = _next_bits(qs, qo, entries, ea, ea, gz, ez, W, radius + 1)
    while g < ez:
        while bits != 0:
            e = g + trailing_zeros(bits)
            bits &= bits - np.uint64(1)
            d = _distance(qs, qo, entries, e, W)
            if d <= radius and not _seen_before(qs, qo, entries, e * W, W, masks, m, j, r):
                if write:
                    out_d[at + found] = d
                    out_i[at + found] = ids[e]
                found += 1
        g, bits = _next_bits(qs, qo, entries, ea, g + GROUP, gz, ez, W, radius + 1)
    return found


@njit(cache=True, nogil=True)
def _walk(qs, qo, W, wbits, nbits, n, radius, keff, offsets, lengths, prefix_bits, table_starts, starts, ids,
          entries, masks, binom, probe_units, cand_units, budget, part, nparts, heap, counts, row0, out_d, out_i,
          at):
    """One query's steps (its probes ``part``, ``part + nparts``, ... only).

    k-NN when ``radius < 0``: the ``keff`` best candidates into ``heap``; the
    query's tasks (rows ``row0..row0+nparts-1`` of ``counts``) share their counts of codes by distance.
    Range search otherwise: counts the codes within ``radius``, or writes them
    at ``out_d[at:]``, ``out_i[at:]`` when ``out_d`` is not empty.  Returns
    (count, done): the heap's size or the number of matches, and False when
    the budget ran out.
    """
    knn = radius < 0
    m = lengths.shape[0]
    qkeys = _query_keys(qs, qo, wbits, offsets, lengths)
    ring_a = np.empty(PIPELINE, np.int64)  # runs looked up and prefetched, not yet verified
    ring_z = np.empty(PIPELINE, np.int64)
    count = 0
    thr_d = nbits  # k-NN: candidates at a larger distance cannot enter
    work = 0.0
    probe = 0  # probes enumerated so far (this part takes every nparts-th)
    r = 0
    while True:
        for j in range(m):
            length = lengths[j]
            if r <= length:
                if work + binom[length, r] * probe_units / nparts > budget:
                    return count, False
                base = j * n
                mask = np.uint64(0) if r == 0 else (np.uint64(1) << np.uint64(r)) - np.uint64(1)
                limit = np.uint64(1) << np.uint64(length)
                qk = qkeys[j]
                head = 0
                fill = 0
                # a second enumeration LOOKAHEAD probes ahead loads each key's offsets early
                shift = np.uint64(length - prefix_bits[j])
                tbase = table_starts[j]
                amask = mask
                aprobe = probe
                for _ in range(LOOKAHEAD):
                    if r == 0 or amask >= limit:
                        break
                    if nparts == 1 or aprobe % nparts == part:
                        prefetch(starts, tbase + np.int64((qk ^ amask) >> shift))
                    aprobe += 1
                    amask = _next_mask(amask)
                while True:
                    last = mask >= limit
                    if not last:
                        if r > 0 and amask < limit:
                            if nparts == 1 or aprobe % nparts == part:
                                prefetch(starts, tbase + np.int64((qk ^ amask) >> shift))
                            aprobe += 1
                            amask = _next_mask(amask)
                        if nparts == 1 or probe % nparts == part:
                            a, z = _key_range(j, qk ^ mask, wbits, W, n, lengths, prefix_bits, offsets, table_starts,
                                              starts, entries)
                            work += probe_units + cand_units * (z - a)
                            if z > a:
                                _prefetch_run(entries, base + a, base + z, W)
                                slot = (head + fill) % PIPELINE
                                ring_a[slot] = base + a
                                ring_z[slot] = base + z
                                fill += 1
                        probe += 1
                        mask = limit if r == 0 else _next_mask(mask)
                    while fill == PIPELINE or (last and fill > 0):
                        ea = ring_a[head]
                        ez = ring_z[head]
                        head = (head + 1) % PIPELINE
                        fill -= 1
                        if knn:
                            count, thr_d = _knn_run(qs, qo, W, ea, ez, r, j, m, ids, entries, masks, keff, heap,
                                                    count, thr_d, counts, row0, part, nparts)
                            if m * r + j - 1 >= thr_d:
                                # the codes the query's other tasks found brought the bound within what the
                                # steps before this one covered: the search was complete before this step
                                return count, True
                        else:
                            count = _range_run(qs, qo, W, ea, ez, r, j, m, radius, ids, entries, masks, out_d,
                                               out_i, at, count)
                    if last:
                        break
                    if work > budget:
                        return count, False
            covered = m * r + j
            if knn:
                thr_d = _bound(counts, row0, nparts, keff, thr_d)
                if covered >= thr_d:
                    return count, True
            elif covered >= radius:
                return count, True
        r += 1


@njit(cache=True, nogil=True, inline="always")
def _merge_parts(q, nparts, keff, nbits, heaps, sizes, oks, out_d, out_i):
    """Query ``q``'s row of the result from its tasks' heaps; False if one of its tasks gave up."""
    ok = True
    total = 0
    for p in range(nparts):
        ok = ok and oks[q * nparts + p]
        total += sizes[q * nparts + p]
    if not ok:
        return False
    # the parts found disjoint sets of codes (each code counts in one step only)
    merged = np.empty(total, np.int64)
    at = 0
    for p in range(nparts):
        s = sizes[q * nparts + p]
        merged[at:at + s] = heaps[q * nparts + p, :s]
        at += s
    merged.sort()
    got = min(total, keff)
    for i in range(got):
        out_d[q, i] = merged[i] >> 32
        out_i[q, i] = merged[i] & 0xFFFFFFFF
    for i in range(got, out_d.shape[1]):
        out_d[q, i] = nbits + 1
        out_i[q, i] = -1
    return True


@njit(parallel=prange_only(), cache=True, nogil=True)
def _knn_kernel(qs, W, wbits, nbits, n, k, nparts, offsets, lengths, prefix_bits, table_starts, starts, ids,
                entries, masks, binom, probe_units, cand_units, budget):
    nq = qs.shape[0] // W
    keff = min(k, n)
    heaps = np.empty((nq * nparts, keff), np.int64)
    sizes = np.zeros(nq * nparts, np.int64)
    oks = np.zeros(nq * nparts, np.bool_)
    counts = np.zeros((nq * nparts, nbits + 1), np.int64)  # each task's heap codes at distance <= D
    none_d = np.empty(0, np.int32)
    none_i = np.empty(0, np.int64)
    for task in prange(nq * nparts):
        q = task // nparts
        sizes[task], oks[task] = _walk(qs, q * W, W, wbits, nbits, n, -1, keff, offsets, lengths, prefix_bits,
                                       table_starts, starts, ids, entries, masks, binom, probe_units, cand_units,
                                       budget, task - q * nparts, nparts, heaps[task], counts, q * nparts, none_d,
                                       none_i, 0)
    out_d = np.empty((nq, k), np.int32)
    out_i = np.empty((nq, k), np.int64)
    done = np.zeros(nq, np.bool_)
    if nq * nparts * keff < PARALLEL_MERGE_KEYS:  # (waking the threads again would cost more)
        for q in range(nq):
            done[q] = _merge_parts(q, nparts, keff, nbits, heaps, sizes, oks, out_d, out_i)
    else:
        for q in prange(nq):
            done[q] = _merge_parts(q, nparts, keff, nbits, heaps, sizes, oks, out_d, out_i)
    return out_d, out_i, done


@njit(parallel=prange_only(), cache=True, nogil=True)
def _range_kernel(qs, W, wbits, radius, n, nparts, offsets, lengths, prefix_bits, table_starts, starts, ids,
                  entries, masks, binom, probe_units, cand_units, budget):
    nq = qs.shape[0] // W
    counts = np.zeros(nq * nparts, np.int64)
    oks = np.zeros(nq * nparts, np.bool_)
    none_d = np.empty(0, np.int32)
    none_i = np.empty(0, np.int64)
    no_heap = np.empty(0, np.int64)
    no_counts = np.zeros((1, 1), np.int64)
    for task in prange(nq * nparts):
        q = task // nparts
        # (range search passes the radius where k-NN passes nbits: it is not used)
        counts[task], oks[task] = _walk(qs, q * W, W, wbits, radius, n, radius, 0, offsets, lengths, prefix_bits,
                                        table_starts, starts, ids, entries, masks, binom, probe_units, cand_units,
                                        budget, task - q * nparts, nparts, no_heap, no_counts, 0, none_d, none_i,
                                        0)
    done = np.zeros(nq, np.bool_)
    lims = np.zeros(nq + 1, np.int64)
    starts_at = np.zeros(nq * nparts, np.int64)
    total = 0
    for q in range(nq):
        ok = True
        for p in range(nparts):
            ok = ok and oks[q * nparts + p]
        done[q] = ok
        for p in range(nparts):
            starts_at[q * nparts + p] = total
            if ok:
                total += counts[q * nparts + p]
        lims[q + 1] = total
    out_d = np.empty(total, np.int32)
    out_i = np.empty(total, np.int64)
    for task in prange(nq * nparts):
        q = task // nparts
        if done[q] and counts[task] > 0:
            _walk(qs, q * W, W, wbits, radius, n, radius, 0, offsets, lengths, prefix_bits, table_starts, starts,
                  ids, entries, masks, binom, probe_units, cand_units, np.inf, task - q * nparts, nparts, no_heap,
                  no_counts, 0, out_d, out_i, starts_at[task])
    # order each query's matches by (distance, id)
    for q in prange(nq):
        a = lims[q]
        z = lims[q + 1]
        keys = np.empty(z - a, np.int64)
        for i in range(a, z):
            keys[i - a] = (np.int64(out_d[i]) << 32) | out_i[i]
        keys.sort()
        for i in range(a, z):
            out_d[i] = keys[i - a] >> 32
            out_i[i] = keys[i - a] & 0xFFFFFFFF
    return lims, out_d, out_i, done


def _arrays(tables):
    layout = tables.layout
    return (layout.offsets_array, layout.lengths_array, layout.prefix_bits_array, layout.table_starts,
            tables.starts, tables.ids, tables.entries)


def knn_search(qwords: np.ndarray, W: int, nbits: int, k: int, tables, masks: np.ndarray, budget: float,
               nparts: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact k-NN of each query by multi-index hashing (the caller holds the numba thread count).

    Parameters
    ----------
    qwords : ndarray of shape (nq * W,)
        Query codes as words (see :mod:`hashx.search._words`).
    W : int
        Words per code.
    nbits : int
        Code length in bits.
    k : int
        Neighbours per query (rows are padded past the table size).
    tables : Tables
        The index's tables (:mod:`._mih_tables`), ``n >= 1`` codes.
    masks : ndarray of shape (m * W,), same dtype as ``qwords``
        Each substring's bits, word by word (:func:`substring_masks`).
    budget : float
        Cost units a query may spend before it gives up.
    nparts : int
        Parts each query's probes are dealt into (one task each).

    Returns
    -------
    D : ndarray of shape (nq, k), dtype=int32
    I : ndarray of shape (nq, k), dtype=int64
    done : ndarray of shape (nq,), dtype=bool
        False for the queries that gave up (their rows are undefined): answer
        them with a linear scan.
    """
    wbits = 8 * qwords.dtype.itemsize
    nq = qwords.shape[0] // W
    keff = min(k, tables.n)
    cand_units = W * qwords.dtype.itemsize / 8
    pieces = []
    a = 0
    while a < nq:  # bound the memory of the heaps and counts (queries x parts x (k + nbits + 1))
        z = min(nq, a + max(1, STATE_BYTES // (nparts * (keff + nbits + 1) * 8)))
        pieces.append(_knn_kernel(qwords[a * W:z * W], W, wbits, nbits, tables.n, k, nparts, *_arrays(tables),
                                  masks, binomials(), PROBE_UNITS, cand_units, float(budget)))
        a = z
    if len(pieces) == 1:
        return pieces[0]
    return tuple(np.concatenate([p[i] for p in pieces]) for i in range(3))


def range_search(qwords: np.ndarray, W: int, radius: int, tables, masks: np.ndarray, budget: float,
                 nparts: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exact range search of each query by multi-index hashing (the caller holds the numba thread count).

    Parameters are those of :func:`knn_search`, with ``radius`` (``0 <= radius
    <= nbits``) for ``k``.

    Returns
    -------
    lims : ndarray of shape (nq + 1,), dtype=int64
    D : ndarray of shape (lims[-1],), dtype=int32
    I : ndarray of shape (lims[-1],), dtype=int64
        Each query's matches ordered by (distance, id); a query that gave up
        has none.
    done : ndarray of shape (nq,), dtype=bool
        False for the queries that gave up: answer them with a linear scan.
    """
    wbits = 8 * qwords.dtype.itemsize
    return _range_kernel(qwords, W, wbits, radius, tables.n, nparts, *_arrays(tables), masks, binomials(),
                         PROBE_UNITS, W * qwords.dtype.itemsize / 8, float(budget))


def substring_masks(layout, W: int, dtype) -> np.ndarray:
    """Each substring's bits as words: ndarray of shape (m * W,), word dtype, read-only (cached per layout)."""
    return _substring_masks(layout, W, np.dtype(dtype))


@functools.lru_cache(maxsize=64)
def _substring_masks(layout, W: int, dtype: np.dtype) -> np.ndarray:
    wbits = 8 * dtype.itemsize
    out = np.zeros(layout.m * W, dtype)
    for j, (off, length) in enumerate(zip(layout.offsets, layout.lengths)):
        for bit in range(off, off + length):
            out[j * W + bit // wbits] |= dtype.type(1) << dtype.type(bit % wbits)
    out.flags.writeable = False
    return out
