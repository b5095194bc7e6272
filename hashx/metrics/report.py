"""retrieval_report: every standard number of one retrieval direction in one call."""

from __future__ import annotations

import numpy as np

from .._validation import check_int
from .average_precision import mean_average_precision
from .pr_curve import pr_curve, precision_within_radius
from .precision import precision_at_k

__all__ = ["retrieval_report", "DEFAULT_KS", "CURVE_KS"]

#: Cut-offs reported as MAP@k and P@k by default.
DEFAULT_KS = (50, 100, 500, 1000)
#: Cut-offs of the precision@k curve.
CURVE_KS = (1, 5, 10, 20, 50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000)


def retrieval_report(query_codes, db_codes, query_labels, db_labels, *, ks=DEFAULT_KS, ties="index",
                     radius=2, curve_ks=CURVE_KS) -> dict:
    """MAP@all, MAP@k, P@k, precision within a radius, the PR curve and the P@k curve.

    Definitions are those of the individual metrics
    (:func:`~hashx.metrics.mean_average_precision`,
    :func:`~hashx.metrics.precision_at_k`, :func:`~hashx.metrics.pr_curve`,
    :func:`~hashx.metrics.precision_within_radius`), with their defaults:
    relevant = at least one shared label; queries without a relevant item
    count as 0; ``ties`` as given (the PR curve and the radius precision do
    not depend on tie order).

    Parameters
    ----------
    query_codes, db_codes : ndarray of shape (n, nbits // 8), dtype=uint8
    query_labels, db_labels : ndarray of shape (n, c), multi-hot
    ks : sequence of int, default=(50, 100, 500, 1000)
        Cut-offs for MAP@k and P@k.
    ties : {"index", "average"}, default="index"
    radius : int, default=2
        Hamming radius of the hash-lookup precision.
    curve_ks : sequence of int
        Cut-offs of the precision@k curve.

    Returns
    -------
    dict
        ``{"map": float, "map_at": {k: float}, "precision_at": {k: float},
        "precision_within_radius": float, "radius": int, "ties": str,
        "pr_curve": {"radius": [...], "precision": [...], "recall": [...]},
        "precision_curve": {"k": [...], "precision": [...]}}`` with plain
        Python types (JSON-ready; dict keys of ``map_at``/``precision_at`` are ints).
    """
    ks = [check_int(k, "ks", caller="retrieval_report", min_value=1) for k in ks]
    args = (query_codes, db_codes, query_labels, db_labels)
    precision, recall = pr_curve(*args)
    curve_ks = [check_int(k, "curve_ks", caller="retrieval_report", min_value=1) for k in curve_ks]
    p_at = np.atleast_1d(precision_at_k(*args, ks + curve_ks, ties=ties))
    return {
        "map": mean_average_precision(*args, ties=ties),
        "map_at": {k: mean_average_precision(*args, k=k, ties=ties) for k in ks},
        "precision_at": {k: float(p) for k, p in zip(ks, p_at[: len(ks)])},
        "precision_within_radius": float(precision_within_radius(*args, radius=radius)),
        "radius": int(radius),
        "ties": ties,
        "pr_curve": {"radius": list(range(len(precision))), "precision": [float(p) for p in precision],
                     "recall": [float(r) for r in recall]},
        "precision_curve": {"k": curve_ks, "precision": [float(p) for p in p_at[len(ks):]]},
    }
