"""retrieval_report: every standard number of one retrieval direction, from one scan of the database."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .._validation import check_int
from ..exceptions import HashxTypeError
from ._histogram import relevance_histograms
from ._inputs import RetrievalData, check_ties, parallel_chunks, prepare_retrieval, query_chunks
from ._lookup import LookupCurve, RadiusPrecision
from ._reduce import mean_over_queries
from ._report_scan import report_counts_index
from ._tie_average import DENOM_TOP_K, expected_average_precision
from ._top_k import expected_relevant_in_top_k
from .average_precision import average_precision_from_sums
from .precision import top_k_fractions

__all__ = ["retrieval_report", "DEFAULT_KS", "CURVE_KS"]

_CALLER = "retrieval_report"

#: Cut-offs reported as MAP@k and P@k by default.
DEFAULT_KS = (50, 100, 500, 1000)
#: Cut-offs of the precision@k curve.
CURVE_KS = (1, 5, 10, 20, 50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000)


def _check_cutoffs(values, name: str) -> list[int]:
    """A sequence (possibly empty) of ints >= 1, as a list in the given order."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise HashxTypeError(
            f"The '{name}' parameter of {_CALLER} must be a sequence of ints >= 1. "
            f"Got {type(values).__name__} instead."
        )
    return [check_int(k, name, caller=_CALLER, min_value=1) for k in values]


def _scan(data: RetrievalData, map_cuts: np.ndarray, count_cuts: np.ndarray, ties: str, radius: int):
    """Every per-query number the report needs, scanning the database once per chunk of queries.

    Parameters
    ----------
    map_cuts : ndarray of shape (m,), dtype=int64
        Distinct MAP cut-offs ``min(k, n_db)``, increasing, the last one ``n_db`` (MAP@all).
    count_cuts : ndarray of shape (c,), dtype=int64
        Distinct P@k cut-offs ``min(k, n_db)``, increasing.

    Returns
    -------
    ap : ndarray of shape (m, n_query), dtype=float64
        ``ap[i]`` the AP@map_cuts[i] of every query (relevant-in-top-k denominator).
    counts : ndarray of shape (n_query, c), dtype=float64
        Relevant items in the top ``count_cuts[i]`` (expected counts for ``ties="average"``).
    total : ndarray of shape (n_query,), dtype=int64
        Relevant items in the whole database.
    curve : LookupCurve
    within_radius : RadiusPrecision
    """
    n_query, n_db = data.n_query, data.n_db
    ap = np.empty((map_cuts.shape[0], n_query), dtype=np.float64)
    counts = np.empty((n_query, count_cuts.shape[0]), dtype=np.float64)
    total = np.empty(n_query, dtype=np.int64)
    curve = LookupCurve(data.nbits + 1, "zero", "zero")
    within_radius = RadiusPrecision(n_query, radius, "zero", "zero")
    # The kernel takes the cut-offs below the whole ranking; a cut-off of n_db is the whole ranking.
    map_below = np.ascontiguousarray(map_cuts[:-1])
    n_count_below = int(np.searchsorted(count_cuts, n_db))
    count_below = np.ascontiguousarray(count_cuts[:n_count_below])
    for rows in query_chunks(n_query):
        args = (data.query_words[rows], data.db_words, data.query_masks[rows], data.db_masks, data.nbits)
        if ties == "index":
            all_hist, rel_hist, sum_all, sums, hits, top = report_counts_index(
                *args, map_below, count_below, parallel_chunks())
            relevant = rel_hist.sum(axis=1)
            for i, cut in enumerate(map_below):
                ap[i, rows] = average_precision_from_sums(sums[:, i], hits[:, i], relevant, cut)
            ap[-1, rows] = average_precision_from_sums(sum_all, relevant, relevant, n_db)
            counts[rows, :n_count_below] = top
            counts[rows, n_count_below:] = relevant[:, None]
        else:
            all_hist, rel_hist = relevance_histograms(*args, parallel_chunks())
            relevant = rel_hist.sum(axis=1)
            for i, cut in enumerate(map_cuts):
                ap[i, rows] = expected_average_precision(all_hist, rel_hist, cut, DENOM_TOP_K)
            counts[rows] = expected_relevant_in_top_k(all_hist, rel_hist, count_cuts)
        total[rows] = relevant
        curve.add(all_hist, rel_hist)
        within_radius.add(rows, all_hist, rel_hist)
    return ap, counts, total, curve, within_radius


