"""mean_average_precision against the explicit-loop oracle, hand-computed cases and sklearn."""

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

import metrics_oracle as oracle
from hashx.metrics import mean_average_precision
from hashx.metrics import _inputs

KS = [1, 5, 50, None]
DENOMINATORS = ["relevant_in_top_k", "min_k_relevant"]
# (seed, n_query, n_db, nbits, n_labels): short codes -> heavy ties; the 72-bit / 70-label case
# exercises the multi-word code and label paths of the kernels.
CASES = [(0, 20, 150, 8, 6), (1, 20, 150, 16, 6), (2, 12, 90, 72, 70)]


@pytest.mark.parametrize("params", CASES)
@pytest.mark.parametrize("k", KS)
@pytest.mark.parametrize("denominator", DENOMINATORS)
def test_ties_index_equals_oracle(params, k, denominator):
    case = oracle.case(*params)
    expected = oracle.per_query_values(
        case.dist, case.shared, lambda rel, _: oracle.average_precision(rel, k, denominator)
    )
    got = mean_average_precision(*case.inputs, k=k, denominator=denominator, per_query=True)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    has_rel = oracle.has_relevant_items(case.shared)
    for no_relevant in ("zero", "exclude"):
        mean = mean_average_precision(*case.inputs, k=k, denominator=denominator, no_relevant=no_relevant)
        assert mean == pytest.approx(oracle.mean_with_exclusion(expected, has_rel, no_relevant), rel=1e-12)


