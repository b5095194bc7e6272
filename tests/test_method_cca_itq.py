"""CCA-ITQ: the CCA embedding, the ITQ rotation (orthogonal, quantisation loss non-increasing), determinism,
sparse text, more bits than canonical pairs, MAP on the synthetic set."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hashx.exceptions import HashxValueError
from hashx.methods import CCAITQSettings
from hashx.methods._linalg import cca, sign_pm
from shallow_testing import (build, codes, explicit_centered, fit_dense_and_sparse, fit_seeds, fit_steps,
                             synthetic_maps)

torch.set_num_threads(2)


def test_fit_is_the_cca_embedding_then_an_orthogonal_rotation():
    method, data = build("cca-itq")
    fit_steps(method, data)
    x, y = data.image.numpy(), data.text.numpy()
    xc, yc = explicit_centered(x), explicit_centered(y)
    k = 16
    wx, wy, rho = cca(xc.T @ xc, yc.T @ yc, xc.T @ yc, k, reg=CCAITQSettings().reg)
    np.testing.assert_allclose(method.array("wx"), wx * rho ** 2, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(method.array("wy"), wy * rho ** 2, rtol=1e-8, atol=1e-12)
    r = method.array("rotation")
    np.testing.assert_allclose(r.T @ r, np.eye(k), atol=1e-10)
    # the exported hash functions are sign((x - mean) Wx R)
    np.testing.assert_array_equal(codes(method, x, "image"), sign_pm(xc @ method.array("wx") @ r))
    np.testing.assert_array_equal(codes(method, y, "text"), sign_pm(yc @ method.array("wy") @ r))


def test_itq_loss_never_increases_and_each_rotation_is_orthogonal():
    method, data = build("cca-itq", iterations_per_epoch=1, max_iter=30)
    v = None
    losses = []
    for epoch in range(30):
        before = method.array("rotation").copy() if method.factors else None
        logs = method.train_epoch(epoch, data)
        v = method.embedding(method._prepared)
        r = method.array("rotation")
        np.testing.assert_allclose(r.T @ r, np.eye(16), atol=1e-10)
        if before is not None:
            b = sign_pm(v @ before)
            # the logged loss is the mean of |B - V R|^2 with B = sign(V R_before): recomputed by hand
            np.testing.assert_allclose(logs["objective"], np.mean((b - v @ r) ** 2), rtol=1e-12)
            # B = sign(V R) is the best binary matrix for R, and the new R the best rotation for B
            assert np.mean((b - v @ r) ** 2) <= np.mean((b - v @ before) ** 2) + 1e-12
        losses.append(logs["objective"])
        if method.converged():
            break
    assert len(losses) >= 3
    assert all(b <= a + 1e-12 for a, b in zip(losses, losses[1:]))


def test_more_bits_than_canonical_pairs_pads_with_zeros_and_still_uses_every_bit():
    method, data = build("cca-itq", nbits=32)  # text is 12-d: at most 12 canonical pairs
    fit_steps(method, data)
    rho = method.array("rho")
    xc, yc = explicit_centered(data.image.numpy()), explicit_centered(data.text.numpy())
    r = np.linalg.matrix_rank(xc.T @ yc)  # <= 12, less if a tag never varies over the fit items
    assert r <= 12 and np.all(rho[:r] > 0) and np.all(rho[r:] == 0)
    assert np.all(method.array("wx")[:, r:] == 0)
    bits = codes(method, data.image.numpy(), "image")
    assert np.all(np.abs(bits.mean(axis=0)) < 1)  # no bit is constant over the fit items


def test_same_seed_same_fit_other_seed_other_rotation():
    (a, b, c), _ = fit_seeds("cca-itq", 3, 3, 4)
    assert torch.equal(a.factors["rotation"], b.factors["rotation"])
    assert not torch.equal(a.factors["rotation"], c.factors["rotation"])
    assert torch.equal(a.factors["wx"], c.factors["wx"])  # CCA itself is deterministic


def test_sparse_text_gives_the_codes_of_dense_text():
    a, b = fit_dense_and_sparse("cca-itq")
    assert b._prepared["y"].sparse and not a._prepared["y"].sparse
    np.testing.assert_allclose(b.array("wy"), a.array("wy"), rtol=1e-7, atol=1e-10)


def test_settings_are_validated():
    with pytest.raises(HashxValueError, match="'reg'"):
        CCAITQSettings(reg=-1.0)
    with pytest.raises(HashxValueError, match="'max_iter'"):
        CCAITQSettings(max_iter=0)
    with pytest.raises(HashxValueError, match="'iterations_per_epoch'"):
        CCAITQSettings(iterations_per_epoch=0)


@pytest.mark.slow
def test_map_well_above_chance_on_synthetic():
    i2t, t2i, chance = synthetic_maps("cca-itq")
    assert min(i2t, t2i) > chance + 0.08, (i2t, t2i, chance)
