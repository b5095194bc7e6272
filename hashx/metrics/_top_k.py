"""Relevant items inside the top k of a Hamming ranking (shared by precision@k and recall@k)."""

from __future__ import annotations

import numpy as np

from ._histogram import ranked_relevance_counts_index, relevance_histograms
from ._inputs import RetrievalData, parallel_chunks, query_chunks

__all__ = ["relevant_in_top_k", "expected_relevant_in_top_k"]


def expected_relevant_in_top_k(all_hist: np.ndarray, rel_hist: np.ndarray, ks: np.ndarray) -> np.ndarray:
    """Expected number of relevant items in the top k over random orders inside tie groups.

    The group holding position ``k`` contributes ``m * r / n`` (its ``m``
    retrieved positions each hold a relevant item with probability ``r / n``);
    the groups before it contribute all their relevant items.

    Parameters
    ----------
    all_hist, rel_hist : ndarray of shape (n_query, nbits + 1), dtype=int64
    ks : ndarray of shape (m,), dtype=int64, each in [1, n_db]

    Returns
    -------
    ndarray of shape (n_query, m), dtype=float64
    """
    cum_all = np.cumsum(all_hist, axis=1)
    cum_rel = np.cumsum(rel_hist, axis=1)
    out = np.empty((all_hist.shape[0], ks.shape[0]), dtype=np.float64)
    for i, k in enumerate(ks):
        group = (cum_all < k).sum(axis=1, keepdims=True)  # first distance whose bucket reaches k
        n = np.take_along_axis(all_hist, group, axis=1)[:, 0]
        r = np.take_along_axis(rel_hist, group, axis=1)[:, 0]
        before_all = np.take_along_axis(cum_all, group, axis=1)[:, 0] - n
        before_rel = np.take_along_axis(cum_rel, group, axis=1)[:, 0] - r
        out[:, i] = before_rel + (k - before_all) * r / n
    return out


def relevant_in_top_k(data: RetrievalData, ks: np.ndarray, ties: str) -> tuple[np.ndarray, np.ndarray]:
    """Relevant items in the top ``min(k, n_db)`` for every query and k.

    Returns
    -------
    counts : ndarray of shape (n_query, len(ks)), dtype=float64
        Exact counts for ``ties="index"``, expectations for ``ties="average"``.
    relevant_total : ndarray of shape (n_query,), dtype=int64
        Relevant items in the whole database.
    """
    cuts = np.minimum(ks, data.n_db).astype(np.int64)
    counts = np.empty((data.n_query, cuts.shape[0]), dtype=np.float64)
    total = np.empty(data.n_query, dtype=np.int64)
    for rows in query_chunks(data.n_query):
        args = (data.query_words[rows], data.db_words, data.query_masks[rows], data.db_masks, data.nbits)
        if ties == "index":
            c, t = ranked_relevance_counts_index(*args, cuts, parallel_chunks())
            counts[rows] = c
            total[rows] = t
        else:
            all_hist, rel_hist = relevance_histograms(*args, parallel_chunks())
            counts[rows] = expected_relevant_in_top_k(all_hist, rel_hist, cuts)
            total[rows] = rel_hist.sum(axis=1)
    return counts, total
