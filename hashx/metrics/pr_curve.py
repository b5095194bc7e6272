"""Hash lookup: precision and recall of the items within a Hamming radius."""

from __future__ import annotations

import logging

import numpy as np

from .._validation import check_int
from ._histogram import relevance_histograms
from ._inputs import check_option, parallel_chunks, prepare_retrieval, query_chunks
from ._reduce import NO_RELEVANT

__all__ = ["pr_curve", "precision_within_radius"]

logger = logging.getLogger(__name__)

EMPTY_RETRIEVAL = ("zero", "exclude")


def _cumulative_counts(data):
    """Yield (rows, cum_all, cum_rel, total) per chunk of queries.

    ``cum_all[q, r]`` items and ``cum_rel[q, r]`` relevant items within radius r.
    """
    for rows in query_chunks(data.n_query):
        all_hist, rel_hist = relevance_histograms(
            data.query_words[rows], data.db_words, data.query_masks[rows], data.db_masks, data.nbits,
            parallel_chunks(),
        )
        cum_all = np.cumsum(all_hist, axis=1)
        cum_rel = np.cumsum(rel_hist, axis=1)
        yield rows, cum_all, cum_rel, cum_rel[:, -1]


def _lookup_precision(cum_all, cum_rel):
    return np.divide(cum_rel, cum_all, out=np.zeros(cum_all.shape, dtype=np.float64), where=cum_all > 0)


def pr_curve(query_codes, db_codes, query_labels, db_labels, *, empty_retrieval="zero", no_relevant="zero"):
    """Precision and recall of hash lookup at every Hamming radius 0..nbits.

    At radius ``r`` a query retrieves every database item at Hamming distance
    ``<= r`` (there is no tie to break: the retrieved set is a set).

    Definitions
    -----------
    * **Relevant**: a database item is relevant to a query iff they share at
      least one label.
    * **Precision(r)** of a query = relevant retrieved / retrieved;
      **recall(r)** = relevant retrieved / ``R`` (relevant items in the whole
      database).  The curve is the mean over queries at each radius (macro
      average).  Recall at ``r = nbits`` is 1 for every query with ``R > 0``.
    * **Empty retrieval** (no item within radius ``r``): with
      ``empty_retrieval="zero"`` (default, the usual hash-lookup protocol) the
      query's precision is 0 and it counts in the mean; with ``"exclude"`` the
      mean precision at ``r`` is over the queries that retrieve at least one
      item (NaN where no query does).  Recall of an empty retrieval is 0.
    * **Queries with no relevant item** (``R = 0``): precision 0 at every
      radius and recall 0 (recall is undefined), counted with
      ``no_relevant="zero"`` (default); ``"exclude"`` leaves them out of both
      curves.

    Parameters
    ----------
    query_codes : ndarray of shape (n_query, nbits // 8), dtype=uint8
        Packed query codes (:func:`hashx.pack_codes`).
    db_codes : ndarray of shape (n_db, nbits // 8), dtype=uint8
    query_labels : ndarray of shape (n_query, c), integer or bool dtype, values 0/1
    db_labels : ndarray of shape (n_db, c), integer or bool dtype, values 0/1
    empty_retrieval : {"zero", "exclude"}, default="zero"
    no_relevant : {"zero", "exclude"}, default="zero"

    Returns
    -------
    precision : ndarray of shape (nbits + 1,), dtype=float64
        ``precision[r]`` at Hamming radius ``r``.
    recall : ndarray of shape (nbits + 1,), dtype=float64
        ``recall[r]`` at Hamming radius ``r``.
    """
    caller = "pr_curve"
    data = prepare_retrieval(query_codes, db_codes, query_labels, db_labels, caller=caller)
    empty_retrieval = check_option(empty_retrieval, "empty_retrieval", EMPTY_RETRIEVAL, caller)
    no_relevant = check_option(no_relevant, "no_relevant", NO_RELEVANT, caller)
    n_radii = data.nbits + 1
    precision_sum = np.zeros(n_radii)
    precision_count = np.zeros(n_radii)
    recall_sum = np.zeros(n_radii)
    recall_count = 0
    for _, cum_all, cum_rel, total in _cumulative_counts(data):
        keep = total > 0 if no_relevant == "exclude" else np.ones(total.shape, dtype=bool)
        cum_all, cum_rel, total = cum_all[keep], cum_rel[keep], total[keep]
        precision = _lookup_precision(cum_all, cum_rel)
        precision_sum += precision.sum(axis=0)
        if empty_retrieval == "exclude":
            precision_count += (cum_all > 0).sum(axis=0)
        else:
            precision_count += cum_all.shape[0]
        recall = np.divide(cum_rel, total[:, None], out=np.zeros(cum_rel.shape), where=total[:, None] > 0)
        recall_sum += recall.sum(axis=0)
        recall_count += cum_all.shape[0]
    if recall_count == 0:
        logger.warning("pr_curve: no query has a relevant item, so both curves are NaN.")
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = precision_sum / precision_count
        recall = recall_sum / recall_count if recall_count else np.full(n_radii, np.nan)
    return precision, recall


