"""Averaging per-query values into a reported metric."""

from __future__ import annotations

import logging

import numpy as np

__all__ = ["NO_RELEVANT", "mean_over_queries"]

logger = logging.getLogger(__name__)

NO_RELEVANT = ("zero", "exclude")


def mean_over_queries(values: np.ndarray, keep: np.ndarray, no_relevant: str, *, per_query: bool, what: str):
    """Mean of per-query ``values`` (axis 0), dropping queries with ``keep`` False if asked.

    Parameters
    ----------
    values : ndarray of shape (n_query,) or (n_query, m), dtype=float64
        Per-query values; a query without any relevant item already holds 0.
    keep : ndarray of shape (n_query,), dtype=bool
        Queries with at least one relevant item in the database.
    no_relevant : {"zero", "exclude"}
        "zero": every query counts.  "exclude": queries with ``keep`` False are
        left out of the mean (and are NaN in the per-query output).
    per_query : bool
        Return the per-query values instead of their mean.
    what : str
        Metric name for the log message when every query is excluded.
    """
    if no_relevant == "exclude":
        values = values.copy()
        values[~keep] = np.nan
        if per_query:
            return values
        if not keep.any():
            logger.warning("%s: no query has a relevant item, so the mean over the kept queries is NaN.", what)
            return np.full(values.shape[1:], np.nan) if values.ndim > 1 else float("nan")
        kept = values[keep]
    else:
        if per_query:
            return values
        kept = values
    mean = kept.mean(axis=0)
    return mean if values.ndim > 1 else float(mean)