def retrieval_report(query_codes, db_codes, query_labels, db_labels, *, ks=DEFAULT_KS, ties="index",
                     radius=2, curve_ks=CURVE_KS) -> dict:
    """MAP@all, MAP@k, P@k, precision within a radius, the PR curve and the P@k curve.

    Definitions are those of the individual metrics
    (:func:`~hashx.metrics.mean_average_precision`,
    :func:`~hashx.metrics.precision_at_k`, :func:`~hashx.metrics.pr_curve`,
    :func:`~hashx.metrics.precision_within_radius`), with their defaults:
    relevant = at least one shared label; queries without a relevant item
    count as 0; ``ties`` as given (the PR curve and the radius precision do
    not depend on tie order).  Every number equals what the individual
    function gives (the P@k values those of one ``precision_at_k`` call with
    ``list(ks) + list(curve_ks)``).

    Parameters
    ----------
    query_codes, db_codes : ndarray of shape (n, nbits // 8), dtype=uint8
    query_labels, db_labels : ndarray of shape (n, c), multi-hot
    ks : sequence of int >= 1, default=(50, 100, 500, 1000)
        Cut-offs for MAP@k and P@k, in any order (a ``k`` larger than the
        database means the whole database).
    ties : {"index", "average"}, default="index"
    radius : int in [0, nbits], default=2
        Hamming radius of the hash-lookup precision.
    curve_ks : sequence of int >= 1
        Cut-offs of the precision@k curve.

    Returns
    -------
    dict
        ``{"map": float, "map_at": {k: float}, "precision_at": {k: float},
        "precision_within_radius": float, "radius": int, "ties": str,
        "pr_curve": {"radius": [...], "precision": [...], "recall": [...]},
        "precision_curve": {"k": [...], "precision": [...]}}`` with plain
        Python types (JSON-ready; dict keys of ``map_at``/``precision_at`` are ints).

    Raises
    ------
    HashxTypeError, HashxValueError
        Invalid inputs, with the offending parameter named.

    Notes
    -----
    The inputs are validated once and the database is scanned once per
    chunk of queries: with ``ties="index"`` one walk of each query's buffer
    gives the histograms, every MAP cut-off's precision sum and every top-k
    count (:mod:`hashx.metrics._report_scan`); with ``ties="average"`` the
    histograms alone give every number in closed form.
    """
    data = prepare_retrieval(query_codes, db_codes, query_labels, db_labels, caller=_CALLER)
    ks = _check_cutoffs(ks, "ks")
    curve_ks = _check_cutoffs(curve_ks, "curve_ks")
    ties = check_ties(ties, _CALLER)
    radius = check_int(radius, "radius", caller=_CALLER, min_value=0, max_value=data.nbits)

    n_db = data.n_db
    map_cuts = np.unique(np.array([min(k, n_db) for k in ks] + [n_db], dtype=np.int64))
    p_ks = np.array(ks + curve_ks, dtype=np.int64)
    count_cuts, count_column = np.unique(np.minimum(p_ks, n_db), return_inverse=True)
    ap, counts, total, curve, within_radius = _scan(data, map_cuts, count_cuts, ties, radius)

    has_relevant = total > 0
    map_by_cut = {int(cut): mean_over_queries(ap[i], has_relevant, "zero", per_query=False, what=_CALLER)
                  for i, cut in enumerate(map_cuts)}
    if p_ks.size:
        # One column per requested k, in the order given, as precision_at_k(ks + curve_ks) computes them;
        # C order as there, so that the mean over queries adds in the same order.
        per_k = np.ascontiguousarray(counts[:, count_column])
        values = top_k_fractions(per_k, total, p_ks, n_db, recall=False)
        p_at = mean_over_queries(values, has_relevant, "zero", per_query=False, what=_CALLER)
    else:
        p_at = np.empty(0)
    precision, recall = curve.curve(_CALLER)
    return {
        "map": map_by_cut[n_db],
        "map_at": {k: map_by_cut[min(k, n_db)] for k in ks},
        "precision_at": {k: float(p) for k, p in zip(ks, p_at[: len(ks)])},
        "precision_within_radius": within_radius.result(_CALLER),
        "radius": radius,
        "ties": ties,
        "pr_curve": {"radius": list(range(len(precision))), "precision": [float(p) for p in precision],
                     "recall": [float(r) for r in recall]},
        "precision_curve": {"k": curve_ks, "precision": [float(p) for p in p_at[len(ks):]]},
    }