def test_ties_index_is_the_classic_stable_sort_loop():
    """The classic loop (0.5 * (nbits - B_q B_db^T) on +-1 codes, stable argsort) gives the same MAP."""
    case = oracle.case(*CASES[1])
    signs_q = np.unpackbits(case.query_codes, axis=1).astype(np.float64) * 2 - 1
    signs_db = np.unpackbits(case.db_codes, axis=1).astype(np.float64) * 2 - 1
    aps = []
    for i in range(signs_q.shape[0]):
        hamming = 0.5 * (case.nbits - signs_db @ signs_q[i])
        relevant = (case.db_labels @ case.query_labels[i]) > 0
        ranked = relevant[np.argsort(hamming, kind="stable")]
        hits = np.cumsum(ranked)
        positions = np.arange(1, ranked.size + 1)
        aps.append((hits[ranked] / positions[ranked]).mean() if ranked.any() else 0.0)
    assert mean_average_precision(*case.inputs) == pytest.approx(np.mean(aps), rel=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_matches_sklearn_average_precision_on_untied_scores(seed):
    qc, dc, ql, dl, distances = oracle.untied_retrieval_data(seed, n_db=50)
    relevant = (dl @ ql[0]) > 0
    if not relevant.any():
        relevant[0] = True
        dl[0] = ql[0]
    expected = average_precision_score(relevant, -distances)
    for ties in ("index", "average"):
        assert mean_average_precision(qc, dc, ql, dl, ties=ties) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("k", [1, 5, 17, 40, None])
@pytest.mark.parametrize("denominator", DENOMINATORS)
def test_ties_average_equals_index_without_ties(seed, k, denominator):
    qc, dc, ql, dl, _ = oracle.untied_retrieval_data(seed, n_db=40)
    index = mean_average_precision(qc, dc, ql, dl, k=k, ties="index", denominator=denominator)
    average = mean_average_precision(qc, dc, ql, dl, k=k, ties="average", denominator=denominator)
    assert average == pytest.approx(index, rel=1e-12, abs=1e-15)


def test_hand_computed_toy():
    inputs = oracle.toy_retrieval_data()
    # query 0, ties by index: ranked relevance [0, 1, 0, 1, 0] -> AP = (1/2 + 2/4) / 2 = 1/2
    # query 1 has no label: AP 0, still counted.
    ap = mean_average_precision(*inputs, per_query=True)
    np.testing.assert_allclose(ap, [0.5, 0.0], rtol=1e-15)
    assert mean_average_precision(*inputs) == pytest.approx(0.25)
    assert mean_average_precision(*inputs, no_relevant="exclude") == pytest.approx(0.5)
    np.testing.assert_equal(mean_average_precision(*inputs, no_relevant="exclude", per_query=True), [0.5, np.nan])
    # ties averaged: the tie group at distance 1 is (relevant, irrelevant) in either order:
    # [0,1,0,1,0] -> 1/2 and [0,0,1,1,0] -> (1/3 + 2/4) / 2 = 5/12; mean 11/24.
    assert mean_average_precision(*inputs, ties="average", per_query=True)[0] == pytest.approx(11 / 24, rel=1e-14)
    # AP@1: the top item is irrelevant -> 0.  AP@2: one relevant hit at position 2.
    assert mean_average_precision(*inputs, k=1, per_query=True)[0] == 0.0
    assert mean_average_precision(*inputs, k=2, per_query=True)[0] == pytest.approx(0.5)
    assert mean_average_precision(*inputs, k=2, denominator="min_k_relevant", per_query=True)[0] == pytest.approx(
        0.25
    )
    # AP@2 averaged: the hit is at position 2 with probability 1/2.
    assert mean_average_precision(*inputs, k=2, ties="average", per_query=True)[0] == pytest.approx(0.25)
    assert mean_average_precision(
        *inputs, k=2, ties="average", denominator="min_k_relevant", per_query=True
    )[0] == pytest.approx(0.125)
    # k larger than the database = the whole database.
    assert mean_average_precision(*inputs, k=10**9) == mean_average_precision(*inputs, k=None)
    assert mean_average_precision(*inputs, k=5, ties="average") == pytest.approx(
        mean_average_precision(*inputs, ties="average"), rel=1e-15
    )


def test_all_irrelevant_queries_give_zero_or_nan():
    qc, dc, _, dl = oracle.toy_retrieval_data()
    no_labels = np.zeros((2, 2), dtype=np.uint8)
    for ties in ("index", "average"):
        assert mean_average_precision(qc, dc, no_labels, dl, ties=ties) == 0.0
        assert np.isnan(mean_average_precision(qc, dc, no_labels, dl, ties=ties, no_relevant="exclude"))


def test_every_item_relevant_gives_one():
    case = oracle.case(*CASES[0])
    ones_q = np.ones_like(case.query_labels)
    ones_db = np.ones_like(case.db_labels)
    for ties in ("index", "average"):
        for k in KS:
            assert mean_average_precision(case.query_codes, case.db_codes, ones_q, ones_db, k=k, ties=ties) == (
                pytest.approx(1.0, rel=1e-13)
            )


def test_query_chunking_does_not_change_results(monkeypatch):
    case = oracle.case(*CASES[0])
    expected = {
        ties: mean_average_precision(*case.inputs, k=5, ties=ties, per_query=True) for ties in ("index", "average")
    }
    monkeypatch.setattr(_inputs, "QUERY_CHUNK", 3)
    for ties, values in expected.items():
        np.testing.assert_array_equal(mean_average_precision(*case.inputs, k=5, ties=ties, per_query=True), values)


def test_bool_and_int_labels_agree():
    case = oracle.case(*CASES[0])
    as_bool = mean_average_precision(case.query_codes, case.db_codes, case.query_labels.astype(bool),
                                     case.db_labels.astype(bool))
    as_int64 = mean_average_precision(case.query_codes, case.db_codes, case.query_labels.astype(np.int64),
                                      case.db_labels.astype(np.int64))
    assert as_bool == as_int64 == mean_average_precision(*case.inputs)


def test_same_inputs_same_result_bit_for_bit():
    case = oracle.case(*CASES[1])
    for ties in ("index", "average"):
        a = mean_average_precision(*case.inputs, ties=ties, per_query=True)
        b = mean_average_precision(*case.inputs, ties=ties, per_query=True)
        np.testing.assert_array_equal(a, b)
