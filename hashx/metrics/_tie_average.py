"""Tie-aware expectations from per-distance counts (He et al., CVPR 2018).

Hamming distances take only ``nbits + 1`` values, so a ranking is a sequence
of tie groups: group ``d`` holds ``n_d`` items, ``r_d`` of them relevant, after
``N0 = sum_{e<d} n_e`` items of which ``R0`` are relevant.  When the order
inside every group is uniformly random, the expected average precision has a
closed form (derived here; the idea is from "Hashing as Tie-Aware Learning to
Rank", He, Cakir, Bargal, Sclaroff, CVPR 2018).

Whole group.  A relevant item of group ``d`` lands at within-group position
``j`` (uniform on 1..n).  The number of other relevant items of the group in
front of it is hypergeometric with mean ``(j - 1)(r - 1)/(n - 1)``; its
precision is ``(R0 + 1 + that) / (N0 + j)`` with a fixed denominator, so::

    E[sum of precisions in group] = (r / n) * sum_{j=1}^{n} (R0 + 1 + (j-1)(r-1)/(n-1)) / (N0 + j)
                                  = (r / n) * [(R0 + 1) A(N0, n) + (r-1)/(n-1) B(N0, n)]

with ``A(N0, m) = sum_{j=1}^{m} 1/(N0+j)`` (a harmonic-number difference) and
``B(N0, m) = sum_{j=1}^{m} (j-1)/(N0+j) = m - (N0 + 1) A(N0, m)``.

Cut group (AP@k).  If position ``k`` falls inside a group, only its first
``m = k - N0`` positions count.  The number ``X`` of relevant items among them
is hypergeometric (population ``n``, ``r`` successes, ``m`` draws), and given
``X = x`` they sit on a uniform random ``x``-subset of those ``m`` positions, so
the same argument gives::

    E[precision sum of the cut part | X = x] = (x / m) * [(R0 + 1) A(N0, m) + (x-1)/(m-1) B(N0, m)]

When AP@k divides by the number of relevant items in the top k (``R0 + X``,
random), ``E[AP@k] = sum_x P(X = x) * (S + cut(x)) / (R0 + x)`` with ``S`` the
expected precision sum of the whole groups before the cut (independent of
``X``); a term with ``R0 + x = 0`` is an AP of 0.  With the fixed denominator
``min(k, R)``, linearity gives ``(S + E[cut(X)]) / min(k, R)``.

Precision at k needs only ``E[X] = m r / n`` (linearity).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

__all__ = [
    "harmonic_diff",
    "expected_average_precision",
    "DENOM_TOP_K",
    "DENOM_MIN_K_R",
]

DENOM_TOP_K = 0  # divide by the relevant items inside the top k
DENOM_MIN_K_R = 1  # divide by min(k, R)

_DIRECT = 512  # sums of at most this many terms are added term by term


@njit(cache=True)
def harmonic_diff(a, b):
    """``H(b) - H(a) = sum_{i=a+1}^{b} 1/i`` for integers ``0 <= a <= b``, to ~1 ulp.

    Short ranges are summed directly (smallest terms first); long ranges use the
    direct sum up to 512 and then the asymptotic expansion of the harmonic
    numbers, whose truncation error beyond 512 is below 1e-19, with
    ``log1p`` for the logarithm of the ratio so no cancellation occurs.
    """
    s = 0.0
    if b - a <= _DIRECT:
        for i in range(b, a, -1):
            s += 1.0 / i
        return s
    if a < _DIRECT:
        for i in range(_DIRECT, a, -1):
            s += 1.0 / i
        a = _DIRECT
    x = float(a)
    y = float(b)
    t = math.log1p((y - x) / x)
    t += 0.5 / y - 0.5 / x
    t -= 1.0 / (12.0 * y * y) - 1.0 / (12.0 * x * x)
    t += 1.0 / (120.0 * y**4) - 1.0 / (120.0 * x**4)
    return s + t


@njit(cache=True)
def _sum_a_b(n0, m):
    """(A, B) = (sum_{j=1}^{m} 1/(n0+j), sum_{j=1}^{m} (j-1)/(n0+j))."""
    if m <= _DIRECT:
        a = 0.0
        b = 0.0
        for j in range(m, 0, -1):
            a += 1.0 / (n0 + j)
            b += (j - 1) / (n0 + j)
        return a, b
    a = harmonic_diff(n0, n0 + m)
    return a, m - (n0 + 1) * a


@njit(cache=True)
def _group_precision_sum(n0, r0, n, r):
    """Expected sum of precisions at the r relevant items of a fully ranked tie group."""
    if r == 0:
        return 0.0
    a, b = _sum_a_b(n0, n)
    value = (r0 + 1) * a
    if n > 1 and r > 1:
        value += (r - 1) / (n - 1) * b
    return r / n * value


@njit(cache=True)
def _cut_term(x, m, r0, s_before, a, b):
    """(S + E[cut precision sum | X = x]) / (R0 + x); 0 when no relevant item is retrieved."""
    if r0 + x == 0:
        return 0.0
    cut = (r0 + 1) * a
    if m > 1 and x > 1:
        cut += (x - 1) / (m - 1) * b
    cut *= x / m
    return (s_before + cut) / (r0 + x)


@njit(cache=True)
def _hypergeometric_expectation(n, r, m, r0, s_before, a, b):
    """E over X ~ Hypergeometric(population n, r successes, m draws) of _cut_term(X).

    The pmf is built by its term ratio from the mode outwards (no factorials,
    no overflow) and normalised by its own sum; a side stops when its remaining
    tail is provably below 1e-17 of the mass already summed.
    """
    lo = max(0, m - (n - r))
    hi = min(r, m)
    mode = ((m + 1) * (r + 1)) // (n + 2)
    mode = min(max(mode, lo), hi)
    total = 1.0
    acc = _cut_term(mode, m, r0, s_before, a, b)
    w = 1.0
    for x in range(mode, hi):
        ratio = ((r - x) * (m - x)) / ((x + 1.0) * (n - r - m + x + 1.0))
        w *= ratio
        total += w
        acc += w * _cut_term(x + 1, m, r0, s_before, a, b)
        if ratio < 1.0 and w * ratio / (1.0 - ratio) < 1e-17 * total:
            break
    w = 1.0
    for x in range(mode, lo, -1):
        ratio = (x * (n - r - m + x + 0.0)) / ((r - x + 1.0) * (m - x + 1.0))
        w *= ratio
        total += w
        acc += w * _cut_term(x - 1, m, r0, s_before, a, b)
        if ratio < 1.0 and w * ratio / (1.0 - ratio) < 1e-17 * total:
            break
    return acc / total


@njit(cache=True)
def _expected_ap_row(all_row, rel_row, k, denominator):
    n_groups = all_row.shape[0]
    relevant_total = 0
    for d in range(n_groups):
        relevant_total += rel_row[d]
    n0 = 0
    r0 = 0
    s = 0.0
    for d in range(n_groups):
        n = all_row[d]
        if n == 0:
            continue
        r = rel_row[d]
        if n0 + n <= k:
            s += _group_precision_sum(n0, r0, n, r)
            n0 += n
            r0 += r
            if n0 == k:
                break
            continue
        # Position k falls inside this group: m of its n items are retrieved.
        m = k - n0
        if r == 0:
            break  # the cut part holds no relevant item for sure
        a, b = _sum_a_b(n0, m)
        if denominator == DENOM_MIN_K_R:
            cut = (r0 + 1) * a
            if n > 1 and r > 1:
                cut += (r - 1) / (n - 1) * b
            s += r / n * cut
            break
        return _hypergeometric_expectation(n, r, m, r0, s, a, b)
    if denominator == DENOM_MIN_K_R:
        denom = min(k, relevant_total)
    else:
        denom = r0
    if denom == 0:
        return 0.0
    return s / denom


@njit(cache=True, parallel=True)
def expected_average_precision(all_hist, rel_hist, k, denominator):
    """Expected AP@k of every query over uniformly random orders inside tie groups.

    Parameters
    ----------
    all_hist, rel_hist : ndarray of shape (n_query, nbits + 1), dtype=int64
        Items and relevant items at each Hamming distance.
    k : int
        Cut-off, ``1 <= k <= n_db`` (``n_db`` for AP over the whole ranking).
    denominator : int
        ``DENOM_TOP_K`` (relevant items inside the top k) or ``DENOM_MIN_K_R``.

    Returns
    -------
    ndarray of shape (n_query,), dtype=float64
    """
    n_query = all_hist.shape[0]
    out = np.empty(n_query, dtype=np.float64)
    for qi in prange(n_query):
        out[qi] = _expected_ap_row(all_hist[qi], rel_hist[qi], k, denominator)
    return out
