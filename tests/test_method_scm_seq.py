"""SCM-seq: the factored bit-by-bit solution against a dense computation with the explicit n x n similarity,
the similarity error without S, a closed form (one step), sparse text, MAP on the synthetic set."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla
import torch

from hashx.exceptions import HashxValueError
from hashx.methods import SCMSeqSettings
from hashx.methods._centered import CenteredRows
from hashx.methods._linalg import sign_pm
from hashx.methods.scm_seq import normalized_labels, scm_sequential, similarity_error
from shallow_testing import build, codes, explicit_centered, fit_dense_and_sparse, fit_seeds, fit_steps, synthetic_maps
from ssah_testing import tiny_dataset, tiny_split

torch.set_num_threads(2)


def test_normalized_labels_by_hand():
    labels = np.array([[1, 1, 0], [0, 0, 0], [0, 3, 0]])
    expected = [[2 ** -0.5, 2 ** -0.5, 0], [0, 0, 0], [0, 1, 0]]
    np.testing.assert_allclose(normalized_labels(labels), expected)


def _dense_scm_seq(x, y, labels, nbits, reg):
    """SCM-seq with the explicit n x n similarity and a dense generalised eigensolver, bit after bit."""
    n, dx = x.shape
    dy = y.shape[1]
    lab = normalized_labels(labels)
    s = nbits * (2 * lab @ lab.T - np.ones((n, n)))  # K S, the first residual
    cxx = x.T @ x + reg * np.trace(x.T @ x) / dx * np.eye(dx)
    cyy = y.T @ y + reg * np.trace(y.T @ y) / dy * np.eye(dy)
    wxs, wys, sigmas = [], [], []
    for _ in range(nbits):
        c = x.T @ s @ y
        a = np.block([[np.zeros((dx, dx)), c], [c.T, np.zeros((dy, dy))]])
        vals, vecs = sla.eigh(a, sla.block_diag(cxx, cyy))
        w = vecs[:, -1]
        wx, wy = w[:dx], w[dx:]
        wx, wy = wx / np.sqrt(wx @ cxx @ wx), wy / np.sqrt(wy @ cyy @ wy)  # the constraints
        wxs.append(wx)
        wys.append(wy)
        sigmas.append(vals[-1])
        s = s - np.outer(sign_pm(x @ wx), sign_pm(y @ wy))
    return np.array(wxs).T, np.array(wys).T, np.array(sigmas)


@pytest.mark.parametrize("nbits", [8, 16])
def test_factored_steps_match_the_dense_n_by_n_computation(nbits):
    ds, split = tiny_dataset(n=80, image_dim=9, text_dim=7, seed=3), tiny_split(n=80)
    rows = split.fit
    x, y, labels = ds.image[rows], ds.text[rows], ds.labels[rows]
    xc, yc = explicit_centered(x), explicit_centered(y)
    reg = 1e-3
    wx, wy, sigma = scm_sequential(CenteredRows(x), CenteredRows(y), normalized_labels(labels), nbits, reg=reg)
    dwx, dwy, dsigma = _dense_scm_seq(xc, yc, labels, nbits, reg)
    np.testing.assert_allclose(sigma, dsigma, rtol=1e-7)
    for t in range(nbits):  # the same pair up to a common sign (the eigenvector's orientation is arbitrary)
        sign = np.sign(wx[:, t] @ dwx[:, t])
        np.testing.assert_allclose(wx[:, t], sign * dwx[:, t], rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(wy[:, t], sign * dwy[:, t], rtol=1e-6, atol=1e-9)


def test_similarity_error_matches_the_explicit_matrix():
    rng = np.random.default_rng(0)
    labels = (rng.random((30, 4)) < 0.4).astype(float)
    labels[0] = 0  # an unlabelled item
    lab = normalized_labels(labels)
    bx, by = sign_pm(rng.standard_normal((30, 8))), sign_pm(rng.standard_normal((30, 8)))
    s = 2 * lab @ lab.T - 1
    expected = np.sum((8 * s - bx @ by.T) ** 2) / 30 ** 2
    np.testing.assert_allclose(similarity_error(bx, by, lab), expected, rtol=1e-12)


def test_one_closed_form_step_then_converged():
    method, data = build("scm-seq")
    assert not method.converged()
    logs = fit_steps(method, data)
    assert len(logs) == 1 and method.iteration == 1 and method.converged()
    # the logged objective is the fit codes' similarity error
    x, y = data.image.numpy(), data.text.numpy()
    bx, by = codes(method, x, "image"), codes(method, y, "text")
    labels = normalized_labels(data.labels.numpy())
    np.testing.assert_allclose(logs[0]["objective"], similarity_error(bx, by, labels), rtol=1e-12)
    np.testing.assert_array_equal(bx, sign_pm(explicit_centered(x) @ method.array("wx")))
    # the learnt bits explain the similarity better than no codes at all (|K S|^2 / n^2)
    assert logs[0]["objective"] < similarity_error(np.zeros_like(bx), np.zeros_like(by), labels)


def test_the_seed_does_not_matter_to_a_closed_form():
    (a, b), _ = fit_seeds("scm-seq", 0, 7)
    assert torch.equal(a.factors["wx"], b.factors["wx"]) and torch.equal(a.factors["wy"], b.factors["wy"])


def test_sparse_text_gives_the_codes_of_dense_text():
    a, b = fit_dense_and_sparse("scm-seq")
    assert b._prepared["y"].sparse
    np.testing.assert_allclose(b.array("wy"), a.array("wy"), rtol=1e-6, atol=1e-9)


def test_settings_are_validated():
    with pytest.raises(HashxValueError, match="'reg'"):
        SCMSeqSettings(reg=float("nan"))
    with pytest.raises(HashxValueError, match="'blas_threads'"):
        SCMSeqSettings(blas_threads=0)


@pytest.mark.slow
def test_map_well_above_chance_on_synthetic():
    i2t, t2i, chance = synthetic_maps("scm-seq")
    assert min(i2t, t2i) > chance + 0.08, (i2t, t2i, chance)
