"""ties="average": the closed forms against every tie ordering (tiny cases) and Monte Carlo (larger ones)."""

import math

import numpy as np
import pytest
from scipy.stats import hypergeom

import metrics_oracle as oracle
from hashx.metrics import mean_average_precision, ndcg_at_k, precision_at_k, recall_at_k
from hashx.metrics._tie_average import _hypergeometric_expectation, _sum_a_b, harmonic_diff

DENOMINATORS = ["relevant_in_top_k", "min_k_relevant"]
# Tiny databases (6 items, codes crowded near zero) so every ordering of every tie group can be enumerated.
TINY = [(seed, 10, 6, 8, 3, 0.4, 0.15) for seed in (10, 11, 12)]
TINY_KS = [1, 2, 3, 4, 5, None]


def _tiny_cases():
    for params in TINY:
        case = oracle.case(*params)
        n_orderings = max(oracle.n_tie_orderings(case.dist[i]) for i in range(case.dist.shape[0]))
        assert 1 < n_orderings <= 720  # there are ties, and enumeration stays cheap
        yield case


@pytest.mark.parametrize("denominator", DENOMINATORS)
def test_map_equals_mean_over_every_tie_ordering(denominator):
    for case in _tiny_cases():
        for k in TINY_KS:
            expected = oracle.per_query_values(
                case.dist, case.shared, lambda rel, _: oracle.average_precision(rel, k, denominator), ties="average"
            )
            got = mean_average_precision(*case.inputs, k=k, ties="average", denominator=denominator, per_query=True)
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15, err_msg=f"k={k}")


