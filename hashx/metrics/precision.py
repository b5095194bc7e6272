"""Precision@k and recall@k of a Hamming ranking."""

from __future__ import annotations

import numpy as np

from ._inputs import check_ks, check_option, check_ties, prepare_retrieval
from ._reduce import NO_RELEVANT, mean_over_queries
from ._top_k import relevant_in_top_k

__all__ = ["precision_at_k", "recall_at_k"]


def top_k_fractions(counts, total, ks, n_db, *, recall):
    """Per-query precision@k (or recall@k) from relevant counts in the top ``min(k, n_db)`` (shared with the report).

    Parameters
    ----------
    counts : ndarray of shape (n_query, len(ks)), dtype=float64
        Relevant items in the top ``min(ks[i], n_db)`` (expected counts for ``ties="average"``).
    total : ndarray of shape (n_query,), dtype=int64
        Relevant items in the whole database.
    ks : ndarray of shape (m,), dtype=int64
    n_db : int
    recall : bool
        Divide by ``total`` (recall) instead of ``min(k, n_db)`` (precision).

    Returns
    -------
    ndarray of shape (n_query, len(ks)), dtype=float64
        0 where the denominator is 0.
    """
    if recall:
        denom = np.broadcast_to(total[:, None], counts.shape).astype(np.float64)
    else:
        denom = np.broadcast_to(np.minimum(ks, n_db)[None, :], counts.shape).astype(np.float64)
    return np.divide(counts, denom, out=np.zeros_like(counts), where=denom > 0)


def _top_k_metric(caller, query_codes, db_codes, query_labels, db_labels, ks, ties, no_relevant, per_query, recall):
    data = prepare_retrieval(query_codes, db_codes, query_labels, db_labels, caller=caller)
    ks, scalar = check_ks(ks, caller)
    ties = check_ties(ties, caller)
    no_relevant = check_option(no_relevant, "no_relevant", NO_RELEVANT, caller)
    counts, total = relevant_in_top_k(data, ks, ties)
    values = top_k_fractions(counts, total, ks, data.n_db, recall=recall)
    result = mean_over_queries(values, total > 0, no_relevant, per_query=per_query, what=caller)
    if scalar:
        return result[..., 0] if per_query else float(result[0])
    return result


def precision_at_k(query_codes, db_codes, query_labels, db_labels, ks, *, ties="index", no_relevant="zero",
                   per_query=False):
    """Precision of the top k of the Hamming ranking, for one or several k.

    Every query ranks the whole database by Hamming distance to its code.

    Definitions
    -----------
    * **Relevant**: a database item is relevant to a query iff they share at
      least one label.
    * **Ties**: ``ties="index"`` orders items at equal distance by database
      index (a stable sort of the distances).  ``ties="average"`` gives the
      expectation over all orders inside each tie group, each equally likely:
      the group cut by position ``k`` contributes ``m * r / n`` relevant items
      (``m`` of its ``n`` items retrieved, ``r`` relevant).  With no tied
      distances it equals ``ties="index"``.
    * A ``k`` larger than the database means the whole database (``k`` is
      clipped to ``n_db``).
    * **Precision@k** = (relevant items among the top ``min(k, n_db)``) / ``min(k, n_db)``.
    * **Queries with no relevant item** score 0 and count in the mean with
      ``no_relevant="zero"`` (default); ``"exclude"`` leaves them out (NaN if
      every query is excluded).

    Parameters
    ----------
    query_codes : ndarray of shape (n_query, nbits // 8), dtype=uint8
        Packed query codes (:func:`hashx.pack_codes`).
    db_codes : ndarray of shape (n_db, nbits // 8), dtype=uint8
    query_labels : ndarray of shape (n_query, c), integer or bool dtype, values 0/1
    db_labels : ndarray of shape (n_db, c), integer or bool dtype, values 0/1
    ks : int >= 1 or sequence of int >= 1
    ties : {"index", "average"}, default="index"
    no_relevant : {"zero", "exclude"}, default="zero"
    per_query : bool, default=False
        Return per-query values (NaN for excluded queries) instead of the mean.

    Returns
    -------
    float if ``ks`` is an int, else ndarray of shape (len(ks),), dtype=float64.
    With ``per_query``: ndarray of shape (n_query,) or (n_query, len(ks)).
    """
    return _top_k_metric("precision_at_k", query_codes, db_codes, query_labels, db_labels, ks, ties,
                         no_relevant, per_query, recall=False)


def recall_at_k(query_codes, db_codes, query_labels, db_labels, ks, *, ties="index", no_relevant="zero",
                per_query=False):
    """Recall of the top k of the Hamming ranking, for one or several k.

    Every query ranks the whole database by Hamming distance to its code.

    Definitions
    -----------
    * **Relevant**: a database item is relevant to a query iff they share at
      least one label.
    * **Ties**: ``ties="index"`` orders items at equal distance by database
      index (a stable sort of the distances).  ``ties="average"`` gives the
      expectation over all orders inside each tie group, each equally likely:
      the group cut by position ``k`` contributes ``m * r / n`` relevant items
      (``m`` of its ``n`` items retrieved, ``r`` relevant).  With no tied
      distances it equals ``ties="index"``.
    * A ``k`` larger than the database means the whole database (``k`` is
      clipped to ``n_db``).
    * **Recall@k** = (relevant items among the top ``min(k, n_db)``) / ``R``,
      with ``R`` the number of relevant items in the whole database.
    * **Queries with no relevant item** (``R = 0``, recall undefined) score 0
      and count in the mean with ``no_relevant="zero"`` (default);
      ``"exclude"`` leaves them out (NaN if every query is excluded).

    Parameters
    ----------
    query_codes : ndarray of shape (n_query, nbits // 8), dtype=uint8
        Packed query codes (:func:`hashx.pack_codes`).
    db_codes : ndarray of shape (n_db, nbits // 8), dtype=uint8
    query_labels : ndarray of shape (n_query, c), integer or bool dtype, values 0/1
    db_labels : ndarray of shape (n_db, c), integer or bool dtype, values 0/1
    ks : int >= 1 or sequence of int >= 1
    ties : {"index", "average"}, default="index"
    no_relevant : {"zero", "exclude"}, default="zero"
    per_query : bool, default=False
        Return per-query values (NaN for excluded queries) instead of the mean.

    Returns
    -------
    float if ``ks`` is an int, else ndarray of shape (len(ks),), dtype=float64.
    With ``per_query``: ndarray of shape (n_query,) or (n_query, len(ks)).
    """
    return _top_k_metric("recall_at_k", query_codes, db_codes, query_labels, db_labels, ks, ties,
                         no_relevant, per_query, recall=True)