def precision_within_radius(query_codes, db_codes, query_labels, db_labels, *, radius=2, empty_retrieval="zero",
                            no_relevant="zero", per_query=False):
    """Mean precision of hash lookup within Hamming radius ``radius`` (default 2).

    A query retrieves every database item at Hamming distance ``<= radius``.

    Definitions
    -----------
    * **Relevant**: a database item is relevant to a query iff they share at
      least one label.
    * **Precision** of a query = relevant retrieved / retrieved (no ties: the
      retrieved set is a set).
    * **Empty retrieval**: with ``empty_retrieval="zero"`` (default, the usual
      protocol) a query that retrieves nothing scores 0 and counts in the mean;
      ``"exclude"`` averages over the queries that retrieve at least one item
      (NaN if none does).
    * **Queries with no relevant item** score 0 and count with
      ``no_relevant="zero"`` (default); ``"exclude"`` leaves them out.

    Parameters
    ----------
    query_codes : ndarray of shape (n_query, nbits // 8), dtype=uint8
        Packed query codes (:func:`hashx.pack_codes`).
    db_codes : ndarray of shape (n_db, nbits // 8), dtype=uint8
    query_labels : ndarray of shape (n_query, c), integer or bool dtype, values 0/1
    db_labels : ndarray of shape (n_db, c), integer or bool dtype, values 0/1
    radius : int in [0, nbits], default=2
    empty_retrieval : {"zero", "exclude"}, default="zero"
    no_relevant : {"zero", "exclude"}, default="zero"
    per_query : bool, default=False
        Return the per-query precision (NaN for excluded queries) instead of the mean.

    Returns
    -------
    float, or ndarray of shape (n_query,), dtype=float64 if ``per_query``
    """
    caller = "precision_within_radius"
    data = prepare_retrieval(query_codes, db_codes, query_labels, db_labels, caller=caller)
    radius = check_int(radius, "radius", caller=caller, min_value=0, max_value=data.nbits)
    empty_retrieval = check_option(empty_retrieval, "empty_retrieval", EMPTY_RETRIEVAL, caller)
    no_relevant = check_option(no_relevant, "no_relevant", NO_RELEVANT, caller)
    values = np.empty(data.n_query, dtype=np.float64)
    keep = np.empty(data.n_query, dtype=bool)
    for rows, cum_all, cum_rel, total in _cumulative_counts(data):
        values[rows] = _lookup_precision(cum_all[:, radius], cum_rel[:, radius])
        keep[rows] = True
        if no_relevant == "exclude":
            keep[rows] &= total > 0
        if empty_retrieval == "exclude":
            keep[rows] &= cum_all[:, radius] > 0
    values[~keep] = np.nan
    if per_query:
        return values
    if not keep.any():
        logger.warning("precision_within_radius: every query is excluded, so the mean is NaN.")
        return float("nan")
    return float(values[keep].mean())