def test_precision_recall_ndcg_equal_mean_over_every_tie_ordering():
    for case in _tiny_cases():
        ks = [1, 2, 3, 4, 5, 6]
        got_p = precision_at_k(*case.inputs, ks, ties="average", per_query=True)
        got_r = recall_at_k(*case.inputs, ks, ties="average", per_query=True)
        for i, k in enumerate(ks):
            exp_p = oracle.per_query_values(case.dist, case.shared, lambda rel, _: oracle.precision_at(rel, k),
                                            "average")
            exp_r = oracle.per_query_values(case.dist, case.shared, lambda rel, _: oracle.recall_at(rel, k),
                                            "average")
            np.testing.assert_allclose(got_p[:, i], exp_p, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(got_r[:, i], exp_r, rtol=1e-12, atol=1e-15)
        for k in (1, 3, None):
            for gain in ("exponential", "linear"):
                cut = 10**9 if k is None else k
                expected = oracle.per_query_values(
                    case.dist, case.shared, lambda _, grades: oracle.ndcg(grades, cut, gain), "average"
                )
                got = ndcg_at_k(*case.inputs, k, ties="average", gain=gain, per_query=True)
                np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------------------- Monte Carlo
def _random_tie_rankings(dist_row, rel_row, n_orderings, rng):
    """(n_orderings, n_db) relevance in ranked order, ties broken by independent uniform keys."""
    keys = dist_row[None, :] + rng.random((n_orderings, dist_row.size))  # integer distances: order kept
    return rel_row[np.argsort(keys, axis=1)]


def _ap_of_rankings(ranked, k, denominator):
    """AP@k of every row of a (T, n) 0/1 ranked-relevance matrix (vectorised oracle.average_precision)."""
    cut = ranked.shape[1] if k is None else min(k, ranked.shape[1])
    top = ranked[:, :cut].astype(np.float64)
    hits = np.cumsum(top, axis=1)
    precision_sum = (top * hits / np.arange(1, cut + 1)).sum(axis=1)
    if denominator == "relevant_in_top_k":
        denom = hits[:, -1]
    else:
        denom = np.full(ranked.shape[0], float(min(cut, ranked[0].sum())))
    return np.divide(precision_sum, denom, out=np.zeros_like(precision_sum), where=denom > 0)


def _wrong_ap_all_self_included(dist_row, rel_row):
    """A plausible mistake: the hypergeometric mean r/n instead of (r-1)/(n-1) for the other relevant items."""
    s = 0.0
    n0 = r0 = 0
    for d in np.unique(dist_row):
        n = int((dist_row == d).sum())
        r = int(rel_row[dist_row == d].sum())
        for j in range(1, n + 1):
            s += r / n * (r0 + 1 + (j - 1) * r / n) / (n0 + j)
        n0 += n
        r0 += r
    return s / r0 if r0 else 0.0


MC_SETS = [
    # (seed, n_query, n_db, nbits, n_labels, p_label, bias, orderings): groups of ~5-25 items
    (20, 8, 60, 8, 5, 0.2, 0.5, 2000),
    # groups of several hundred items: exercises the asymptotic harmonic sums (> 512 terms)
    (21, 3, 2500, 8, 8, 0.15, 0.5, 600),
]


@pytest.mark.parametrize("params", MC_SETS)
def test_map_equals_monte_carlo_mean_over_tie_orderings(params):
    *case_params, n_orderings = params
    case = oracle.case(*case_params)
    rng = np.random.default_rng(1234)
    n_db = case.dist.shape[1]
    ks = [1, 5, 50, None] if n_db < 100 else [1, 50, 700, 1500, None]
    z_correct, z_self_included, z_ratio_of_means = [], [], []
    for i in range(case.dist.shape[0]):
        rel_row = (case.shared[i] > 0).astype(np.int64)
        ranked = _random_tie_rankings(case.dist[i], rel_row, n_orderings, rng)
        # the vectorised AP used for the simulation agrees with the explicit-loop oracle
        for t in range(3):
            assert _ap_of_rankings(ranked[t : t + 1], 5, "relevant_in_top_k")[0] == pytest.approx(
                oracle.average_precision(list(ranked[t]), 5), rel=1e-12
            )
        for k in ks:
            for denominator in DENOMINATORS:
                samples = _ap_of_rankings(ranked, k, denominator)
                mean, se = samples.mean(), samples.std(ddof=1) / math.sqrt(n_orderings)
                exact = mean_average_precision(
                    case.query_codes[i : i + 1], case.db_codes, case.query_labels[i : i + 1], case.db_labels,
                    k=k, ties="average", denominator=denominator,
                )
                z_correct.append(abs(exact - mean) / max(se, 1e-12))
                if k is None and denominator == DENOMINATORS[0]:
                    wrong = _wrong_ap_all_self_included(case.dist[i], rel_row)
                    z_self_included.append(abs(wrong - mean) / max(se, 1e-12))
                if k is not None and k < n_db and denominator == "relevant_in_top_k":
                    # Another mistake: E[precision sum] / E[relevant in top k] instead of E[ratio].
                    args = (case.query_codes[i : i + 1], case.db_codes, case.query_labels[i : i + 1], case.db_labels)
                    e_sum = mean_average_precision(*args, k=k, ties="average", denominator="min_k_relevant") * min(
                        k, rel_row.sum()
                    )
                    e_hits = precision_at_k(*args, k, ties="average") * k
                    wrong = e_sum / e_hits if e_hits > 0 else 0.0
                    z_ratio_of_means.append(abs(wrong - mean) / max(se, 1e-12))
    # 5 standard errors: a false alarm has probability ~6e-7 per comparison (and the seed is fixed).
    assert max(z_correct) < 5.0, max(z_correct)
    # The test has power: each wrong variant is rejected somewhere.
    assert max(z_self_included) > 5.0, max(z_self_included)
    if n_db < 100:
        assert max(z_ratio_of_means) > 5.0, max(z_ratio_of_means)


# ----------------------------------------------------------------------------- numerics of the closed form
@pytest.mark.parametrize("a,b", [(0, 0), (0, 1), (3, 400), (0, 600), (100, 5000), (511, 513), (600, 1200),
                                 (10**5, 10**5 + 700), (10**6, 3 * 10**6), (7, 10**6)])
def test_harmonic_diff_matches_exact_sum(a, b):
    exact = math.fsum(1.0 / i for i in range(a + 1, b + 1))
    assert harmonic_diff(a, b) == pytest.approx(exact, rel=1e-14, abs=0.0)


@pytest.mark.parametrize("n0,m", [(0, 1), (0, 513), (40, 2000), (10**5, 600), (10**5, 3 * 10**4)])
def test_tie_group_sums_match_exact_sums(n0, m):
    a, b = _sum_a_b(n0, m)
    assert a == pytest.approx(math.fsum(1.0 / (n0 + j) for j in range(1, m + 1)), rel=1e-14)
    assert b == pytest.approx(math.fsum((j - 1) / (n0 + j) for j in range(1, m + 1)), rel=1e-11)


@pytest.mark.parametrize("n,r,m", [(10, 3, 4), (50, 49, 10), (2000, 300, 1500), (60000, 20000, 30000), (7, 0, 3)])
def test_hypergeometric_expectation_matches_scipy_pmf(n, r, m):
    r0, s_before, a, b = 3, 1.7, 0.01, 0.2
    dist = hypergeom(n, r, m)
    # the support, cut to mean +- 40 sd (the mass outside is far below 1e-300)
    mean = m * r / n
    spread = 40 * math.sqrt(mean * (1 - r / n) * (n - m) / max(n - 1, 1)) + 2
    xs = np.arange(max(0, m - (n - r), math.floor(mean - spread)), min(r, m, math.ceil(mean + spread)) + 1)
    pmf = dist.pmf(xs)

    def term(x):
        cut = (r0 + 1) * a + ((x - 1) / (m - 1) * b if m > 1 and x > 1 else 0.0)
        return (s_before + x / m * cut) / (r0 + x)

    expected = math.fsum(p * term(x) for p, x in zip(pmf, xs))
    assert _hypergeometric_expectation(n, r, m, r0, s_before, a, b) == pytest.approx(expected, rel=1e-11)
