"""Hash-lookup precision and recall from per-distance counts, summed over chunks of queries.

Both :func:`hashx.metrics.pr_curve` / :func:`hashx.metrics.precision_within_radius`
(which scan the database for their histograms) and
:func:`hashx.metrics.retrieval_report` (which gets them from its one scan)
feed the histograms of each chunk of queries to these accumulators, so the
arithmetic, chunk by chunk, is the same wherever the histograms come from.
"""

from __future__ import annotations

import logging

import numpy as np

__all__ = ["LookupCurve", "RadiusPrecision"]

logger = logging.getLogger(__name__)


def _cumulative(all_hist, rel_hist):
    """``cum_all[q, r]`` items and ``cum_rel[q, r]`` relevant items within radius r; relevant totals."""
    cum_all = np.cumsum(all_hist, axis=1)
    cum_rel = np.cumsum(rel_hist, axis=1)
    return cum_all, cum_rel, cum_rel[:, -1]


def _lookup_precision(cum_all, cum_rel):
    return np.divide(cum_rel, cum_all, out=np.zeros(cum_all.shape, dtype=np.float64), where=cum_all > 0)


class LookupCurve:
    """Running sums of the macro-averaged precision and recall at every radius 0..nbits.

    Parameters
    ----------
    n_radii : int
        ``nbits + 1``.
    empty_retrieval, no_relevant : {"zero", "exclude"}
        As in :func:`hashx.metrics.pr_curve` (already validated).
    """

    def __init__(self, n_radii: int, empty_retrieval: str, no_relevant: str):
        self.empty_retrieval = empty_retrieval
        self.no_relevant = no_relevant
        self.precision_sum = np.zeros(n_radii)
        self.precision_count = np.zeros(n_radii)
        self.recall_sum = np.zeros(n_radii)
        self.recall_count = 0

    def add(self, all_hist: np.ndarray, rel_hist: np.ndarray) -> None:
        """Add a chunk of queries: histograms of shape (n_chunk, nbits + 1), dtype=int64."""
        cum_all, cum_rel, total = _cumulative(all_hist, rel_hist)
        keep = total > 0 if self.no_relevant == "exclude" else np.ones(total.shape, dtype=bool)
        cum_all, cum_rel, total = cum_all[keep], cum_rel[keep], total[keep]
        precision = _lookup_precision(cum_all, cum_rel)
        self.precision_sum += precision.sum(axis=0)
        if self.empty_retrieval == "exclude":
            self.precision_count += (cum_all > 0).sum(axis=0)
        else:
            self.precision_count += cum_all.shape[0]
        recall = np.divide(cum_rel, total[:, None], out=np.zeros(cum_rel.shape), where=total[:, None] > 0)
        self.recall_sum += recall.sum(axis=0)
        self.recall_count += cum_all.shape[0]

    def curve(self, what: str) -> tuple[np.ndarray, np.ndarray]:
        """Mean precision and recall at each radius, ndarrays of shape (nbits + 1,), dtype=float64.

        ``what`` names the caller in the warning logged when no query is left for the recall.
        """
        if self.recall_count == 0:
            logger.warning("%s: no query has a relevant item, so both PR curves are NaN.", what)
        with np.errstate(invalid="ignore", divide="ignore"):
            precision = self.precision_sum / self.precision_count
            if self.recall_count:
                recall = self.recall_sum / self.recall_count
            else:
                recall = np.full(self.recall_sum.shape, np.nan)
        return precision, recall


class RadiusPrecision:
    """Per-query precision of the items within one Hamming radius.

    Parameters
    ----------
    n_query : int
    radius : int
        Already validated, in ``[0, nbits]``.
    empty_retrieval, no_relevant : {"zero", "exclude"}
        As in :func:`hashx.metrics.precision_within_radius` (already validated).
    """

    def __init__(self, n_query: int, radius: int, empty_retrieval: str, no_relevant: str):
        self.radius = radius
        self.empty_retrieval = empty_retrieval
        self.no_relevant = no_relevant
        self.values = np.empty(n_query, dtype=np.float64)
        self.keep = np.empty(n_query, dtype=bool)

    def add(self, rows: slice, all_hist: np.ndarray, rel_hist: np.ndarray) -> None:
        """Add the queries ``rows``: histograms of shape (n_chunk, nbits + 1), dtype=int64."""
        cum_all, cum_rel, total = _cumulative(all_hist, rel_hist)
        self.values[rows] = _lookup_precision(cum_all[:, self.radius], cum_rel[:, self.radius])
        self.keep[rows] = True
        if self.no_relevant == "exclude":
            self.keep[rows] &= total > 0
        if self.empty_retrieval == "exclude":
            self.keep[rows] &= cum_all[:, self.radius] > 0

    def result(self, what: str, per_query: bool = False):
        """The mean over the kept queries (NaN if none), or the per-query values (NaN where excluded).

        ``what`` names the caller in the warning logged when every query is excluded.
        """
        values = self.values
        values[~self.keep] = np.nan
        if per_query:
            return values
        if not self.keep.any():
            logger.warning("%s: every query is excluded from the radius precision, so its mean is NaN.", what)
            return float("nan")
        return float(values[self.keep].mean())
