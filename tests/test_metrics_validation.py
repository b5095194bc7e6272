"""Bad inputs to every metric raise a named-parameter error (never a silent cast or a wrong answer)."""

import numpy as np
import pytest

from hashx.exceptions import HashxError, HashxTypeError, HashxValueError
from hashx.metrics import (
    mean_average_precision,
    ndcg_at_k,
    pr_curve,
    precision_at_k,
    precision_within_radius,
    recall_at_k,
)

# Each metric with the extra positional arguments it needs.
METRICS = [
    (mean_average_precision, ()),
    (precision_at_k, ([1, 5],)),
    (recall_at_k, (5,)),
    (pr_curve, ()),
    (precision_within_radius, ()),
    (ndcg_at_k, (5,)),
]
IDS = [m.__name__ for m, _ in METRICS]


def _good():
    rng = np.random.default_rng(0)
    return (
        rng.integers(0, 256, (4, 2), dtype=np.uint8),
        rng.integers(0, 256, (9, 2), dtype=np.uint8),
        rng.integers(0, 2, (4, 3)),
        rng.integers(0, 2, (9, 3)),
    )


def _call(metric, extra, qc, dc, ql, dl, **kwargs):
    return metric(qc, dc, ql, dl, *extra, **kwargs)


@pytest.mark.parametrize("metric,extra", METRICS, ids=IDS)
def test_valid_inputs_work(metric, extra):
    _call(metric, extra, *_good())


@pytest.mark.parametrize("metric,extra", METRICS, ids=IDS)
@pytest.mark.parametrize(
    "position,bad,error,pattern",
    [
        (0, np.zeros((4, 2), dtype=np.int64), HashxTypeError, r"'query_codes' .*dtype uint8.*Got dtype int64"),
        (1, [[0, 1]] * 9, HashxTypeError, r"'db_codes' .*numpy.ndarray.*Got list"),
        (0, np.zeros((4, 2, 1), dtype=np.uint8), HashxValueError, r"'query_codes' .*shape \(n, nbits // 8\)"),
        (0, np.zeros((4, 0), dtype=np.uint8), HashxValueError, r"'query_codes' .*at least one byte"),
        (0, np.zeros((0, 2), dtype=np.uint8), HashxValueError, r"'query_codes' .*at least one code. Got 0 rows"),
        (1, np.zeros((0, 2), dtype=np.uint8), HashxValueError, r"'db_codes' .*at least one code. Got 0 rows"),
        (1, np.zeros((9, 3), dtype=np.uint8), HashxValueError, r"'db_codes' .*same code width.*16 bits.*Got 3 bytes"),
        (2, np.zeros((5, 3), dtype=np.uint8), HashxValueError,
         r"'query_codes' and 'query_labels' .*same number of rows"),
        (3, np.zeros((8, 3), dtype=np.uint8), HashxValueError, r"'db_codes' and 'db_labels' .*same number of rows"),
        (3, np.zeros((9, 4), dtype=np.uint8), HashxValueError, r"'db_labels' .*as many label columns.*\(3\). Got 4"),
        (2, np.full((4, 3), 2), HashxValueError, r"'query_labels' .*multi-hot \(only 0 and 1\)"),
        (3, np.full((9, 3), -1), HashxValueError, r"'db_labels' .*multi-hot"),
        (2, np.zeros((4, 3), dtype=np.float32), HashxTypeError, r"'query_labels' .*integer or bool dtype"),
        (3, np.zeros(9, dtype=np.uint8), HashxValueError, r"'db_labels' .*shape \(n, c\)"),
    ],
)
def test_bad_arrays_raise_named_errors(metric, extra, position, bad, error, pattern):
    args = list(_good())
    args[position] = bad
    with pytest.raises(error, match=pattern) as info:
        _call(metric, extra, *args)
    assert metric.__name__ in str(info.value)
    assert isinstance(info.value, HashxError)


