"""CMFH: the feature-space rounds against the paper's updates on explicit matrices, an objective that never
increases, convergence, determinism, sparse text, MAP on the synthetic set."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hashx.exceptions import HashxValueError
from hashx.methods import CMFHSettings
from hashx.methods._linalg import sign_pm
from shallow_testing import (build, codes, explicit_centered, fit_dense_and_sparse, fit_seeds, fit_steps,
                             synthetic_maps)

torch.set_num_threads(2)


def _paper_rounds(x1, x2, v, p1, p2, *, lam, mu, gamma, rounds):
    """The paper's updates on explicit (n, d) matrices and an explicit (n, K) V; objectives and P's per round."""
    k = v.shape[1]
    out = []
    for _ in range(rounds):
        u1 = np.linalg.solve(v.T @ v + gamma / lam * np.eye(k), v.T @ x1)
        u2 = np.linalg.solve(v.T @ v + gamma / (1 - lam) * np.eye(k), v.T @ x2)
        m = lam * u1 @ u1.T + (1 - lam) * u2 @ u2.T + (2 * mu + gamma) * np.eye(k)
        v = (lam * x1 @ u1.T + (1 - lam) * x2 @ u2.T + mu * (x1 @ p1 + x2 @ p2)) @ np.linalg.inv(m)
        p1 = np.linalg.solve(x1.T @ x1 + gamma / mu * np.eye(x1.shape[1]), x1.T @ v)
        p2 = np.linalg.solve(x2.T @ x2 + gamma / mu * np.eye(x2.shape[1]), x2.T @ v)
        objective = (lam * np.sum((x1 - v @ u1) ** 2) + (1 - lam) * np.sum((x2 - v @ u2) ** 2)
                     + mu * (np.sum((v - x1 @ p1) ** 2) + np.sum((v - x2 @ p2) ** 2))
                     + gamma * sum(np.sum(a ** 2) for a in (u1, u2, p1, p2, v)))
        out.append((objective / x1.shape[0], p1, p2, v))
    return out


@pytest.mark.parametrize("lam", [0.5, 0.8])
def test_rounds_match_the_papers_updates_on_explicit_matrices(lam):
    method, data = build("cmfh", iterations_per_epoch=1, lam=lam, seed=2)
    s = method.settings
    start = method.initialize(method.prepare(data), np.random.default_rng(2))  # what the first epoch draws
    x1 = explicit_centered(data.image.numpy(), unit_norm=True)
    x2 = explicit_centered(data.text.numpy(), unit_norm=True)
    expected = _paper_rounds(x1, x2, start["v0"], start["p1"], start["p2"], lam=lam, mu=s.mu, gamma=s.gamma,
                             rounds=5)
    for epoch, (objective, p1, p2, v) in enumerate(expected):
        logs = method.train_epoch(epoch, data)
        np.testing.assert_allclose(logs["objective"], objective, rtol=1e-7)
        np.testing.assert_allclose(method.array("p1"), p1, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(method.array("p2"), p2, rtol=1e-6, atol=1e-9)
        # V is kept as X1 C1 + X2 C2
        np.testing.assert_allclose(x1 @ method.array("c1") + x2 @ method.array("c2"), v, rtol=1e-6, atol=1e-9)
    assert "v0" not in method.factors  # the n x K start is dropped after the first round


def test_objective_never_increases_and_the_run_stops_when_it_stalls():
    method, data = build("cmfh", tol=1e-3, max_iter=500)
    logs = fit_steps(method, data)
    objectives = method.objectives
    assert len(logs) == 1 and 2 < len(objectives) < 500
    assert all(b <= a * (1 + 1e-12) for a, b in zip(objectives, objectives[1:]))
    assert objectives[-2] - objectives[-1] <= 1e-3 * objectives[-2]
    assert all(a - b > 1e-3 * a for a, b in zip(objectives[:-2], objectives[1:-1]))  # it stopped at the first stall


def test_max_iter_bounds_the_rounds_and_iterations_per_epoch_splits_them():
    method, data = build("cmfh", max_iter=7, tol=0.0, iterations_per_epoch=3)
    logs = fit_steps(method, data)
    assert [entry["iterations"] for entry in logs] == [3.0, 6.0, 7.0]


def test_hash_functions_are_the_projections_of_the_centred_scaled_data():
    method, data = build("cmfh")
    fit_steps(method, data)
    for modality, x, p in (("image", data.image.numpy(), "p1"), ("text", data.text.numpy(), "p2")):
        expected = sign_pm(explicit_centered(x, unit_norm=True) @ method.array(p))
        np.testing.assert_array_equal(codes(method, x, modality), expected)


def test_same_seed_same_fit_other_seed_other_fit():
    (a, b, c), _ = fit_seeds("cmfh", 1, 1, 2)
    assert all(torch.equal(a.factors[k], b.factors[k]) for k in a.factors)
    assert not torch.equal(a.factors["p1"], c.factors["p1"])


def test_sparse_text_gives_the_codes_of_dense_text():
    a, b = fit_dense_and_sparse("cmfh")
    assert b._prepared["x"][1].sparse
    np.testing.assert_allclose(b.array("p2"), a.array("p2"), rtol=1e-6, atol=1e-9)


def test_settings_are_validated():
    with pytest.raises(HashxValueError, match="'lam'"):
        CMFHSettings(lam=1.5)
    with pytest.raises(HashxValueError, match="'mu'"):
        CMFHSettings(mu=0.0)
    with pytest.raises(HashxValueError, match="'tol'"):
        CMFHSettings(tol=-1.0)


@pytest.mark.slow
def test_map_well_above_chance_on_synthetic():
    i2t, t2i, chance = synthetic_maps("cmfh")
    assert min(i2t, t2i) > chance + 0.04, (i2t, t2i, chance)  # CMFH: about +0.06 (its projections overfit)
