"""pr_curve and precision_within_radius (hash lookup) against the oracle and hand-computed cases."""

import numpy as np
import pytest

import metrics_oracle as oracle
from hashx.metrics import pr_curve, precision_within_radius

CASES = [(0, 20, 150, 8, 6), (1, 20, 150, 16, 6), (2, 12, 90, 72, 70)]


def _toy():
    """Query 0: distances [1, 0, 2, 1, 3], relevant [1, 0, 1, 0, 0].  Query 1 (code 0xFF): distances
    [7, 8, 6, 7, 5] (nothing within radius 4), relevant [0, 1, 1, 1, 0]."""
    query_codes = np.array([[0x00], [0xFF]], dtype=np.uint8)
    db_codes = np.array([[0b1], [0b0], [0b11], [0b10000000], [0b111]], dtype=np.uint8)
    query_labels = np.array([[1, 0], [0, 1]])
    db_labels = np.array([[1, 0], [0, 1], [1, 1], [0, 1], [0, 0]])
    return query_codes, db_codes, query_labels, db_labels


@pytest.mark.parametrize("params", CASES)
@pytest.mark.parametrize("empty_retrieval", ["zero", "exclude"])
@pytest.mark.parametrize("no_relevant", ["zero", "exclude"])
def test_pr_curve_equals_oracle(params, empty_retrieval, no_relevant):
    case = oracle.case(*params)
    precision, recall = pr_curve(*case.inputs, empty_retrieval=empty_retrieval, no_relevant=no_relevant)
    exp_p, exp_r = oracle.pr_curve(case.dist, case.shared, case.nbits, empty_retrieval, no_relevant)
    assert precision.shape == recall.shape == (case.nbits + 1,)
    np.testing.assert_allclose(precision, exp_p, rtol=1e-13)
    np.testing.assert_allclose(recall, exp_r, rtol=1e-13)


@pytest.mark.parametrize("params", CASES)
def test_precision_within_radius_equals_pr_curve_oracle(params):
    case = oracle.case(*params)
    for empty_retrieval in ("zero", "exclude"):
        for no_relevant in ("zero", "exclude"):
            exp_p, _ = oracle.pr_curve(case.dist, case.shared, case.nbits, empty_retrieval, no_relevant)
            for radius in (0, 2, 5, case.nbits):
                got = precision_within_radius(*case.inputs, radius=radius, empty_retrieval=empty_retrieval,
                                              no_relevant=no_relevant)
                if np.isnan(exp_p[radius]):
                    assert np.isnan(got)
                else:
                    assert got == pytest.approx(exp_p[radius], rel=1e-13)


def test_hand_computed_toy():
    inputs = _toy()
    precision, recall = pr_curve(*inputs)
    # query 0 at r = 0..3: retrieved {1}, {0,1,3}, {0,1,2,3}, all -> precision 0, 1/3, 2/4, 2/5; recall 0, 1/2, 1, 1
    # query 1 retrieves nothing up to r = 4 (precision 0 by convention), then {4}, {2,4}, {0,2,3,4}, all:
    # relevant [0, 1, 1, 1, 0] -> precision 0, 1/2, 2/4, 3/5; recall 0, 1/3, 2/3, 1.
    p0 = [0, 1 / 3, 2 / 4] + [2 / 5] * 6
    r0 = [0, 1 / 2, 1] + [1] * 6
    p1 = [0, 0, 0, 0, 0, 0, 1 / 2, 2 / 4, 3 / 5]
    r1 = [0, 0, 0, 0, 0, 0, 1 / 3, 2 / 3, 1]
    np.testing.assert_allclose(precision, (np.array(p0) + p1) / 2)
    np.testing.assert_allclose(recall, (np.array(r0) + r1) / 2)
    excl_p, _ = pr_curve(*inputs, empty_retrieval="exclude")
    np.testing.assert_allclose(excl_p, [0, 1 / 3, 2 / 4, 2 / 5, 2 / 5, (2 / 5) / 2, (2 / 5 + 1 / 2) / 2,
                                        (2 / 5 + 2 / 4) / 2, (2 / 5 + 3 / 5) / 2])
    # hash lookup within radius 2 (the usual protocol): query 0 -> 2/4, query 1 retrieves nothing -> 0.
    assert precision_within_radius(*inputs) == pytest.approx(0.25)
    assert precision_within_radius(*inputs, empty_retrieval="exclude") == pytest.approx(0.5)
    np.testing.assert_allclose(precision_within_radius(*inputs, per_query=True), [0.5, 0.0])
    np.testing.assert_equal(precision_within_radius(*inputs, empty_retrieval="exclude", per_query=True), [0.5, np.nan])
    assert precision_within_radius(*inputs, radius=8) == pytest.approx((2 / 5 + 3 / 5) / 2)


def test_queries_without_relevant_items():
    qc, dc, _, dl = _toy()
    none = np.zeros((2, 2), dtype=np.uint8)
    precision, recall = pr_curve(qc, dc, none, dl)
    np.testing.assert_array_equal(precision, 0.0)
    np.testing.assert_array_equal(recall, 0.0)
    precision, recall = pr_curve(qc, dc, none, dl, no_relevant="exclude")
    assert np.isnan(precision).all() and np.isnan(recall).all()
    assert np.isnan(precision_within_radius(qc, dc, none, dl, no_relevant="exclude"))


def test_recall_reaches_one_at_full_radius():
    case = oracle.case(*CASES[1])
    _, recall = pr_curve(*case.inputs, no_relevant="exclude")
    assert recall[-1] == pytest.approx(1.0)
    assert np.all(np.diff(recall) >= -1e-15)
