"""The digits protocols: real views of scikit-learn's digits, the shipped split, the stated probe accuracies."""

import importlib.resources
import json

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.datasets import load_digits

from hashx.data import (Split, draw_split, linear_probe_accuracy, load_dataset, load_digits_views, load_protocol,
                        make_split, shipped_split)
from hashx.data import digits as digits_module
from hashx.exceptions import DataFormatError, HashxValueError
from hashx_cli.main import cli

SPLITS = importlib.resources.files("hashx.data").joinpath("splits")
SIZES = {"query": 435, "retrieval": 1362, "train": 1362, "val": 136}
# positions, in the flattened 8x8 image (row-major), of each view's pixels, written out by hand
TOP_LEFT = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27]
BOTTOM_RIGHT = [36, 37, 38, 39, 44, 45, 46, 47, 52, 53, 54, 55, 60, 61, 62, 63]
LEFT = [8 * r + c for r in range(8) for c in range(4)]
RIGHT = [8 * r + c for r in range(8) for c in range(4, 8)]


@pytest.fixture(scope="module")
def sk():
    return load_digits()


@pytest.mark.parametrize("views,image_px,text_px", [("halves", LEFT, RIGHT), ("quadrants", TOP_LEFT, BOTTOM_RIGHT)])
def test_views_are_the_stated_pixels(sk, views, image_px, text_px):
    ds = load_digits_views(views=views)
    assert ds.name == f"digits-{views}" and len(ds) == 1797
    d = len(image_px)
    assert ds.image.shape == (1797, d) and ds.text.shape == (1797, d)
    assert ds.image.dtype == np.float32 and ds.text.dtype == np.float32
    np.testing.assert_array_equal(ds.image, sk.data[:, image_px])
    np.testing.assert_array_equal(ds.text, sk.data[:, text_px])
    for x in (ds.image, ds.text):  # unscaled pixel counts 0..16
        assert x.min() >= 0 and x.max() <= 16 and np.array_equal(x, np.round(x))
    assert ds.labels.shape == (1797, 10) and ds.labels.dtype == np.uint8
    assert (ds.labels.sum(axis=1) == 1).all()  # one label per item
    np.testing.assert_array_equal(ds.labels.argmax(axis=1), sk.target)
    np.testing.assert_array_equal(ds.ids, np.arange(1797))
    assert "REAL data" in ds.notes and "load_digits" in ds.notes and "UCI optdigits" in ds.notes


def test_halves_together_are_the_whole_image(sk):
    ds = load_digits_views(views="halves")
    whole = np.concatenate([ds.image.reshape(-1, 8, 4), ds.text.reshape(-1, 8, 4)], axis=2).reshape(-1, 64)
    np.testing.assert_array_equal(whole, sk.data)


def test_deterministic():
    a, b = load_digits_views(views="quadrants"), load_digits_views(views="quadrants")
    for x, y in ((a.image, b.image), (a.text, b.text), (a.labels, b.labels)):
        assert x.tobytes() == y.tobytes()


def test_another_copy_of_the_digits_is_refused(monkeypatch, sk):
    class Bunch:
        images = sk.images[::-1].copy()  # same pixels, another row order: the split would index other images
        target = sk.target[::-1].copy()

    monkeypatch.setattr("sklearn.datasets.load_digits", lambda: Bunch)
    with pytest.raises(DataFormatError, match="not the copy hashx knows"):
        load_digits_views()
    Bunch.images, Bunch.target = sk.images[:100], sk.target[:100]
    with pytest.raises(DataFormatError, match=r"expected \(1797, 8, 8\)"):
        load_digits_views()


def test_validation():
    with pytest.raises(HashxValueError, match="'views' parameter of load_digits_views.*'halves', 'quadrants'"):
        load_digits_views(views="thirds")
    with pytest.raises(HashxValueError, match=r"'data_dir'.*load_dataset\('digits-halves'\) must be None"):
        load_dataset("digits-halves", "/tmp")


