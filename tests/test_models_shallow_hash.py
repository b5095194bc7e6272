"""The shallow methods' hash functions: LinearHash and KernelHash (RBF features against stored anchors)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from hashx.exceptions import HashxValueError
from hashx.models import (
    KernelHash,
    LinearHash,
    ProjectionOutput,
    RBFFeatures,
    create_model,
    model_role,
    rbf_features,
    squared_distances,
)


def test_registered_with_the_image_and_text_roles():
    for name, role in (("image_linear_hash", "image"), ("text_linear_hash", "text"),
                       ("image_kernel_hash", "image"), ("text_kernel_hash", "text")):
        assert model_role(name) == role
    assert isinstance(create_model("text_linear_hash", in_dim=5, nbits=8), LinearHash)
    assert isinstance(create_model("image_kernel_hash", in_dim=5, nbits=8, n_anchors=3), KernelHash)


def test_linear_hash_is_x_w_plus_b_and_its_sign():
    net = LinearHash(in_dim=3, nbits=8)
    rng = np.random.default_rng(0)
    w, b = rng.standard_normal((3, 8)), rng.standard_normal(8)
    net.set_projection(w, b)
    x = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [-1.0, 0.5, 2.0]], dtype=np.float32)
    out = net(torch.from_numpy(x))
    assert isinstance(out, ProjectionOutput) and out.projection.dtype == torch.float64
    expected = x.astype(np.float64) @ w + b
    np.testing.assert_allclose(out.projection.detach().numpy(), expected, rtol=1e-12)
    np.testing.assert_array_equal(out.code.detach().numpy() >= 0, expected >= 0)
    # a zero projection reads as bit 1 (0 -> +1), as hashx.binarize
    net.set_projection(np.zeros((3, 8)), np.zeros(8))
    assert torch.all(net(torch.from_numpy(x)).code >= 0)


def test_set_projection_rejects_bad_shapes_and_values():
    net = LinearHash(in_dim=3, nbits=8)
    with pytest.raises(HashxValueError, match="'weight'.*shape \\(3, 8\\)"):
        net.set_projection(np.zeros((8, 3)), np.zeros(8))
    with pytest.raises(HashxValueError, match="'bias'"):
        net.set_projection(np.zeros((3, 8)), np.zeros(7))
    with pytest.raises(HashxValueError, match="NaN or Inf"):
        net.set_projection(np.full((3, 8), np.nan), np.zeros(8))
    with pytest.raises(HashxValueError, match="'nbits'"):
        LinearHash(in_dim=3, nbits=12)


def test_building_a_hash_function_leaves_the_global_random_state_alone():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    create_model("image_kernel_hash", in_dim=6, nbits=16, n_anchors=4)
    create_model("text_linear_hash", in_dim=6, nbits=16)
    assert torch.equal(torch.rand(3), expected)


def _loop_rbf(x, anchors, width):
    out = np.empty((x.shape[0], anchors.shape[0]))
    for i in range(x.shape[0]):
        for j in range(anchors.shape[0]):
            out[i, j] = np.exp(-np.sum((x[i] - anchors[j]) ** 2) / width)
    return out


def test_rbf_features_numpy_dense_sparse_and_torch_agree_with_a_loop():
    rng = np.random.default_rng(0)
    x = ((rng.random((11, 6)) < 0.4) * rng.integers(1, 3, (11, 6))).astype(np.float32)
    anchors = x[[1, 4, 7]].astype(np.float64)
    width = 2.0 * squared_distances(x, anchors).mean()
    expected = _loop_rbf(x.astype(np.float64), anchors, width)
    np.testing.assert_allclose(rbf_features(x, anchors, width), expected, rtol=1e-12)
    np.testing.assert_allclose(rbf_features(sp.csr_matrix(x), anchors, width), expected, rtol=1e-12)
    features = RBFFeatures(in_dim=6, n_anchors=3).set_anchors(anchors, width)
    np.testing.assert_allclose(features(torch.from_numpy(x)).numpy(), expected, rtol=1e-12)
    # an anchor is at distance 0 from itself: feature 1
    np.testing.assert_allclose(expected[[1, 4, 7], [0, 1, 2]], 1.0)


def test_squared_distances_in_chunks_and_never_negative():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((10, 4)) * 1e3
    anchors = x[:3].copy()
    d = squared_distances(x, anchors, chunk_rows=3)
    np.testing.assert_allclose(d, ((x[:, None, :] - anchors[None]) ** 2).sum(-1), rtol=1e-9, atol=1e-6)
    assert np.all(d >= 0)


def test_set_anchors_rejects_bad_values():
    features = RBFFeatures(in_dim=4, n_anchors=2)
    with pytest.raises(HashxValueError, match="'anchors'"):
        features.set_anchors(np.zeros((3, 4)), 1.0)
    with pytest.raises(HashxValueError, match="'width'"):
        features.set_anchors(np.zeros((2, 4)), 0.0)
    with pytest.raises(HashxValueError, match="'width'"):
        features.set_anchors(np.zeros((2, 4)), float("nan"))


def test_kernel_hash_round_trips_through_its_state_dict():
    net = create_model("text_kernel_hash", in_dim=5, nbits=8, n_anchors=3)
    rng = np.random.default_rng(2)
    net.features.set_anchors(rng.standard_normal((3, 5)), 7.0)
    net.hash.set_projection(rng.standard_normal((3, 8)), rng.standard_normal(8))
    again = create_model("text_kernel_hash", in_dim=5, nbits=8, n_anchors=3)
    again.load_state_dict(net.state_dict())
    x = torch.from_numpy(rng.standard_normal((4, 5)))
    assert torch.equal(net(x).projection, again(x).projection)
