"""Synthetic stand-ins: the generator's properties, determinism, and image harder than text."""

import numpy as np
import pytest
import scipy.sparse as sp
from data_builders import real_mirflickr, shared_data_dir

from hashx.data import linear_probe_map, make_mirflickr_synthimg, make_synthetic
from hashx.exceptions import HashxTypeError, HashxValueError


@pytest.fixture(scope="module")
def synth():
    return make_synthetic()


def test_defaults_shapes_and_values(synth):
    ds = synth
    assert len(ds) == 4000 and ds.name == "synthetic" and "synthetic" in ds.notes
    assert ds.image.shape == (4000, 512) and ds.image.dtype == np.float32 and ds.image.min() >= 0
    assert ds.text.shape == (4000, 500) and ds.text.dtype == np.float32
    assert set(np.unique(ds.text).tolist()) == {0.0, 1.0} and (ds.text.sum(axis=1) >= 1).all()
    assert ds.labels.shape == (4000, 24) and ds.labels.dtype == np.uint8
    assert ds.labels.sum(axis=1).min() >= 1  # every item has a label
    assert 2.0 < ds.labels.sum(axis=1).mean() < 5.0  # a few labels per item, like MIRFlickr
    zeros = np.mean(ds.image == 0)
    assert 0.2 < zeros < 0.8  # sparse, ReLU-like
    freq = ds.labels.mean(axis=0)
    assert freq.max() > 4 * freq.min()  # a long tail of label frequencies


def test_labels_co_occur(synth):
    corr = np.corrcoef(synth.labels.T.astype(float))
    off = corr[np.triu_indices_from(corr, k=1)]
    assert off.max() > 0.2  # some concepts go together
    assert off.min() < -0.1  # and some exclude each other


def test_same_seed_same_bits_other_seed_differs():
    a, b = make_synthetic(n_items=300, seed=5), make_synthetic(n_items=300, seed=5)
    c = make_synthetic(n_items=300, seed=6)
    for x, y in ((a.image, b.image), (a.text, b.text), (a.labels, b.labels)):
        assert x.tobytes() == y.tobytes()
    assert not np.array_equal(a.image, c.image) and not np.array_equal(a.labels, c.labels)


def test_sparse_text_option():
    ds = make_synthetic(n_items=200, sparse_text=True, seed=1)
    assert sp.issparse(ds.text) and ds.text.dtype == np.float32
    np.testing.assert_array_equal(ds.text.toarray(), make_synthetic(n_items=200, seed=1).text)


def test_image_carries_labels_but_text_is_easier(synth):
    chance = float(synth.labels.mean())
    image_map = linear_probe_map(synth.image, synth.labels)
    text_map = linear_probe_map(synth.text, synth.labels)
    assert image_map > chance + 0.2  # the image features carry the labels ...
    assert text_map > image_map + 0.1  # ... imperfectly: image-side retrieval is harder


def test_probe_average_precision_by_hand():
    from hashx.data.synthetic import _average_precision

    # ranking by score: items 0 (rel), 1, 2 (rel) -> AP = (1/1 + 2/3) / 2
    assert _average_precision(np.array([1, 0, 1]), np.array([3.0, 2.0, 1.0])) == pytest.approx(5 / 6)
    assert _average_precision(np.array([0, 1]), np.array([2.0, 1.0])) == pytest.approx(1 / 2)


def test_validation():
    with pytest.raises(HashxValueError, match="'n_items' parameter of make_synthetic"):
        make_synthetic(n_items=1)
    with pytest.raises(HashxTypeError, match="'seed'"):
        make_synthetic(seed=1.5)
    with pytest.raises(HashxValueError, match="'text_signal'"):
        make_synthetic(text_signal=2.0)
    with pytest.raises(HashxValueError, match="'method'"):
        linear_probe_map(np.zeros((4, 2)), np.zeros((4, 1), np.uint8), method="svm")


def test_synthimg_uses_real_labels_and_tags():
    labels, text = real_mirflickr()
    ds = make_mirflickr_synthimg(shared_data_dir() / "mirflickr25k", image_dim=1024)
    assert ds.name == "mirflickr25k-synthimg" and "SYNTHETIC image features" in ds.notes
    assert "not MIRFlickr-25K results" in ds.notes
    np.testing.assert_array_equal(ds.labels, labels)
    np.testing.assert_array_equal(ds.text, text)
    assert ds.image.shape == (20015, 1024) and ds.image.dtype == np.float32 and ds.image.min() >= 0
    again = make_mirflickr_synthimg(shared_data_dir() / "mirflickr25k", image_dim=1024)
    assert again.image.tobytes() == ds.image.tobytes()
    # the images carry the labels, more weakly than the real tags do (fast ridge probe on 8,000 items,
    # 1024-d; the 4096-d numbers on all items are in the module docstring)
    rows = np.random.default_rng(0).permutation(20015)[:8000]
    image_map = linear_probe_map(ds.image[rows], labels[rows])
    text_map = linear_probe_map(text[rows], labels[rows])
    assert labels.mean() + 0.15 < image_map < text_map
