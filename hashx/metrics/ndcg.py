"""NDCG@k of a Hamming ranking with graded relevance (number of shared labels)."""

from __future__ import annotations

import numpy as np

from ._dcg import ndcg_per_query
from ._inputs import check_k, check_option, check_ties, parallel_chunks, prepare_retrieval, query_chunks
from ._reduce import NO_RELEVANT, mean_over_queries

__all__ = ["ndcg_at_k"]

GAINS = ("exponential", "linear")


def ndcg_at_k(query_codes, db_codes, query_labels, db_labels, k, *, ties="index", gain="exponential",
              no_relevant="zero", per_query=False):
    """Normalised discounted cumulative gain of the top k of the Hamming ranking.

    Definitions
    -----------
    * **Graded relevance**: the grade ``g`` of a database item for a query is
      the number of labels they share (0 = irrelevant).
    * **Gain**: ``2**g - 1`` (``gain="exponential"``, default) or ``g``
      (``"linear"``).  Discount of position ``p`` (1-based): ``1 / log2(p + 1)``.
    * ``DCG@k = sum_{p <= k} gain(item at p) / log2(p + 1)``; ``IDCG@k`` is the
      DCG@k of the database sorted by decreasing grade; ``NDCG@k = DCG@k / IDCG@k``.
      A ``k`` larger than the database (or ``k=None``) means the whole database.
    * **Ties**: ``ties="index"`` orders items at equal Hamming distance by
      database index (a stable sort).  ``ties="average"`` gives the expected
      DCG@k over all orders inside each tie group, each equally likely (every
      position of a group then carries the group's mean gain); IDCG does not
      depend on ties.
    * **Queries with no relevant item** (IDCG = 0) score 0 and count in the
      mean with ``no_relevant="zero"`` (default); ``"exclude"`` leaves them
      out (NaN if every query is excluded).

    Parameters
    ----------
    query_codes : ndarray of shape (n_query, nbits // 8), dtype=uint8
        Packed query codes (:func:`hashx.pack_codes`).
    db_codes : ndarray of shape (n_db, nbits // 8), dtype=uint8
    query_labels : ndarray of shape (n_query, c), integer or bool dtype, values 0/1
    db_labels : ndarray of shape (n_db, c), integer or bool dtype, values 0/1
    k : int >= 1 or None
        Cut-off of the ranking; None for the whole database.
    ties : {"index", "average"}, default="index"
    gain : {"exponential", "linear"}, default="exponential"
    no_relevant : {"zero", "exclude"}, default="zero"
    per_query : bool, default=False
        Return per-query NDCG (NaN for excluded queries) instead of the mean.

    Returns
    -------
    float, or ndarray of shape (n_query,), dtype=float64 if ``per_query``
    """
    caller = "ndcg_at_k"
    data = prepare_retrieval(query_codes, db_codes, query_labels, db_labels, caller=caller)
    k = check_k(k, caller)
    ties = check_ties(ties, caller)
    gain = check_option(gain, "gain", GAINS, caller)
    no_relevant = check_option(no_relevant, "no_relevant", NO_RELEVANT, caller)
    cut = data.n_db if k is None else min(k, data.n_db)
    grades = np.arange(data.n_labels + 1)
    gains = np.ldexp(1.0, grades) - 1.0 if gain == "exponential" else grades.astype(np.float64)
    discounts = np.zeros(cut + 1, dtype=np.float64)
    discounts[1:] = 1.0 / np.log2(np.arange(2, cut + 2, dtype=np.float64))
    values = np.empty(data.n_query, dtype=np.float64)
    has_relevant = np.empty(data.n_query, dtype=bool)
    for rows in query_chunks(data.n_query):
        values[rows], has_relevant[rows] = ndcg_per_query(
            data.query_words[rows], data.db_words, data.query_masks[rows], data.db_masks, data.nbits,
            data.n_labels, cut, gains, discounts, ties == "average", parallel_chunks(),
        )
    return mean_over_queries(values, has_relevant, no_relevant, per_query=per_query, what=caller)
