"""retrieval_report: equal to the individual metrics and to the slow oracle, from one validation and one scan."""

import json
import sys

import numpy as np
import pytest

import hashx
import metrics_oracle as oracle
from hashx.exceptions import HashxError, HashxTypeError, HashxValueError
from hashx.metrics import (
    mean_average_precision,
    pr_curve,
    precision_at_k,
    precision_within_radius,
    retrieval_report,
)
from hashx.metrics import _inputs

# (seed, n_query, n_db, nbits, n_labels, p_label, bias): codes crowded near zero (bias < 0.5) tie
# heavily; every fourth query has no label, so no relevant item.  nbits 8/16/32/64/128/200 cover one
# to four code words (200 bits: a partly used fourth word); 70 and 130 labels need two and three label words.
CASES = [
    (0, 24, 160, 8, 6, 0.25, 0.3),
    (1, 24, 160, 16, 6, 0.25, 0.2),
    (2, 20, 140, 32, 70, 0.05, 0.2),
    (3, 20, 140, 64, 9, 0.25, 0.15),
    (4, 16, 120, 128, 130, 0.03, 0.1),
    (5, 16, 120, 200, 5, 0.3, 0.1),
]
# Unsorted, duplicated, below and above the database size (k > n_db means the whole database).
KS = (50, 7, 1000, 7, 1, 160)
CURVE_KS = (20, 1, 500, 3, 20)
RADIUS = 3


def _separate(inputs, ks, curve_ks, ties, radius):
    """The report assembled from the individual public metrics (what retrieval_report computed before)."""
    precision, recall = pr_curve(*inputs)
    p_at = precision_at_k(*inputs, list(ks) + list(curve_ks), ties=ties)
    return {
        "map": mean_average_precision(*inputs, ties=ties),
        "map_at": {k: mean_average_precision(*inputs, k=k, ties=ties) for k in ks},
        "precision_at": {k: float(p) for k, p in zip(ks, p_at[: len(ks)])},
        "precision_within_radius": precision_within_radius(*inputs, radius=radius),
        "radius": radius,
        "ties": ties,
        "pr_curve": {"radius": list(range(len(precision))), "precision": list(precision), "recall": list(recall)},
        "precision_curve": {"k": list(curve_ks), "precision": list(p_at[len(ks):])},
    }


@pytest.mark.parametrize("params", CASES, ids=[f"{c[3]}bits-{c[4]}labels" for c in CASES])
@pytest.mark.parametrize("ties", ["index", "average"])
def test_report_equals_the_separate_metrics_float_for_float(params, ties):
    case = oracle.case(*params)
    assert any(not row.any() for row in case.shared)  # a query without any relevant item
    report = retrieval_report(*case.inputs, ks=KS, ties=ties, radius=RADIUS, curve_ks=CURVE_KS)
    expected = _separate(case.inputs, KS, CURVE_KS, ties, RADIUS)
    assert report == expected  # dict equality: every float identical, keys in the same order
    assert list(report["map_at"]) == [50, 7, 1000, 1, 160]
    # Each P@k also matches its own precision_at_k call (there the mean may round differently).
    for k, value in report["precision_at"].items():
        assert value == pytest.approx(precision_at_k(*case.inputs, k, ties=ties), rel=1e-12, abs=1e-15)
    for k, value in zip(CURVE_KS, report["precision_curve"]["precision"]):
        assert value == pytest.approx(precision_at_k(*case.inputs, k, ties=ties), rel=1e-12, abs=1e-15)
    json.dumps(report)


