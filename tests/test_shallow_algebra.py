"""The shallow methods' algebra: CenteredRows (dense, chunked, sparse) and the linear-algebra helpers,
each against a dense, obviously correct computation."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp

from hashx.exceptions import HashxValueError
from hashx.methods import _centered
from hashx.methods._centered import CenteredRows
from hashx.methods._linalg import cca, procrustes_rotation, regularized_cholesky, sign_pm, top_singular_pair
from shallow_testing import explicit_centered


def _data(seed=0, n=37, dx=7, dy=5):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((n, dx)) * [1, 2, 3, 0.5, 10, 1, 1][:dx] + 5).astype(np.float32)
    y = ((rng.random((n, dy)) < 0.3) * rng.integers(1, 4, (n, dy))).astype(np.float32)
    return x, y


@pytest.fixture(params=["copy", "chunked"])
def storage(request, monkeypatch):
    """Dense matrices held as one float64 copy, or read in chunks of 8 rows."""
    if request.param == "chunked":
        monkeypatch.setattr(_centered, "COPY_LIMIT_BYTES", 0)
        monkeypatch.setattr(_centered, "_CHUNK", 8)
    return request.param


@pytest.mark.parametrize("unit_norm", [False, True])
@pytest.mark.parametrize("sparse_y", [False, True])
def test_centered_rows_match_the_explicit_matrix(storage, unit_norm, sparse_y):
    x, y = _data()
    xr = CenteredRows(x, unit_norm=unit_norm)
    yr = CenteredRows(sp.csr_matrix(y) if sparse_y else y, unit_norm=unit_norm)
    xc, yc = explicit_centered(x, unit_norm=unit_norm), explicit_centered(y, unit_norm=unit_norm)
    assert yr.sparse == sparse_y
    rng = np.random.default_rng(1)
    m, wx, wy = rng.standard_normal((37, 3)), rng.standard_normal((7, 3)), rng.standard_normal((5, 3))
    np.testing.assert_allclose(xr.gram(), xc.T @ xc, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(yr.gram(), yc.T @ yc, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(xr.cross(yr), xc.T @ yc, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(yr.cross(xr), yc.T @ xc, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(xr.t_dot(m), xc.T @ m, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(yr.t_dot(m), yc.T @ m, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(xr.dot(wx), xc @ wx, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(yr.dot(wy), yc @ wy, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(xr.sq_norm(), np.sum(xc ** 2), rtol=1e-10)
    np.testing.assert_allclose(yr.sq_norm(), np.sum(yc ** 2), rtol=1e-10)
    if unit_norm:
        np.testing.assert_allclose(yr.sq_norm(), 37.0, rtol=1e-10)
    # the hash parameters reproduce the centred projection on raw rows
    weight, bias = yr.hash_params(wy)
    np.testing.assert_allclose(y.astype(np.float64) @ weight + bias, yc @ wy, rtol=1e-10, atol=1e-9)


def test_sparse_rows_stay_sparse_and_both_sparse_cross():
    _, y = _data()
    a, b = CenteredRows(sp.csr_matrix(y)), CenteredRows(sp.csc_matrix(y[:, ::-1]))
    assert sp.issparse(a.x) and sp.issparse(b.x)
    ya, yb = explicit_centered(y), explicit_centered(y[:, ::-1])
    np.testing.assert_allclose(a.cross(b), ya.T @ yb, rtol=1e-10, atol=1e-9)


def test_nan_or_inf_data_is_rejected():
    x, _ = _data()
    x[3, 2] = np.nan
    with pytest.raises(HashxValueError, match="NaN or Inf"):
        CenteredRows(x)
    y = sp.csr_matrix(np.eye(4))
    y.data[0] = np.inf
    with pytest.raises(HashxValueError, match="NaN or Inf"):
        CenteredRows(y)


def test_regularized_cholesky_adds_a_relative_ridge():
    g = np.diag([4.0, 2.0, 0.0])
    low = regularized_cholesky(g, 0.5)
    np.testing.assert_allclose(low @ low.T, g + 0.5 * 2.0 * np.eye(3))  # mean diagonal 2
    np.testing.assert_allclose(regularized_cholesky(np.zeros((2, 2)), 0.1) ** 2, 0.1 * np.eye(2))


@pytest.mark.parametrize("dx,dy,k", [(7, 5, 3), (5, 7, 5), (7, 5, 9)])
def test_cca_matches_the_generalised_eigenproblem(dx, dy, k):
    x, y = _data(seed=dx, n=60, dx=dx, dy=dy)
    xc, yc = explicit_centered(x), explicit_centered(y)
    gxx, gyy, gxy = xc.T @ xc, yc.T @ yc, xc.T @ yc
    reg = 1e-3
    wx, wy, rho = cca(gxx, gyy, gxy, k, reg=reg)
    cxx = gxx + reg * np.trace(gxx) / dx * np.eye(dx)
    cyy = gyy + reg * np.trace(gyy) / dy * np.eye(dy)
    # brute force: [[0, Gxy], [Gyx, 0]] w = lambda blockdiag(Cxx, Cyy) w; the eigenvalues are +-rho
    a = np.block([[np.zeros((dx, dx)), gxy], [gxy.T, np.zeros((dy, dy))]])
    vals = sla.eigh(a, sla.block_diag(cxx, cyy), eigvals_only=True)[::-1]
    r = min(dx, dy, k)
    np.testing.assert_allclose(rho[:r], vals[:r], rtol=1e-8)
    assert np.all(rho[r:] == 0) and np.all(wx[:, r:] == 0) and np.all(wy[:, r:] == 0)  # K > r: zero padding
    np.testing.assert_allclose(wx[:, :r].T @ cxx @ wx[:, :r], np.eye(r), atol=1e-8)
    np.testing.assert_allclose(wy[:, :r].T @ cyy @ wy[:, :r], np.eye(r), atol=1e-8)
    np.testing.assert_allclose(wx[:, :r].T @ gxy @ wy[:, :r], np.diag(rho[:r]), atol=1e-8)


def test_procrustes_rotation_beats_every_rotation_on_a_grid():
    rng = np.random.default_rng(3)
    v = rng.standard_normal((50, 2))
    b = sign_pm(v @ np.array([[0.6, -0.8], [0.8, 0.6]]) + 0.3 * rng.standard_normal((50, 2)))
    r = procrustes_rotation(v, b)
    np.testing.assert_allclose(r.T @ r, np.eye(2), atol=1e-12)
    best = np.sum((b - v @ r) ** 2)
    for theta in np.linspace(0, 2 * np.pi, 721):
        c, s = np.cos(theta), np.sin(theta)
        for rot in (np.array([[c, -s], [s, c]]), np.array([[c, s], [s, -c]])):  # rotations and reflections
            assert best <= np.sum((b - v @ rot) ** 2) + 1e-9


def test_top_singular_pair_of_a_low_rank_product():
    rng = np.random.default_rng(4)
    p, q = rng.standard_normal((9, 4)), rng.standard_normal((6, 4))
    u, v, sigma = top_singular_pair(p, q)
    uu, ss, vvt = np.linalg.svd(p @ q.T)
    np.testing.assert_allclose(sigma, ss[0], rtol=1e-12)
    np.testing.assert_allclose(np.outer(u, v), np.outer(uu[:, 0], vvt[0]), atol=1e-10)  # same pair up to sign
    assert v[np.argmax(np.abs(v))] > 0


def test_sign_pm_maps_zero_to_plus_one():
    np.testing.assert_array_equal(sign_pm(np.array([-2.0, -0.0, 0.0, 3.0])), [-1.0, 1.0, 1.0, 1.0])
