"""SCRATCH: rounds against the authors' updates on explicit matrices, an objective that never increases,
the learned codes B (also through the checkpoint), kernel hash functions, sparse text, MAP on synthetic."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hashx.codes import pack_codes
from hashx.exceptions import HashxValueError
from hashx.methods import SCRATCHSettings, configure
from hashx.methods._linalg import sign_pm
from hashx.train import load_learned_codes, train
from shallow_testing import build, codes, explicit_centered, fit_dense_and_sparse, fit_seeds, fit_steps, synthetic_maps
from ssah_testing import tiny_dataset, tiny_split

torch.set_num_threads(2)


def _kernel(x, anchors):
    """RBF features with the authors' bandwidth (2 x mean squared distance), by explicit differences."""
    sq = ((x[:, None, :] - anchors[None, :, :]) ** 2).sum(-1)
    return np.exp(-sq / (2 * sq.mean()))


def _authors_rounds(x, y, labels, v, r, *, lx, alpha, mu, gamma, rounds):
    """The authors' updates (items as columns, transposed back to rows) on explicit matrices."""
    x, y, labels, v, r = x.T, y.T, labels.T, v.T, r.T  # columns are items; the code's B ~ R V
    k = v.shape[0]
    ly = 1 - lx
    out = []
    for _ in range(rounds):
        b = np.where(r @ v >= 0, 1.0, -1.0)
        ux = lx * (x @ v.T) @ np.linalg.inv(lx * (v @ v.T) + gamma * np.eye(k))
        uy = ly * (y @ v.T) @ np.linalg.inv(ly * (v @ v.T) + gamma * np.eye(k))
        g = alpha * (labels @ v.T) @ np.linalg.inv(alpha * (v @ v.T) + gamma * np.eye(k))
        wx = mu * (v @ x.T) @ np.linalg.inv(mu * (x @ x.T) + gamma * np.eye(x.shape[0]))
        wy = mu * (v @ y.T) @ np.linalg.inv(mu * (y @ y.T) + gamma * np.eye(y.shape[0]))
        v = np.linalg.solve(lx * ux.T @ ux + ly * uy.T @ uy + alpha * g.T @ g + r.T @ r + (2 * mu + gamma) * np.eye(k),
                            lx * ux.T @ x + ly * uy.T @ y + mu * (wx @ x + wy @ y) + alpha * g.T @ labels + r.T @ b)
        s1, _, s2t = np.linalg.svd(b @ v.T)
        r = s1 @ s2t
        objective = (lx * np.sum((x - ux @ v) ** 2) + ly * np.sum((y - uy @ v) ** 2)
                     + alpha * np.sum((labels - g @ v) ** 2) + np.sum((b - r @ v) ** 2)
                     + mu * (np.sum((v - wx @ x) ** 2) + np.sum((v - wy @ y) ** 2))
                     + gamma * sum(np.sum(a ** 2) for a in (ux, uy, g, wx, wy, v)))
        out.append((objective / x.shape[1], b.T, (wx.T @ r.T)))
    return out


@pytest.mark.parametrize("n_anchors", [None, 10])
def test_rounds_match_the_authors_updates_on_explicit_matrices(n_anchors):
    method, data = build("scratch", iterations_per_epoch=1, n_anchors=n_anchors, seed=4)
    s = method.settings
    prepared = method.prepare(data)
    start = method.initialize(prepared, np.random.default_rng(4))  # what the first epoch draws
    x, y = data.image.numpy().astype(np.float64), data.text.numpy().astype(np.float64)
    if n_anchors is not None:
        x, y = _kernel(x, x[start["anchors_image"]]), _kernel(y, y[start["anchors_text"]])
    xc, yc = explicit_centered(x), explicit_centered(y)
    expected = _authors_rounds(xc, yc, data.labels.numpy().astype(np.float64), start["v"], start["rotation"],
                               lx=s.lambda_x, alpha=s.alpha, mu=s.mu, gamma=s.gamma, rounds=4)
    for epoch, (objective, b, hash_x) in enumerate(expected):
        logs = method.train_epoch(epoch, data)
        np.testing.assert_allclose(logs["objective"], objective, rtol=1e-7)
        np.testing.assert_array_equal(method.array("b"), b)
        np.testing.assert_allclose(method.array("wx") @ method.array("rotation"), hash_x, rtol=1e-6, atol=1e-9)
        np.testing.assert_array_equal(codes(method, data.image.numpy(), "image"), sign_pm(xc @ hash_x))


def test_objective_never_increases():
    method, data = build("scratch", max_iter=40, n_anchors=20)
    fit_steps(method, data)
    objectives = method.objectives
    assert len(objectives) == 40
    assert all(b <= a * (1 + 1e-12) for a, b in zip(objectives, objectives[1:]))
    assert objectives[-1] < objectives[0]


def test_learned_codes_are_b_and_reach_the_checkpoint(tmp_path):
    method, data = build("scratch", n_anchors=20)
    assert method.learned_codes() is None  # nothing learnt yet
    fit_steps(method, data)
    b = method.learned_codes()
    assert b.shape == (data.n, 16) and b.dtype == torch.float32
    assert set(torch.unique(b).tolist()) == {-1.0, 1.0}
    assert torch.equal(b, method.factors["b"].float())
    run, settings = configure("scratch", {"nbits": 16, "epochs": 1, "n_anchors": 20})
    ds, split = tiny_dataset(), tiny_split()
    result = train(ds, split, tmp_path, method=settings, run=run)
    learned = load_learned_codes(result.best_checkpoint)
    np.testing.assert_array_equal(learned.rows, split.fit)
    np.testing.assert_array_equal(learned.codes, pack_codes(b.numpy() > 0))


def test_anchors_are_capped_at_the_fit_items(caplog):
    method, data = build("scratch")  # 500 anchors asked, 52 fit items
    assert method.nets["image"].features.anchors.shape[0] == data.n
    assert "exceeds" in caplog.text
    fit_steps(method, data)
    assert np.unique(method.array("anchors_text")).size == data.n


def test_same_seed_same_fit_other_seed_other_fit():
    (a, b, c), _ = fit_seeds("scratch", 1, 1, 2, n_anchors=20)
    assert all(torch.equal(a.factors[k], b.factors[k]) for k in a.factors)
    assert not torch.equal(a.factors["b"], c.factors["b"])


def test_sparse_text_gives_the_codes_of_dense_text():
    a, b = fit_dense_and_sparse("scratch", n_anchors=20)
    assert b._prepared["raw"][1].format == "csr"
    torch.testing.assert_close(b.factors["v"], a.factors["v"], rtol=1e-6, atol=1e-9)
    assert torch.equal(a.factors["b"], b.factors["b"])


def test_settings_are_validated():
    with pytest.raises(HashxValueError, match="'lambda_x'"):
        SCRATCHSettings(lambda_x=-0.1)
    with pytest.raises(HashxValueError, match="'gamma'"):
        SCRATCHSettings(gamma=0.0)
    with pytest.raises(HashxValueError, match="'n_anchors'"):
        SCRATCHSettings(n_anchors=0)


@pytest.mark.slow
def test_map_well_above_chance_on_synthetic():
    i2t, t2i, chance = synthetic_maps("scratch")
    assert min(i2t, t2i) > chance + 0.1, (i2t, t2i, chance)