@pytest.mark.parametrize("params", CASES[:3] + CASES[5:], ids=["8bits", "16bits", "32bits-70labels", "200bits"])
def test_report_equals_the_oracle_with_ties_by_index(params):
    case = oracle.case(*params)
    report = retrieval_report(*case.inputs, ks=KS, radius=RADIUS, curve_ks=CURVE_KS)
    has = oracle.has_relevant_items(case.shared)

    def mean(metric):
        return oracle.mean_with_exclusion(oracle.per_query_values(case.dist, case.shared, metric), has, "zero")

    assert report["map"] == pytest.approx(mean(lambda rel, _: oracle.average_precision(rel)), rel=1e-12)
    for k in KS:
        assert report["map_at"][k] == pytest.approx(mean(lambda rel, _: oracle.average_precision(rel, k)), rel=1e-12)
        assert report["precision_at"][k] == pytest.approx(mean(lambda rel, _: oracle.precision_at(rel, k)),
                                                          rel=1e-12)
    for k, value in zip(CURVE_KS, report["precision_curve"]["precision"]):
        assert value == pytest.approx(mean(lambda rel, _: oracle.precision_at(rel, k)), rel=1e-12)
    precision, recall = oracle.pr_curve(case.dist, case.shared, case.nbits)
    np.testing.assert_allclose(report["pr_curve"]["precision"], precision, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(report["pr_curve"]["recall"], recall, rtol=1e-12, atol=1e-15)
    assert report["precision_within_radius"] == pytest.approx(precision[RADIUS], rel=1e-12)


def test_report_equals_the_mean_over_every_tie_ordering():
    """ties="average" on databases of 6 items, where every ordering of every tie group is enumerated."""
    for seed in (10, 11, 12):
        case = oracle.case(seed, 10, 6, 8, 3, 0.4, 0.15)
        assert max(oracle.n_tie_orderings(row) for row in case.dist) > 1
        ks, curve_ks = (4, 1, 9), (2, 3)
        report = retrieval_report(*case.inputs, ks=ks, ties="average", radius=1, curve_ks=curve_ks)
        has = oracle.has_relevant_items(case.shared)

        def mean(metric):
            values = oracle.per_query_values(case.dist, case.shared, metric, ties="average")
            return oracle.mean_with_exclusion(values, has, "zero")

        assert report["map"] == pytest.approx(mean(lambda rel, _: oracle.average_precision(rel)), rel=1e-12)
        for k in ks:
            assert report["map_at"][k] == pytest.approx(mean(lambda rel, _: oracle.average_precision(rel, k)),
                                                        rel=1e-12, abs=1e-15)
            assert report["precision_at"][k] == pytest.approx(mean(lambda rel, _: oracle.precision_at(rel, k)),
                                                              rel=1e-12, abs=1e-15)
        for k, value in zip(curve_ks, report["precision_curve"]["precision"]):
            assert value == pytest.approx(mean(lambda rel, _: oracle.precision_at(rel, k)), rel=1e-12, abs=1e-15)


def test_hand_computed_toy():
    # Ties by index, query 0 ranks items 1, 0, 3, 2, 4: relevance 0 1 0 1 0.
    report = retrieval_report(*oracle.toy_retrieval_data(), ks=(2, 1, 10), radius=1, curve_ks=(4,))
    assert report["map"] == pytest.approx((1 / 2 + 2 / 4) / 2 / 2)
    assert report["map_at"] == pytest.approx({2: (1 / 2) / 2, 1: 0.0, 10: 0.25})
    assert report["precision_at"] == pytest.approx({2: (1 / 2) / 2, 1: 0.0, 10: (2 / 5) / 2})
    assert report["precision_curve"] == {"k": [4], "precision": pytest.approx([(2 / 4) / 2])}
    assert report["precision_within_radius"] == pytest.approx((1 / 3) / 2)
    assert report["pr_curve"]["precision"] == pytest.approx([0, 1 / 6, 1 / 4] + [1 / 5] * 6)
    assert report["pr_curve"]["recall"] == pytest.approx([0, 1 / 4] + [1 / 2] * 7)
    # Ties averaged: the relevant item of the distance-1 pair is at position 2 or 3 with probability 1/2.
    report = retrieval_report(*oracle.toy_retrieval_data(), ks=(2,), ties="average", radius=1, curve_ks=())
    assert report["map"] == pytest.approx(((1 / 2 + 1 / 3) / 2 + 2 / 4) / 2 / 2)
    assert report["map_at"] == pytest.approx({2: (1 / 2) * (1 / 2) / 2})
    assert report["precision_at"] == pytest.approx({2: (1 / 2) / 2 / 2})
    assert report["precision_curve"] == {"k": [], "precision": []}


def _problem(seed=3, n_query=30, n_db=400, nbits=32):
    rng = np.random.default_rng(seed)
    ql = (rng.random((n_query, 5)) < 0.3).astype(np.uint8)
    dl = (rng.random((n_db, 5)) < 0.3).astype(np.uint8)
    w = rng.normal(size=(5, nbits))
    qc = hashx.pack_codes(hashx.binarize(ql @ w + rng.normal(size=(n_query, nbits))))
    dc = hashx.pack_codes(hashx.binarize(dl @ w + rng.normal(size=(n_db, nbits))))
    return qc, dc, ql, dl


@pytest.mark.parametrize("ties", ["index", "average"])
def test_every_cut_off_lands_on_its_own_k(ties):
    """No cut-off dropped, merged or swapped: unsorted and duplicated ks give each k its own value."""
    data = _problem()
    ks = (300, 10, 1, 40, 10, 999, 5)
    curve_ks = (25, 2, 300, 2, 60)
    report = retrieval_report(*data, ks=ks, ties=ties, curve_ks=curve_ks)
    assert list(report["map_at"]) == [300, 10, 1, 40, 999, 5]
    assert list(report["precision_at"]) == [300, 10, 1, 40, 999, 5]
    assert report["precision_curve"]["k"] == list(curve_ks)
    for k in ks:
        assert report["map_at"][k] == mean_average_precision(*data, k=k, ties=ties)
        assert report["precision_at"][k] == pytest.approx(precision_at_k(*data, k, ties=ties), rel=1e-12)
    for k, value in zip(curve_ks, report["precision_curve"]["precision"]):
        assert value == pytest.approx(precision_at_k(*data, k, ties=ties), rel=1e-12)
    # The values differ from k to k, so a swap or a shared value would show above.
    assert len({round(v, 12) for v in report["map_at"].values()}) == len(report["map_at"])
    assert len({round(v, 12) for v in report["precision_at"].values()}) == len(report["precision_at"])
    assert len({round(v, 12) for v in report["precision_curve"]["precision"]}) == len(set(curve_ks))
    # The same ks in another order give the same value for each k.
    other = retrieval_report(*data, ks=sorted(set(ks)), ties=ties, curve_ks=sorted(set(curve_ks)))
    assert other["map_at"] == report["map_at"]
    for k in set(ks):
        assert other["precision_at"][k] == pytest.approx(report["precision_at"][k], rel=1e-12)


def test_k_larger_than_the_database_is_the_whole_ranking():
    data = _problem(n_db=50)
    for ties in ("index", "average"):
        report = retrieval_report(*data, ks=(50, 51, 10**6), ties=ties, curve_ks=(10**9,))
        assert report["map_at"][51] == report["map_at"][10**6] == report["map_at"][50] == report["map"]
        assert report["precision_at"][10**6] == report["precision_curve"]["precision"][0]
        assert report["precision_at"][10**6] == pytest.approx(precision_at_k(*data, 50), rel=1e-12)


@pytest.mark.parametrize("n_db", [1, 2, 3])
@pytest.mark.parametrize("ties", ["index", "average"])
def test_tiny_databases(n_db, ties):
    """Every cut-off at or past the database size: the kernel gets no cut-off below the whole ranking."""
    inputs = oracle.random_retrieval_data(n_db, 5, n_db, 16, 3, 0.5, 0.3)
    report = retrieval_report(*inputs, ks=(1, 2, 50), ties=ties, curve_ks=(3, 1))
    assert report == _separate(inputs, (1, 2, 50), (3, 1), ties, 2)


# ----------------------------------------------------------------------------- one validation, one scan
SCAN_KERNELS = ("report_counts_index", "relevance_histograms", "precision_sums_index",
                "ranked_relevance_counts_index")


@pytest.fixture
def calls(monkeypatch):
    """Count every call to prepare_retrieval and to each scanning kernel, whichever module calls it.

    Returns a dict name -> list of the number of queries of each call (None for prepare_retrieval).
    """
    log = {name: [] for name in ("prepare_retrieval",) + SCAN_KERNELS}

    def counting(name, function):
        def wrapper(*args, **kwargs):
            log[name].append(None if name == "prepare_retrieval" else args[0].shape[0])
            return function(*args, **kwargs)
        return wrapper

    for module_name, module in list(sys.modules.items()):
        if module is None or not module_name.startswith("hashx.metrics"):
            continue
        for name in log:
            if hasattr(module, name):
                monkeypatch.setattr(module, name, counting(name, getattr(module, name)))
    return log


@pytest.mark.parametrize("ties,kernel", [("index", "report_counts_index"), ("average", "relevance_histograms")])
def test_report_validates_once_and_scans_once_per_query_chunk(calls, monkeypatch, ties, kernel):
    data = _problem(n_query=30)
    expected = retrieval_report(*data, ties=ties)
    for log in calls.values():
        log.clear()
    monkeypatch.setattr(_inputs, "QUERY_CHUNK", 8)  # 30 queries: chunks of 8, 8, 8, 6
    report = retrieval_report(*data, ties=ties)
    assert calls["prepare_retrieval"] == [None]
    assert calls[kernel] == [8, 8, 8, 6]
    assert all(calls[name] == [] for name in SCAN_KERNELS if name != kernel)
    # Chunking changes only the order of additions over queries.
    assert report["map_at"] == pytest.approx(expected["map_at"], rel=1e-12)
    assert report["pr_curve"]["precision"] == pytest.approx(expected["pr_curve"]["precision"], rel=1e-12)
    assert report["precision_curve"]["precision"] == pytest.approx(expected["precision_curve"]["precision"], rel=1e-12)


def test_the_counting_fixture_sees_the_separate_metrics(calls):
    """The fixture catches scans made through any metric module (so the test above can fail)."""
    data = _problem()
    _separate(data, (5, 50), (1,), "index", 2)
    assert len(calls["prepare_retrieval"]) == 6
    assert len(calls["precision_sums_index"]) == 3
    assert len(calls["ranked_relevance_counts_index"]) == 1
    assert len(calls["relevance_histograms"]) == 2


@pytest.mark.parametrize("ties", ["index", "average"])
def test_report_equals_the_separate_metrics_over_several_query_chunks(monkeypatch, ties):
    monkeypatch.setattr(_inputs, "QUERY_CHUNK", 7)
    case = oracle.case(*CASES[1])
    report = retrieval_report(*case.inputs, ks=KS, ties=ties, radius=RADIUS, curve_ks=CURVE_KS)
    assert report == _separate(case.inputs, KS, CURVE_KS, ties, RADIUS)


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "kwargs,error,pattern",
    [
        ({"ks": (0,)}, HashxValueError, r"'ks' parameter of retrieval_report must be an int >= 1. Got 0"),
        ({"ks": (5, 2.5)}, HashxTypeError, r"'ks' parameter of retrieval_report .*Got 2.5"),
        ({"ks": 5}, HashxTypeError, r"'ks' parameter of retrieval_report must be a sequence .*Got int"),
        ({"ks": "50"}, HashxTypeError, r"'ks' .*sequence of ints >= 1. Got str"),
        ({"curve_ks": (1, -2)}, HashxValueError, r"'curve_ks' parameter of retrieval_report .*Got -2"),
        ({"curve_ks": None}, HashxTypeError, r"'curve_ks' .*Got NoneType"),
        ({"ties": "random"}, HashxValueError, r"'ties' parameter of retrieval_report .*Got 'random'"),
        ({"radius": 17}, HashxValueError, r"'radius' parameter of retrieval_report .*in \[0, 16\]. Got 17"),
        ({"radius": 2.0}, HashxTypeError, r"'radius' .*Got 2.0"),
    ],
)
def test_bad_options_raise_named_errors(kwargs, error, pattern):
    data = _problem(nbits=16)
    with pytest.raises(error, match=pattern):
        retrieval_report(*data, **kwargs)


@pytest.mark.parametrize(
    "position,bad,error,pattern",
    [
        (0, np.zeros((30, 4), dtype=np.int64), HashxTypeError, r"'query_codes' .*retrieval_report.*dtype uint8"),
        (1, np.zeros((400, 3), dtype=np.uint8), HashxValueError, r"'db_codes' .*retrieval_report.*same code width"),
        (3, np.zeros((400, 6), dtype=np.uint8), HashxValueError, r"'db_labels' .*retrieval_report.*label columns"),
        (2, np.full((30, 5), 2), HashxValueError, r"'query_labels' .*retrieval_report.*multi-hot"),
    ],
)
def test_bad_arrays_raise_named_errors(position, bad, error, pattern):
    data = list(_problem())
    data[position] = bad
    with pytest.raises(error, match=pattern) as info:
        retrieval_report(*data)
    assert isinstance(info.value, HashxError)


def test_empty_cut_off_lists():
    report = retrieval_report(*_problem(), ks=(), curve_ks=())
    assert report["map_at"] == {} and report["precision_at"] == {}
    assert report["precision_curve"] == {"k": [], "precision": []}
    assert report["map"] == mean_average_precision(*_problem())
