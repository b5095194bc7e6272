"""Mean average precision of a Hamming ranking: MAP@all and MAP@k, ties by index or averaged."""

from __future__ import annotations

import numpy as np

from ._histogram import precision_sums_index, relevance_histograms
from ._inputs import check_k, check_option, check_ties, parallel_chunks, prepare_retrieval, query_chunks
from ._reduce import NO_RELEVANT, mean_over_queries
from ._tie_average import DENOM_MIN_K_R, DENOM_TOP_K, expected_average_precision

__all__ = ["mean_average_precision"]

_CALLER = "mean_average_precision"
DENOMINATORS = ("relevant_in_top_k", "min_k_relevant")


def average_precision_from_sums(precision_sum, hits, total, cut, denominator="relevant_in_top_k"):
    """Per-query AP@cut from the precision sums of a ranking with ties by index (shared with retrieval_report).

    Parameters
    ----------
    precision_sum : ndarray of shape (n_query,), dtype=float64
        Sum of the precisions at the relevant items of the top ``cut``.
    hits : ndarray of shape (n_query,), dtype=int64
        Relevant items in the top ``cut``.
    total : ndarray of shape (n_query,), dtype=int64
        Relevant items in the whole database.
    cut : int
        ``min(k, n_db)``.
    denominator : {"relevant_in_top_k", "min_k_relevant"}

    Returns
    -------
    ndarray of shape (n_query,), dtype=float64
        0 where the denominator is 0.
    """
    denom = hits if denominator == "relevant_in_top_k" else np.minimum(cut, total)
    return np.divide(precision_sum, denom, out=np.zeros_like(precision_sum), where=denom > 0)


def mean_average_precision(
    query_codes,
    db_codes,
    query_labels,
    db_labels,
    *,
    k=None,
    ties="index",
    denominator="relevant_in_top_k",
    no_relevant="zero",
    per_query=False,
):
    """Mean average precision (MAP@all or MAP@k) of the Hamming ranking.

    Every query ranks the whole database by Hamming distance to its code.

    Definitions
    -----------
    * **Relevant**: a database item is relevant to a query iff they share at
      least one label (the dot product of their multi-hot rows is > 0).
    * **Ties**: ``ties="index"`` orders items at equal distance by database
      index (row order of ``db_codes``), exactly what the classic loop gives
      with a *stable* sort of the distances.  ``ties="average"`` returns the
      expected AP over all orders of the items inside each tie group, each
      order equally likely (He et al., CVPR 2018), computed in closed form
      from per-distance counts (see :mod:`hashx.metrics._tie_average`); with
      no tied distances it equals ``ties="index"``.
    * **AP@k**: with ``P(i)`` the precision of the top ``i`` and ``rel(i)``
      1 if the item at position ``i`` is relevant,
      ``AP@k = sum_{i <= k} P(i) rel(i) / D``.  With the default
      ``denominator="relevant_in_top_k"``, ``D`` is the number of relevant
      items inside the top ``k``; with ``"min_k_relevant"``, ``D = min(k, R)``
      with ``R`` the number of relevant items in the whole database.
      ``k=None`` ranks the whole database (MAP@all), where both give ``D = R``;
      a ``k`` larger than the database also means the whole database.
    * **Queries with no relevant item**: AP is 0 (also when relevant items
      exist but none is in the top ``k``).  With ``no_relevant="zero"``
      (default) every query counts in the mean, so MAP divides by the number
      of queries.  ``no_relevant="exclude"`` leaves out queries without any
      relevant item in the *database* (their AP is undefined); a query that
      has relevant items but retrieves none in the top ``k`` still counts as 0.
      If every query is excluded the result is NaN (and a warning is logged).

    Parameters
    ----------
    query_codes : ndarray of shape (n_query, nbits // 8), dtype=uint8
        Packed query codes (:func:`hashx.pack_codes`); ``nbits = 8 * width``.
    db_codes : ndarray of shape (n_db, nbits // 8), dtype=uint8
        Packed database codes, same width as ``query_codes``.
    query_labels : ndarray of shape (n_query, c), integer or bool dtype
        Multi-hot labels holding only 0 and 1.
    db_labels : ndarray of shape (n_db, c), integer or bool dtype
        Multi-hot labels of the database, same ``c``.
    k : int >= 1 or None, default=None
        Cut-off of the ranking; None for the whole database.
    ties : {"index", "average"}, default="index"
    denominator : {"relevant_in_top_k", "min_k_relevant"}, default="relevant_in_top_k"
    no_relevant : {"zero", "exclude"}, default="zero"
    per_query : bool, default=False
        Return the AP of every query instead of the mean (NaN for excluded queries).

    Returns
    -------
    float, or ndarray of shape (n_query,), dtype=float64 if ``per_query``

    Raises
    ------
    HashxTypeError, HashxValueError
        Invalid inputs, with the offending parameter named.

    Notes
    -----
    Cost O(n_query * n_db) with O(n_db + nbits) memory per thread: one fused
    popcount/label scan per query into a per-distance histogram, then (for
    ``ties="index"``) one walk in database order that keeps a running count
    per distance, which gives every item its exact rank without sorting.

    Examples
    --------
    >>> import numpy as np, hashx
    >>> from hashx.metrics import mean_average_precision
    >>> q = hashx.pack_codes(np.array([[1] * 8], dtype=np.int8))
    >>> db = hashx.pack_codes(np.array([[1] * 8, [-1] * 8], dtype=np.int8))
    >>> mean_average_precision(q, db, np.array([[1, 0]]), np.array([[0, 1], [1, 0]]))
    0.5
    """
    data = prepare_retrieval(query_codes, db_codes, query_labels, db_labels, caller=_CALLER)
    k = check_k(k, _CALLER)
    ties = check_ties(ties, _CALLER)
    denominator = check_option(denominator, "denominator", DENOMINATORS, _CALLER)
    no_relevant = check_option(no_relevant, "no_relevant", NO_RELEVANT, _CALLER)
    cut = data.n_db if k is None else min(k, data.n_db)

    ap = np.empty(data.n_query, dtype=np.float64)
    has_relevant = np.empty(data.n_query, dtype=bool)
    for rows in query_chunks(data.n_query):
        args = (data.query_words[rows], data.db_words, data.query_masks[rows], data.db_masks, data.nbits)
        if ties == "index":
            precision_sum, hits, total = precision_sums_index(*args, cut, parallel_chunks())
            ap[rows] = average_precision_from_sums(precision_sum, hits, total, cut, denominator)
        else:
            all_hist, rel_hist = relevance_histograms(*args, parallel_chunks())
            mode = DENOM_TOP_K if denominator == "relevant_in_top_k" else DENOM_MIN_K_R
            ap[rows] = expected_average_precision(all_hist, rel_hist, cut, mode)
            total = rel_hist.sum(axis=1)
        has_relevant[rows] = total > 0
    return mean_over_queries(ap, has_relevant, no_relevant, per_query=per_query, what=_CALLER)
