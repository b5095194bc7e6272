"""Slow, obviously correct reference implementations of the retrieval metrics.

Everything here is written with explicit Python loops over queries, items and
ranking positions, straight from the definitions in the docstrings of
:mod:`hashx.metrics`.  The tests compare the fast numba paths against these.
Sizes must stay tiny (a few dozen queries, a few hundred items).
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import NamedTuple

import numpy as np


# ----------------------------------------------------------------------------- basics
def hamming_matrix(query_codes, db_codes):
    """Hamming distance of every (query, item) pair, bit by bit on the unpacked codes."""
    q_bits = np.unpackbits(query_codes, axis=1)
    d_bits = np.unpackbits(db_codes, axis=1)
    out = np.zeros((q_bits.shape[0], d_bits.shape[0]), dtype=np.int64)
    for i in range(q_bits.shape[0]):
        for j in range(d_bits.shape[0]):
            dist = 0
            for b in range(q_bits.shape[1]):
                if q_bits[i, b] != d_bits[j, b]:
                    dist += 1
            out[i, j] = dist
    return out


def shared_labels_matrix(query_labels, db_labels):
    """Number of labels shared by every (query, item) pair."""
    out = np.zeros((query_labels.shape[0], db_labels.shape[0]), dtype=np.int64)
    for i in range(query_labels.shape[0]):
        for j in range(db_labels.shape[0]):
            shared = 0
            for c in range(query_labels.shape[1]):
                if query_labels[i, c] and db_labels[j, c]:
                    shared += 1
            out[i, j] = shared
    return out


def ranking_by_index(distances):
    """Item indices sorted by distance, equal distances by index."""
    return sorted(range(len(distances)), key=lambda j: (distances[j], j))


def all_tie_orderings(distances):
    """Every ranking obtainable by permuting the items inside each tie group."""
    groups = []
    for d in sorted(set(int(x) for x in distances)):
        groups.append([j for j in range(len(distances)) if distances[j] == d])
    for perms in itertools.product(*(itertools.permutations(g) for g in groups)):
        ranking = []
        for p in perms:
            ranking.extend(p)
        yield ranking


def n_tie_orderings(distances):
    count = 1
    for d in set(int(x) for x in distances):
        count *= math.factorial(int(np.sum(np.asarray(distances) == d)))
    return count


# ----------------------------------------------------------------------------- per-ranking metrics
def average_precision(relevant_ranked, k=None, denominator="relevant_in_top_k"):
    """AP@k of a ranked 0/1 relevance list (k=None or k > len: the whole list)."""
    n = len(relevant_ranked)
    cut = n if k is None else min(k, n)
    hits = 0
    precision_sum = 0.0
    for position in range(1, cut + 1):
        if relevant_ranked[position - 1]:
            hits += 1
            precision_sum += hits / position
    if denominator == "relevant_in_top_k":
        denom = hits
    else:
        denom = min(cut, sum(1 for r in relevant_ranked if r))
    return precision_sum / denom if denom > 0 else 0.0


def relevant_in_top(relevant_ranked, k):
    count = 0
    for position in range(min(k, len(relevant_ranked))):
        if relevant_ranked[position]:
            count += 1
    return count


def precision_at(relevant_ranked, k):
    return relevant_in_top(relevant_ranked, k) / min(k, len(relevant_ranked))


def recall_at(relevant_ranked, k):
    total = sum(1 for r in relevant_ranked if r)
    return relevant_in_top(relevant_ranked, k) / total if total else 0.0


def dcg(grades_ranked, k, gain="exponential"):
    value = 0.0
    for position in range(1, min(k, len(grades_ranked)) + 1):
        g = grades_ranked[position - 1]
        value += ((2.0**g - 1.0) if gain == "exponential" else g) / math.log2(position + 1)
    return value


def ndcg(grades_ranked, k, gain="exponential"):
    ideal = dcg(sorted(grades_ranked, reverse=True), k, gain)
    return dcg(grades_ranked, k, gain) / ideal if ideal > 0 else 0.0


# ----------------------------------------------------------------------------- per-query metric values
def per_query_values(dist, shared, metric, ties="index"):
    """``metric(relevant_ranked, grades_ranked)`` for every query.

    Parameters
    ----------
    dist, shared : (n_query, n_db) int arrays
        :func:`hamming_matrix` and :func:`shared_labels_matrix`.
    ties : {"index", "average"}
        "index": the ranking by distance, then index.  "average": the exact mean
        over *every* ordering of the tie groups (tiny databases only: there are
        ``prod(group size!)`` orderings).
    """
    values = []
    for i in range(dist.shape[0]):
        if ties == "index":
            rankings = [ranking_by_index(dist[i])]
        else:
            rankings = list(all_tie_orderings(dist[i]))
        total = 0.0
        for ranking in rankings:
            grades = [int(shared[i, j]) for j in ranking]
            relevant = [1 if g > 0 else 0 for g in grades]
            total += metric(relevant, grades)
        values.append(total / len(rankings))
    return np.array(values)


def mean_with_exclusion(values, has_relevant, no_relevant):
    if no_relevant == "exclude":
        kept = [v for v, h in zip(values, has_relevant) if h]
        return sum(kept) / len(kept) if kept else float("nan")
    return sum(values) / len(values)


def has_relevant_items(shared):
    return [bool((shared[i] > 0).any()) for i in range(shared.shape[0])]


# ----------------------------------------------------------------------------- hash lookup
def lookup_counts(dist, shared, nbits):
    """retrieved[i][r], relevant_retrieved[i][r], total_relevant[i] for radius r = 0..nbits."""
    retrieved, relevant_retrieved, totals = [], [], []
    for i in range(dist.shape[0]):
        row_ret, row_rel = [], []
        for radius in range(nbits + 1):
            n_ret = 0
            n_rel = 0
            for j in range(dist.shape[1]):
                if dist[i, j] <= radius:
                    n_ret += 1
                    if shared[i, j] > 0:
                        n_rel += 1
            row_ret.append(n_ret)
            row_rel.append(n_rel)
        retrieved.append(row_ret)
        relevant_retrieved.append(row_rel)
        totals.append(int((shared[i] > 0).sum()))
    return retrieved, relevant_retrieved, totals


def pr_curve(dist, shared, nbits, empty_retrieval="zero", no_relevant="zero"):
    """Mean precision and recall of hash lookup at radius 0..nbits."""
    retrieved, relevant_retrieved, totals = lookup_counts(dist, shared, nbits)
    queries = [i for i in range(len(totals)) if no_relevant == "zero" or totals[i] > 0]
    precision, recall = [], []
    for radius in range(nbits + 1):
        p_values = []
        r_values = []
        for i in queries:
            if retrieved[i][radius] > 0:
                p_values.append(relevant_retrieved[i][radius] / retrieved[i][radius])
            elif empty_retrieval == "zero":
                p_values.append(0.0)
            r_values.append(relevant_retrieved[i][radius] / totals[i] if totals[i] else 0.0)
        precision.append(sum(p_values) / len(p_values) if p_values else float("nan"))
        recall.append(sum(r_values) / len(r_values) if r_values else float("nan"))
    return np.array(precision), np.array(recall)


# ----------------------------------------------------------------------------- test data
def toy_retrieval_data():
    """Two queries, five items, 8-bit codes: the hand-computed cases of the metric tests.

    Query 0: distances [1, 0, 2, 1, 3] to the items, relevant [1, 0, 1, 0, 0]; ranked with ties by
    index (items 1, 0, 3, 2, 4) its relevance is 0 1 0 1 0.  Query 1 has no label, so no relevant item.
    """
    query_codes = np.array([[0b00000000], [0b00000000]], dtype=np.uint8)
    db_codes = np.array([[0b00000001], [0b00000000], [0b00000011], [0b10000000], [0b00000111]], dtype=np.uint8)
    query_labels = np.array([[1, 0], [0, 0]])
    db_labels = np.array([[1, 0], [0, 1], [1, 1], [0, 1], [0, 0]])
    return query_codes, db_codes, query_labels, db_labels


def random_retrieval_data(seed, n_query, n_db, nbits, n_labels, p_label=0.25, bias=0.5):
    """Packed codes and multi-hot labels with heavy ties (short codes) and some label-less queries.

    ``bias`` < 0.5 concentrates the codes near all-zeros, so distances crowd
    into few values (more ties).  Every fourth query has no label at all, so
    it has no relevant item.
    """
    rng = np.random.default_rng(seed)
    query_bits = (rng.random((n_query, nbits)) < bias).astype(np.uint8)
    db_bits = (rng.random((n_db, nbits)) < bias).astype(np.uint8)
    query_labels = (rng.random((n_query, n_labels)) < p_label).astype(np.uint8)
    db_labels = (rng.random((n_db, n_labels)) < p_label).astype(np.uint8)
    query_labels[::4] = 0
    return np.packbits(query_bits, axis=1), np.packbits(db_bits, axis=1), query_labels, db_labels


def untied_retrieval_data(seed, n_db, n_labels=4):
    """One query and a database whose Hamming distances to it are all different.

    64-bit codes; item j differs from the query in ``distances[j]`` bits, with
    ``distances`` a random choice of ``n_db`` distinct values in 0..64.
    """
    assert n_db <= 65
    rng = np.random.default_rng(seed)
    query_bits = rng.integers(0, 2, size=64).astype(np.uint8)
    distances = rng.choice(65, size=n_db, replace=False)
    db_bits = np.repeat(query_bits[None, :], n_db, axis=0)
    for j, d in enumerate(distances):
        flip = rng.choice(64, size=d, replace=False)
        db_bits[j, flip] ^= 1
    query_labels = np.zeros((1, n_labels), dtype=np.uint8)
    query_labels[0, rng.choice(n_labels, size=2, replace=False)] = 1
    db_labels = (rng.random((n_db, n_labels)) < 0.3).astype(np.uint8)
    return (np.packbits(query_bits[None, :], axis=1), np.packbits(db_bits, axis=1), query_labels, db_labels,
            distances)


class Case(NamedTuple):
    """A random retrieval problem and its oracle distance / shared-label matrices."""

    query_codes: np.ndarray
    db_codes: np.ndarray
    query_labels: np.ndarray
    db_labels: np.ndarray
    dist: np.ndarray
    shared: np.ndarray
    nbits: int

    @property
    def inputs(self):
        return self.query_codes, self.db_codes, self.query_labels, self.db_labels


@functools.lru_cache(maxsize=None)
def case(seed, n_query, n_db, nbits, n_labels, p_label=0.25, bias=0.5):
    """Cached :func:`random_retrieval_data` plus its oracle matrices (do not mutate)."""
    qc, dc, ql, dl = random_retrieval_data(seed, n_query, n_db, nbits, n_labels, p_label, bias)
    return Case(qc, dc, ql, dl, hamming_matrix(qc, dc), shared_labels_matrix(ql, dl), nbits)
