"""Popcount and Hamming-distance primitives for the numba kernels.

Codes are scanned as flat 1-d arrays of unsigned *words* (uint64 or uint32,
see :mod:`hashx.search._words`), ``W`` words per code.  The helpers here are
inlined into the kernels:

``popcount(x)``, ``trailing_zeros(x)``
    ``llvm.ctpop`` / ``llvm.cttz``: LLVM emits ``popcnt`` / ``tzcnt``, and
    ``vpopcntq``/``vpopcntd`` (AVX-512 VPOPCNTDQ) when it vectorises a loop.
``next_group(qs, qo, db, g, gz, W, limit)``
    Scans the groups of ``GROUP = 64`` codes starting at ``g, g + 64, ...``
    (up to ``gz``) and returns ``(g, mask)`` for the first group holding a
    code at distance ``< limit`` from the query, bit ``i`` of ``mask`` set
    for code ``g + i``; ``(gz, 0)`` when there is none.  Each group's mask is
    one branch-free pass with a constant trip count, which LLVM unrolls and
    vectorises (XOR, popcount and compare on whole vectors, the compare
    results gathered into the mask).  The kernels visit the set bits only,
    so codes that cannot enter a result cost a fraction of a cycle each.
``distances(qs, qo, db, a, z, W, out)``
    Distances of one query to codes ``a..z-1``, stored in ``out[a:z]``
    (vectorised the same way).
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic, overload

from ._pair_lanes import mask_2_lanes, scans
from ._target import lane_pairs, prefer_wide_vectors, prefer_wide_vectors_for_pairs

__all__ = ["GROUP", "popcount", "trailing_zeros", "prefetch", "next_group", "distances"]

#: Codes per group: one bit each in a uint64 mask.
GROUP = 64


def _to_int64(builder, value):
    width = value.type.width
    if width < 64:
        return builder.zext(value, ir.IntType(64))
    if width > 64:  # pragma: no cover - no wider integers reach here
        return builder.trunc(value, ir.IntType(64))
    return value


@intrinsic
def popcount(typingctx, x):
    """Number of set bits of an unsigned integer, as int64."""
    if not isinstance(x, types.Integer) or x.signed:
        return None

    def codegen(context, builder, signature, args):
        return _to_int64(builder, builder.ctpop(args[0]))

    return types.int64(x), codegen


@intrinsic
def trailing_zeros(typingctx, x):
    """Index of the lowest set bit of a non-zero unsigned integer, as int64."""
    if not isinstance(x, types.Integer) or x.signed:
        return None

    def codegen(context, builder, signature, args):
        return _to_int64(builder, builder.cttz(args[0], ir.Constant(ir.IntType(1), 1)))

    return types.int64(x), codegen


# The masks of one group, for 1, 2, 3, 4 or W words per code.  Each loop has a
# constant trip count, which LLVM unrolls and vectorises.  The database is
# indexed with unsigned integers and never sliced: a signed index makes numba
# emit a negative-index fix-up that LLVM can only vectorise as a gather, and a
# slice costs two atomic reference-count updates that threads sharing the
# database would contend for.
@njit(cache=True, inline="always")
def _mask_1(q0, db, g, limit):
    m = np.uint64(0)
    base = np.uint64(g)
    for i in range(GROUP):
        m |= np.uint64(popcount(q0 ^ db[base + np.uint64(i)]) < limit) << np.uint64(i)
    return m


@njit(cache=True, inline="always")
def _mask_2(q0, q1, db, g, limit):
    m = np.uint64(0)
    base = np.uint64(2 * g)
    for i in range(GROUP):
        j = base + np.uint64(2 * i)
        d = popcount(q0 ^ db[j]) + popcount(q1 ^ db[j + np.uint64(1)])
        m |= np.uint64(d < limit) << np.uint64(i)
    return m


def _best_mask_2(q0, q1, db, g, limit):  # pragma: no cover - numba compiles the overload below
    """The two-word group mask in the form the compile target runs fastest (numba only)."""
    raise NotImplementedError("_best_mask_2 is only callable from numba-compiled code")


@overload(_best_mask_2, inline="always")
def _best_mask_2_impl(q0, q1, db, g, limit):
    # AVX2 without AVX-512: the explicit 256-bit form (see ._pair_lanes); uint64 words only
    if lane_pairs() and scans(db):
        return lambda q0, q1, db, g, limit: mask_2_lanes(q0, q1, db, g, limit)
    return lambda q0, q1, db, g, limit: _mask_2(q0, q1, db, g, limit)


@njit(cache=True, inline="always")
def _mask_3(q0, q1, q2, db, g, limit):
    m = np.uint64(0)
    base = np.uint64(3 * g)
    for i in range(GROUP):
        j = base + np.uint64(3 * i)
        d = popcount(q0 ^ db[j]) + popcount(q1 ^ db[j + np.uint64(1)]) + popcount(q2 ^ db[j + np.uint64(2)])
        m |= np.uint64(d < limit) << np.uint64(i)
    return m


@njit(cache=True, inline="always")
def _mask_4(q0, q1, q2, q3, db, g, limit):
    m = np.uint64(0)
    base = np.uint64(4 * g)
    for i in range(GROUP):
        j = base + np.uint64(4 * i)
        d = (popcount(q0 ^ db[j]) + popcount(q1 ^ db[j + np.uint64(1)])
             + popcount(q2 ^ db[j + np.uint64(2)]) + popcount(q3 ^ db[j + np.uint64(3)]))
        m |= np.uint64(d < limit) << np.uint64(i)
    return m


@njit(cache=True, inline="always")
def _mask_w(qs, qo, db, g, W, limit):
    m = np.uint64(0)
    for i in range(GROUP):
        d = 0
        base = (g + i) * W
        for j in range(W):
            d += popcount(qs[qo + j] ^ db[base + j])
        m |= np.uint64(d < limit) << np.uint64(i)
    return m


# The group loops, one compiled function per words-per-code value, so that the
# hot loop holds one mask variant only (several in one body defeat the
# vectoriser) and pays no per-group dispatch.
@njit(cache=True, nogil=True)
def _next_1(q0, db, g, gz, limit):
    prefer_wide_vectors()
    while g < gz:
        m = _mask_1(q0, db, g, limit)
        if m != 0:
            return g, m
        g += GROUP
    return gz, np.uint64(0)


@njit(cache=True, nogil=True)
def _next_2(q0, q1, db, g, gz, limit):
    prefer_wide_vectors_for_pairs()
    while g < gz:
        m = _best_mask_2(q0, q1, db, g, limit)
        if m != 0:
            return g, m
        g += GROUP
    return gz, np.uint64(0)


@njit(cache=True, nogil=True)
def _next_3(q0, q1, q2, db, g, gz, limit):
    prefer_wide_vectors()
    while g < gz:
        m = _mask_3(q0, q1, q2, db, g, limit)
        if m != 0:
            return g, m
        g += GROUP
    return gz, np.uint64(0)


@njit(cache=True, nogil=True)
def _next_4(q0, q1, q2, q3, db, g, gz, limit):
    prefer_wide_vectors()
    while g < gz:
        m = _mask_4(q0, q1, q2, q3, db, g, limit)
        if m != 0:
            return g, m
        g += GROUP
    return gz, np.uint64(0)


@njit(cache=True, nogil=True)
def _next_w(qs, qo, db, g, gz, W, limit):
    prefer_wide_vectors()
    while g < gz:
        m = _mask_w(qs, qo, db, g, W, limit)
        if m != 0:
            return g, m
        g += GROUP
    return gz, np.uint64(0)


@njit(cache=True, inline="always")
def next_group(qs, qo, db, g, gz, W, limit):
    if W == 1:
        return _next_1(qs[qo], db, g, gz, limit)
    if W == 2:
        return _next_2(qs[qo], qs[qo + 1], db, g, gz, limit)
    if W == 3:
        return _next_3(qs[qo], qs[qo + 1], qs[qo + 2], db, g, gz, limit)
    if W == 4:
        return _next_4(qs[qo], qs[qo + 1], qs[qo + 2], qs[qo + 3], db, g, gz, limit)
    return _next_w(qs, qo, db, g, gz, W, limit)


@njit(cache=True, nogil=True)
def _distances_1(q0, db, a, z, out):
    prefer_wide_vectors()
    base = np.uint64(a)
    for i in range(z - a):
        j = base + np.uint64(i)
        out[j] = popcount(q0 ^ db[j])


@njit(cache=True, nogil=True)
def _distances_2(q0, q1, db, a, z, out):
    prefer_wide_vectors_for_pairs()
    base = np.uint64(a)
    for i in range(z - a):
        j = base + np.uint64(i)
        out[j] = popcount(q0 ^ db[np.uint64(2) * j]) + popcount(q1 ^ db[np.uint64(2) * j + np.uint64(1)])


@njit(cache=True, nogil=True)
def _distances_4(q0, q1, q2, q3, db, a, z, out):
    prefer_wide_vectors()
    base = np.uint64(a)
    for i in range(z - a):
        j = base + np.uint64(i)
        w = np.uint64(4) * j
        out[j] = (popcount(q0 ^ db[w]) + popcount(q1 ^ db[w + np.uint64(1)])
                  + popcount(q2 ^ db[w + np.uint64(2)]) + popcount(q3 ^ db[w + np.uint64(3)]))


@njit(cache=True, nogil=True)
def _distances_w(qs, qo, db, a, z, W, out):
    prefer_wide_vectors()
    for i in range(a, z):
        d = 0
        for j in range(W):
            d += popcount(qs[qo + j] ^ db[i * W + j])
        out[i] = d


@njit(cache=True, inline="always")
def distances(qs, qo, db, a, z, W, out):
    """Store the distances of codes ``a..z-1`` to the query in ``out[a:z]``."""
    if W == 1:
        _distances_1(qs[qo], db, a, z, out)
    elif W == 2:
        _distances_2(qs[qo], qs[qo + 1], db, a, z, out)
    elif W == 4:
        _distances_4(qs[qo], qs[qo + 1], qs[qo + 2], qs[qo + 3], db, a, z, out)
    else:
        _distances_w(qs, qo, db, a, z, W, out)


@intrinsic
def prefetch(typingctx, array, index):
    """Hint the CPU to load the cache line holding ``array[index]`` (1-d array; no bounds check needed).

    ``llvm.prefetch`` (read, keep in all cache levels): a hint only, which
    never faults, so an index past the end is harmless.
    """
    if not isinstance(array, types.Array) or array.ndim != 1 or not isinstance(index, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        arr = context.make_array(signature.args[0])(context, builder, args[0])
        ptr = builder.gep(arr.data, [args[1]])
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.none(array, index), codegen