@pytest.mark.parametrize("metric", [mean_average_precision, ndcg_at_k])
@pytest.mark.parametrize("k,error,pattern", [(0, HashxValueError, r"'k' .*int >= 1.*Got 0"),
                                             (-3, HashxValueError, r"'k' .*Got -3"),
                                             (2.5, HashxTypeError, r"'k' .*int >= 1 or None.*Got 2.5"),
                                             ("5", HashxTypeError, r"'k' .*Got '5'"),
                                             (True, HashxTypeError, r"'k' .*Got True")])
def test_bad_k(metric, k, error, pattern):
    qc, dc, ql, dl = _good()
    with pytest.raises(error, match=pattern):
        if metric is ndcg_at_k:
            metric(qc, dc, ql, dl, k)
        else:
            metric(qc, dc, ql, dl, k=k)


@pytest.mark.parametrize("metric", [precision_at_k, recall_at_k])
@pytest.mark.parametrize("ks,error,pattern", [(0, HashxValueError, r"'ks' .*int >= 1. Got 0"),
                                              ([5, 0], HashxValueError, r"'ks\[1\]' .*Got 0"),
                                              ([], HashxValueError, r"'ks' .*at least one k"),
                                              ([1.5], HashxTypeError, r"'ks\[0\]' .*Got 1.5"),
                                              ("5", HashxTypeError, r"'ks' .*Got str"),
                                              (np.ones((2, 2), dtype=int), HashxValueError, r"'ks' .*1-d"),
                                              (None, HashxTypeError, r"'ks' .*Got NoneType")])
def test_bad_ks(metric, ks, error, pattern):
    with pytest.raises(error, match=pattern):
        metric(*_good(), ks)


@pytest.mark.parametrize("metric,extra", [m for m in METRICS if m[0] not in (pr_curve, precision_within_radius)],
                         ids=[i for i in IDS if i not in ("pr_curve", "precision_within_radius")])
def test_bad_ties(metric, extra):
    with pytest.raises(HashxValueError, match=r"'ties' .*'index', 'average'. Got 'random'"):
        _call(metric, extra, *_good(), ties="random")


@pytest.mark.parametrize("metric,extra", METRICS, ids=IDS)
def test_bad_no_relevant(metric, extra):
    with pytest.raises(HashxValueError, match=r"'no_relevant' .*'zero', 'exclude'. Got 'skip'"):
        _call(metric, extra, *_good(), no_relevant="skip")


def test_bad_options():
    good = _good()
    with pytest.raises(HashxValueError, match=r"'denominator' .*'relevant_in_top_k', 'min_k_relevant'"):
        mean_average_precision(*good, k=3, denominator="R")
    with pytest.raises(HashxValueError, match=r"'gain' .*'exponential', 'linear'"):
        ndcg_at_k(*good, 3, gain="log")
    with pytest.raises(HashxValueError, match=r"'empty_retrieval' .*Got 'one'"):
        pr_curve(*good, empty_retrieval="one")
    with pytest.raises(HashxValueError, match=r"'radius' .*in \[0, 16\]. Got 17"):
        precision_within_radius(*good, radius=17)
    with pytest.raises(HashxValueError, match=r"'radius' .*Got -1"):
        precision_within_radius(*good, radius=-1)
    with pytest.raises(HashxTypeError, match=r"'radius' .*Got 2.0"):
        precision_within_radius(*good, radius=2.0)


def test_non_contiguous_and_bool_inputs_are_accepted():
    qc, dc, ql, dl = _good()
    wide = np.zeros((9, 4), dtype=np.uint8)
    wide[:, ::2] = dc
    view = wide[:, ::2]
    assert not view.flags.c_contiguous
    expected = mean_average_precision(qc, dc, ql, dl)
    assert mean_average_precision(qc, view, ql.astype(bool), dl.astype(np.int8)) == expected


def test_metrics_never_import_torch():
    import subprocess
    import sys

    code = ("import sys, numpy as np, hashx.metrics as m; "
            "q = np.zeros((2, 1), np.uint8); l = np.ones((2, 1), np.uint8); m.mean_average_precision(q, q, l, l); "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
