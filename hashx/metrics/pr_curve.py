"""Hash lookup: precision and recall of the items within a Hamming radius."""

from __future__ import annotations

from .._validation import check_int
from ._histogram import relevance_histograms
from ._inputs import check_option, parallel_chunks, prepare_retrieval, query_chunks
from ._lookup import LookupCurve, RadiusPrecision
from ._reduce import NO_RELEVANT

__all__ = ["pr_curve", "precision_within_radius"]

EMPTY_RETRIEVAL = ("zero", "exclude")


def _histogram_chunks(data):
    """Yield (rows, all_hist, rel_hist) per chunk of queries (one scan of the database each)."""
    for rows in query_chunks(data.n_query):
        all_hist, rel_hist = relevance_histograms(
            data.query_words[rows], data.db_words, data.query_masks[rows], data.db_masks, data.nbits,
            parallel_chunks(),
        )
        yield rows, all_hist, rel_hist


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
    curve = LookupCurve(data.nbits + 1, empty_retrieval, no_relevant)
    for _, all_hist, rel_hist in _histogram_chunks(data):
        curve.add(all_hist, rel_hist)
    return curve.curve(caller)


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
    precision = RadiusPrecision(data.n_query, radius, empty_retrieval, no_relevant)
    for rows, all_hist, rel_hist in _histogram_chunks(data):
        precision.add(rows, all_hist, rel_hist)
    return precision.result(caller, per_query=per_query)
