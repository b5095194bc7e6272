"""Synthetic stand-ins: the generators' properties, determinism, image harder than text, the wiki-like preset."""

import numpy as np
import pytest
import scipy.sparse as sp
from data_builders import real_mirflickr, shared_data_dir

from hashx.data import (linear_probe_accuracy, linear_probe_map, load_protocol, make_mirflickr_synthimg,
                        make_synthetic)
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
    from hashx.data.probe import _average_precision

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


# -- the wiki-like preset ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wiki():
    return make_synthetic(preset="wiki-like")


def test_wiki_like_shapes_and_values(wiki):
    ds = wiki
    assert ds.name == "wiki-like" and len(ds) == 2866
    assert "SYNTHETIC" in ds.notes and "not Wikipedia results" in ds.notes
    assert ds.image.shape == (2866, 128) and ds.image.dtype == np.float32
    assert ds.image.min() >= 0 and np.array_equal(ds.image, np.round(ds.image))  # counts
    assert 0.4 < np.mean(ds.image == 0) < 0.8  # sparse (the docstring says about 64%)
    assert 30 < np.median(ds.image.sum(axis=1)) < 300  # about 100 visual words per image
    assert ds.text.shape == (2866, 10) and ds.text.dtype == np.float32 and ds.text.min() >= 0
    np.testing.assert_allclose(ds.text.sum(axis=1), 1.0, atol=1e-5)  # topic proportions
    assert ds.labels.shape == (2866, 10) and ds.labels.dtype == np.uint8
    assert set(np.unique(ds.labels).tolist()) == {0, 1} and (ds.labels.sum(axis=1) == 1).all()  # one class each
    freq = ds.labels.mean(axis=0)
    assert 0.03 < freq.min() and freq.max() < 0.25  # every class present, mildly unequal


def test_wiki_like_is_deterministic_and_seeded(wiki):
    again, other = make_synthetic(preset="wiki-like"), make_synthetic(preset="wiki-like", seed=1)
    for x, y in ((wiki.image, again.image), (wiki.text, again.text), (wiki.labels, again.labels)):
        assert x.tobytes() == y.tobytes()
    assert not np.array_equal(wiki.image, other.image) and not np.array_equal(wiki.labels, other.labels)
    # separate streams: the image setting moves the images only
    weaker = make_synthetic(preset="wiki-like", image_signal=0.0)
    assert weaker.text.tobytes() == wiki.text.tobytes() and weaker.labels.tobytes() == wiki.labels.tobytes()
    assert not np.array_equal(weaker.image, wiki.image)
    small = make_synthetic(preset="wiki-like", n_items=300, seed=2)
    assert small.image.shape == (300, 128) and small.labels.shape == (300, 10)


def test_wiki_like_probe_accuracies_are_the_stated_ones(wiki):
    """wiki_like's calibration table (generator seed 0, the defaults), within 0.02, and inside the targets."""
    image = linear_probe_accuracy(wiki.image, wiki.labels)
    text = linear_probe_accuracy(wiki.text, wiki.labels)
    assert image == pytest.approx(0.315, abs=0.02) and text == pytest.approx(0.694, abs=0.02)
    assert 0.25 < image < 0.35 and 0.63 < text < 0.72  # about 30% and 65-70%


def test_wiki_like_signals_control_the_difficulty(wiki):
    chance = wiki.labels.mean(axis=0).max()
    no_text_signal = make_synthetic(preset="wiki-like", text_signal=0.0)
    assert linear_probe_accuracy(no_text_signal.text, no_text_signal.labels) < chance + 0.05
    stronger = make_synthetic(preset="wiki-like", text_signal=1.0)
    assert linear_probe_accuracy(stronger.text, stronger.labels) > linear_probe_accuracy(wiki.text, wiki.labels)


def test_presets_validation():
    with pytest.raises(HashxValueError, match="'preset' parameter of make_synthetic.*'default', 'wiki-like'"):
        make_synthetic(preset="wikipedia")
    with pytest.raises(HashxValueError, match="'tags_mean' parameter of make_synthetic does not apply to preset "
                                              "'wiki-like'"):
        make_synthetic(preset="wiki-like", tags_mean=3.0)
    with pytest.raises(HashxValueError, match="'image_signal' parameter of make_synthetic does not apply to "
                                              "preset 'default'"):
        make_synthetic(image_signal=0.5)
    with pytest.raises(HashxValueError, match=r"'image_signal'.*in \[0.0, 1.0\]"):
        make_synthetic(preset="wiki-like", image_signal=1.5)
    with pytest.raises(HashxTypeError, match="'n_items'"):
        make_synthetic(preset="wiki-like", n_items=10.0)


def test_default_preset_is_the_default():
    a, b = make_synthetic(n_items=300, seed=5), make_synthetic(preset="default", n_items=300, seed=5)
    for x, y in ((a.image, b.image), (a.text, b.text), (a.labels, b.labels)):
        assert x.tobytes() == y.tobytes()
    assert a.notes == b.notes


def test_wiki_like_protocol(wiki):
    ds, split = load_protocol("synthetic", preset="wiki-like")
    assert split.sizes() == {"query": 693, "retrieval": 2173, "train": 2173, "val": 217}
    assert split.protocol == "wiki-like" and ds.image.tobytes() == wiki.image.tobytes()
    same_ds, same = load_protocol("wiki-like")
    assert same.sha256 == split.sha256 and same_ds.labels.tobytes() == ds.labels.tobytes()
    q, t, r = (set(getattr(split, p).tolist()) for p in ("query", "train", "retrieval"))
    assert not q & t and t == r and set(split.val.tolist()) <= t
    other_ds, other = load_protocol("wiki-like", seed=1, data_seed=3)
    assert other.sha256 != split.sha256 and other_ds.image.tobytes() == make_synthetic(
        preset="wiki-like", seed=3).image.tobytes()
    _, plain = load_protocol("synthetic", preset="default", n_items=300)
    assert plain.sizes()["query"] == 30 and plain.protocol == "synthetic"
    with pytest.raises(HashxValueError, match="'preset' parameter of load_protocol applies to the 'synthetic'"):
        load_protocol("digits-halves", preset="wiki-like")
    with pytest.raises(HashxValueError, match="exactly 2866 items. Got 300"):
        load_protocol("wiki-like", n_items=300)
