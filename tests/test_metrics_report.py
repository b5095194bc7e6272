"""retrieval_report must agree with the individual metrics it gathers."""

import json

import numpy as np
import pytest

import hashx
from hashx.metrics import mean_average_precision, pr_curve, precision_at_k, precision_within_radius, retrieval_report


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    ql = (rng.random((30, 5)) < 0.3).astype(np.uint8)
    dl = (rng.random((200, 5)) < 0.3).astype(np.uint8)
    w = rng.normal(size=(5, 16))
    qc = hashx.pack_codes(hashx.binarize(ql @ w + rng.normal(size=(30, 16))))
    dc = hashx.pack_codes(hashx.binarize(dl @ w + rng.normal(size=(200, 16))))
    return qc, dc, ql, dl


@pytest.mark.parametrize("ties", ["index", "average"])
def test_report_equals_individual_metrics(data, ties):
    rep = retrieval_report(*data, ks=(5, 50, 500), ties=ties, radius=3, curve_ks=(1, 10))
    assert rep["map"] == mean_average_precision(*data, ties=ties)
    assert rep["map_at"][50] == mean_average_precision(*data, k=50, ties=ties)
    assert rep["precision_at"][5] == pytest.approx(precision_at_k(*data, 5, ties=ties), rel=1e-12)
    assert rep["precision_curve"]["precision"][1] == pytest.approx(precision_at_k(*data, 10, ties=ties), rel=1e-12)
    assert rep["precision_within_radius"] == precision_within_radius(*data, radius=3)
    p, r = pr_curve(*data)
    np.testing.assert_array_equal(rep["pr_curve"]["precision"], p)
    np.testing.assert_array_equal(rep["pr_curve"]["recall"], r)
    assert rep["pr_curve"]["radius"] == list(range(17))
    json.dumps(rep)  # JSON-ready


def test_report_validates_ks(data):
    with pytest.raises(ValueError, match="'ks' parameter of retrieval_report"):
        retrieval_report(*data, ks=(0,))
