"""The one-scan report kernel against the single-metric kernels (bit for bit) and the explicit-loop oracle."""

import numpy as np
import pytest

import metrics_oracle as oracle
from hashx.metrics._histogram import precision_sums_index, ranked_relevance_counts_index, relevance_histograms
from hashx.metrics._inputs import prepare_retrieval
from hashx.metrics._report_scan import _record_with_branch, report_counts_index

# (seed, n_query, n_db, nbits, n_labels, p_label, bias): heavy ties at 8/16 bits, multi-word codes and labels.
CASES = [
    (20, 16, 300, 8, 6, 0.25, 0.3),
    (21, 16, 300, 16, 6, 0.25, 0.5),
    (22, 12, 200, 72, 70, 0.05, 0.3),
    (23, 10, 260, 200, 130, 0.03, 0.5),
]
# (MAP cut-offs, count cut-offs) as fractions of n_db, turned into ints in [1, n_db).
CUTS = [
    ((), ()),  # only the whole ranking
    ((0.004,), ()),  # k = 1
    ((0.01, 0.05), (0.004, 0.2, 0.01)),  # few items before the cut: the record is written with a branch
    ((0.1, 0.3, 0.6, 0.99), (0.5, 0.03, 0.99, 0.3)),  # many: the branch-free record
    ((), (0.7,)),  # counts only
]


def _cuts(fractions, n_db):
    return np.array([min(max(1, int(f * n_db)), n_db - 1) for f in fractions], dtype=np.int64)


def _kernel_args(params):
    case = oracle.case(*params)
    data = prepare_retrieval(*case.inputs, caller="test")
    return case, (data.query_words, data.db_words, data.query_masks, data.db_masks, data.nbits)


@pytest.mark.parametrize("params", CASES, ids=["8bits", "16bits", "72bits-70labels", "200bits-130labels"])
def test_equals_the_single_metric_kernels_bit_for_bit(params):
    case, args = _kernel_args(params)
    n_db = case.db_codes.shape[0]
    expected_hist = relevance_histograms(*args, 1)
    expected_all = precision_sums_index(*args, n_db, 1)
    paths = set()
    for map_fractions, count_fractions in CUTS:
        map_cuts = np.unique(_cuts(map_fractions, n_db))
        count_cuts = _cuts(count_fractions, n_db)
        k_max = int(max(map_cuts.max(initial=0), count_cuts.max(initial=0)))
        for n_chunks in (1, 5):
            all_hist, rel_hist, sum_all, sums, hits, counts = report_counts_index(*args, map_cuts, count_cuts,
                                                                                   n_chunks)
            np.testing.assert_array_equal(all_hist, expected_hist[0])
            np.testing.assert_array_equal(rel_hist, expected_hist[1])
            np.testing.assert_array_equal(sum_all, expected_all[0])
            for i, k in enumerate(map_cuts):
                expected_sum, expected_hits, _ = precision_sums_index(*args, k, 1)
                np.testing.assert_array_equal(sums[:, i], expected_sum, err_msg=f"k={k}")
                np.testing.assert_array_equal(hits[:, i], expected_hits, err_msg=f"k={k}")
            if count_cuts.size:
                np.testing.assert_array_equal(counts, ranked_relevance_counts_index(*args, count_cuts, 1)[0])
            assert counts.shape == (case.query_codes.shape[0], count_cuts.size)
        paths |= {bool(_record_with_branch(row, case.nbits, k_max, n_db)) for row in expected_hist[0]}
    assert paths == {True, False}  # both ways of writing the record were checked


def test_equals_the_oracle():
    params = CASES[0]
    case, args = _kernel_args(params)
    map_cuts = np.array([1, 5, 40, 299], dtype=np.int64)
    count_cuts = np.array([7, 1, 150], dtype=np.int64)
    _, _, sum_all, sums, hits, counts = report_counts_index(*args, map_cuts, count_cuts, 3)
    for qi in range(case.dist.shape[0]):
        ranked = [1 if case.shared[qi, j] > 0 else 0 for j in oracle.ranking_by_index(case.dist[qi])]
        total = sum(ranked)
        assert sum_all[qi] == pytest.approx(oracle.average_precision(ranked) * total, rel=1e-12)
        for i, k in enumerate(map_cuts):
            assert hits[qi, i] == oracle.relevant_in_top(ranked, k)
            assert sums[qi, i] == pytest.approx(oracle.average_precision(ranked, k) * hits[qi, i], rel=1e-12)
        for i, k in enumerate(count_cuts):
            assert counts[qi, i] == oracle.relevant_in_top(ranked, k)
