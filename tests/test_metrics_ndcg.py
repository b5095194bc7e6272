"""ndcg_at_k (graded relevance = number of shared labels) against the oracle and hand-computed cases."""

import math

import numpy as np
import pytest

import metrics_oracle as oracle
from hashx.metrics import ndcg_at_k

CASES = [(0, 20, 150, 8, 6, 0.4), (1, 20, 150, 16, 6, 0.4), (2, 12, 90, 72, 70, 0.1)]


@pytest.mark.parametrize("params", CASES)
@pytest.mark.parametrize("k", [1, 5, 50, None])
@pytest.mark.parametrize("gain", ["exponential", "linear"])
def test_ties_index_equals_oracle(params, k, gain):
    case = oracle.case(*params)
    cut = 10**9 if k is None else k
    expected = oracle.per_query_values(case.dist, case.shared, lambda _, grades: oracle.ndcg(grades, cut, gain))
    got = ndcg_at_k(*case.inputs, k, gain=gain, per_query=True)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    has_rel = oracle.has_relevant_items(case.shared)
    assert ndcg_at_k(*case.inputs, k, gain=gain, no_relevant="exclude") == pytest.approx(
        oracle.mean_with_exclusion(expected, has_rel, "exclude"), rel=1e-12
    )


@pytest.mark.parametrize("seed", range(3))
def test_ties_average_equals_index_without_ties(seed):
    qc, dc, ql, dl, _ = oracle.untied_retrieval_data(seed, n_db=40)
    for k in (1, 3, 20, None):
        assert ndcg_at_k(qc, dc, ql, dl, k, ties="average") == pytest.approx(ndcg_at_k(qc, dc, ql, dl, k), rel=1e-13)


def test_hand_computed_toy():
    # distances [1, 0, 2, 1, 3]; grades (shared labels with query [1, 1, 0]): [2, 0, 1, 0, 0]
    query_codes = np.array([[0], [0]], dtype=np.uint8)
    db_codes = np.array([[0b1], [0b0], [0b11], [0b10000000], [0b111]], dtype=np.uint8)
    query_labels = np.array([[1, 1, 0], [0, 0, 0]])
    db_labels = np.array([[1, 1, 0], [0, 0, 1], [1, 0, 0], [0, 0, 1], [0, 0, 0]])
    inputs = (query_codes, db_codes, query_labels, db_labels)
    # ties by index: ranked grades [0, 2, 0, 1, 0]; exponential gains [0, 3, 0, 1, 0]; ideal [3, 1, 0, 0, 0].
    dcg = 3 / math.log2(3) + 1 / math.log2(5)
    ideal = 3 + 1 / math.log2(3)
    np.testing.assert_allclose(ndcg_at_k(*inputs, None, per_query=True), [dcg / ideal, 0.0])
    assert ndcg_at_k(*inputs, 1, per_query=True)[0] == 0.0
    assert ndcg_at_k(*inputs, 2, per_query=True)[0] == pytest.approx((3 / math.log2(3)) / ideal)
    linear = (2 / math.log2(3) + 1 / math.log2(5)) / (2 + 1 / math.log2(3))
    assert ndcg_at_k(*inputs, 5, gain="linear", per_query=True)[0] == pytest.approx(linear)
    # k larger than the database = whole database
    assert ndcg_at_k(*inputs, 1000) == ndcg_at_k(*inputs, None)
    # ties averaged: the tie group at distance 1 (gains 3 and 0) puts mean gain 1.5 at positions 2 and 3.
    expected = (1.5 * (1 / math.log2(3) + 1 / math.log2(4)) + 1 / math.log2(5)) / ideal
    assert ndcg_at_k(*inputs, None, ties="average", per_query=True)[0] == pytest.approx(expected)
    # the query without labels scores 0 and counts, or is excluded
    assert ndcg_at_k(*inputs, None) == pytest.approx(dcg / ideal / 2)
    assert ndcg_at_k(*inputs, None, no_relevant="exclude") == pytest.approx(dcg / ideal)


def test_perfect_ranking_scores_one():
    # database sorted so that higher grades sit at smaller distances: NDCG = 1.
    query_codes = np.array([[0]], dtype=np.uint8)
    db_codes = np.array([[0b0], [0b1], [0b11], [0b111]], dtype=np.uint8)
    query_labels = np.array([[1, 1, 1]])
    db_labels = np.array([[1, 1, 1], [1, 1, 0], [0, 1, 0], [0, 0, 0]])
    for ties in ("index", "average"):
        for k in (1, 2, 4, None):
            assert ndcg_at_k(query_codes, db_codes, query_labels, db_labels, k, ties=ties) == pytest.approx(1.0)