def test_sha256_constant_is_the_stated_recipe(sk):
    import hashlib

    recipe = hashlib.sha256(sk.images.astype(np.uint8).tobytes() + sk.target.astype(np.uint8).tobytes())
    assert recipe.hexdigest() == digits_module.DIGITS_SHA256


# -- protocols and the shipped split ---------------------------------------------------------------
@pytest.mark.parametrize("name", ["digits-halves", "digits-quadrants"])
def test_protocol_uses_the_verified_shipped_split(name):
    ds, split = load_protocol(name)
    assert split.sizes() == SIZES and split.protocol == "digits-halves" and split.seed == 0
    assert split.sha256 == shipped_split(name, n_items=1797).sha256
    assert split.sha256 == draw_split("digits-halves", 1797, seed=0).sha256  # the file is the seed-0 rule
    q, t, r, v = (set(getattr(split, p).tolist()) for p in ("query", "train", "retrieval", "val"))
    assert not q & t and t == r and v <= t and q | r == set(range(1797))  # train = database, queries apart
    assert len(split.fit) == 1362 - 136


def test_shipped_file_bytes_are_reproducible(tmp_path):
    fresh = draw_split("digits-halves", 1797, seed=0).save(tmp_path / "d.json")
    assert fresh.read_bytes() == SPLITS.joinpath("digits-halves.json").read_bytes()
    meta = json.loads(SPLITS.joinpath("digits-halves.json").read_text())
    assert meta["sizes"] == SIZES and meta["protocol"] == "digits-halves"


def test_edited_shipped_file_is_refused(tmp_path):
    meta = json.loads(SPLITS.joinpath("digits-halves.json").read_text())
    meta["query"][0], meta["train"][0] = meta["train"][0], meta["query"][0]  # one query moved into train
    (tmp_path / "digits-halves.json").write_text(json.dumps(meta))
    with pytest.raises(DataFormatError, match="corrupted or was edited"):
        Split.load(tmp_path / "digits-halves.json")


def test_seeded_splits():
    ds = load_digits_views()
    a, b, c = make_split("digits-halves", ds, seed=4), make_split("digits-halves", ds, seed=4), \
        make_split("digits-quadrants", ds, seed=5)
    assert a.sha256 == b.sha256 and a.sizes() == c.sizes() == SIZES and a.sha256 != c.sha256
    _, other = load_protocol("digits-quadrants", seed=4)
    assert other.sha256 == a.sha256  # both protocols draw the same split for a seed
    with pytest.raises(HashxValueError, match="fixed"):
        load_protocol("digits-halves", n_query=100)


# -- the stated difficulty ---------------------------------------------------------------------------
@pytest.mark.parametrize("views,stated", [("halves", (0.850, 0.883)), ("quadrants", (0.629, 0.665))])
def test_probe_accuracies_are_the_stated_ones(views, stated):
    """The module docstring's means over partition seeds 0-4, within 0.02; the image view is the weaker one."""
    ds = load_digits_views(views=views)
    image = np.mean([linear_probe_accuracy(ds.image, ds.labels, seed=s) for s in range(5)])
    text = np.mean([linear_probe_accuracy(ds.text, ds.labels, seed=s) for s in range(5)])
    assert image == pytest.approx(stated[0], abs=0.02) and text == pytest.approx(stated[1], abs=0.02)
    assert image < text


# -- command line ------------------------------------------------------------------------------------
def test_cli_inspect():
    result = CliRunner().invoke(cli, ["data", "inspect", "--dataset", "digits-quadrants", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["items"] == 1797 and info["image"]["shape"] == [1797, 16] and info["text"]["shape"] == [1797, 16]
    assert info["labels"]["n_labels"] == 10 and info["labels"]["labels_per_item_max"] == 1
    assert info["split"]["sha256"] == shipped_split("digits-quadrants").sha256
    assert {k: info["split"][k] for k in SIZES} == SIZES and "REAL data" in info["notes"]
