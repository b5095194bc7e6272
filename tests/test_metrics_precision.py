"""precision_at_k and recall_at_k against the explicit-loop oracle and hand-computed cases."""

import numpy as np
import pytest

import metrics_oracle as oracle
from hashx.metrics import precision_at_k, recall_at_k

CASES = [(0, 20, 150, 8, 6), (1, 20, 150, 16, 6), (2, 12, 90, 72, 70)]
KS = [1, 5, 50, 150, 1000]


@pytest.mark.parametrize("params", CASES)
def test_ties_index_equals_oracle(params):
    case = oracle.case(*params)
    got_p = precision_at_k(*case.inputs, KS, per_query=True)
    got_r = recall_at_k(*case.inputs, KS, per_query=True)
    assert got_p.shape == got_r.shape == (case.dist.shape[0], len(KS))
    has_rel = oracle.has_relevant_items(case.shared)
    for i, k in enumerate(KS):
        exp_p = oracle.per_query_values(case.dist, case.shared, lambda rel, _: oracle.precision_at(rel, k))
        exp_r = oracle.per_query_values(case.dist, case.shared, lambda rel, _: oracle.recall_at(rel, k))
        np.testing.assert_allclose(got_p[:, i], exp_p, rtol=1e-15)
        np.testing.assert_allclose(got_r[:, i], exp_r, rtol=1e-15)
        for no_relevant in ("zero", "exclude"):
            assert precision_at_k(*case.inputs, k, no_relevant=no_relevant) == pytest.approx(
                oracle.mean_with_exclusion(exp_p, has_rel, no_relevant), rel=1e-13
            )
            assert recall_at_k(*case.inputs, k, no_relevant=no_relevant) == pytest.approx(
                oracle.mean_with_exclusion(exp_r, has_rel, no_relevant), rel=1e-13
            )


@pytest.mark.parametrize("seed", range(3))
def test_ties_average_equals_index_without_ties(seed):
    qc, dc, ql, dl, _ = oracle.untied_retrieval_data(seed, n_db=40)
    ks = [1, 2, 7, 39, 40, 41]
    for metric in (precision_at_k, recall_at_k):
        np.testing.assert_allclose(metric(qc, dc, ql, dl, ks, ties="average"), metric(qc, dc, ql, dl, ks),
                                   rtol=1e-14)


def test_hand_computed_toy():
    inputs = oracle.toy_retrieval_data()
    # query 0 ranked relevance (ties by index): [0, 1, 0, 1, 0]; 2 relevant items.
    np.testing.assert_allclose(precision_at_k(*inputs, [1, 2, 3, 5, 10], per_query=True)[0],
                               [0, 1 / 2, 1 / 3, 2 / 5, 2 / 5])
    np.testing.assert_allclose(recall_at_k(*inputs, [1, 2, 3, 4, 10], per_query=True)[0], [0, 1 / 2, 1 / 2, 1, 1])
    # ties averaged: position 2 holds the relevant item of the (relevant, irrelevant) tie group with prob. 1/2.
    np.testing.assert_allclose(precision_at_k(*inputs, [1, 2, 3], ties="average", per_query=True)[0],
                               [0, 1 / 4, 1 / 3])
    np.testing.assert_allclose(recall_at_k(*inputs, [2, 3], ties="average", per_query=True)[0], [1 / 4, 1 / 2])
    # query 1 has no relevant item: 0 and counted, or excluded.
    np.testing.assert_array_equal(precision_at_k(*inputs, [1, 5], per_query=True)[1], [0, 0])
    assert precision_at_k(*inputs, 2) == pytest.approx(0.25)
    assert precision_at_k(*inputs, 2, no_relevant="exclude") == pytest.approx(0.5)
    assert recall_at_k(*inputs, 10) == pytest.approx(0.5)
    assert recall_at_k(*inputs, 10, no_relevant="exclude") == pytest.approx(1.0)


def test_scalar_and_sequence_ks_return_types():
    inputs = oracle.toy_retrieval_data()
    assert isinstance(precision_at_k(*inputs, 2), float)
    out = precision_at_k(*inputs, (2,))
    assert isinstance(out, np.ndarray) and out.shape == (1,)
    assert precision_at_k(*inputs, np.array([1, 2]), per_query=True).shape == (2, 2)
    assert precision_at_k(*inputs, 2, per_query=True).shape == (2,)


def test_k_larger_than_database_means_whole_database():
    case = oracle.case(*CASES[0])
    n_db = case.db_codes.shape[0]
    for ties in ("index", "average"):
        np.testing.assert_array_equal(precision_at_k(*case.inputs, [n_db, 10 * n_db], ties=ties, per_query=True)[:, 0],
                                      precision_at_k(*case.inputs, 10 * n_db, ties=ties, per_query=True))
        rec = recall_at_k(*case.inputs, 10 * n_db, ties=ties, per_query=True)
        np.testing.assert_array_equal(rec, np.array(oracle.has_relevant_items(case.shared), dtype=float))
