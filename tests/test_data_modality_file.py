"""Tests of hashx.data.read_modality: one modality out of any supported file."""

import h5py
import numpy as np
import pytest
import scipy.sparse as sp
from data_builders import matlab_images, random_dataset_arrays, write_mat

from hashx.data import LazyImages
from hashx.data.modality_file import read_modality
from hashx.exceptions import DataFormatError


@pytest.fixture
def arrays():
    return random_dataset_arrays(12, n_labels=5, text_dim=9, image_dim=7, seed=4)


@pytest.mark.parametrize("version", ["5", "7.3"])
def test_mat_defaults_pick_dcmh_names(tmp_path, arrays, version):
    path = write_mat(tmp_path / "all.mat", {"XAll": arrays["image"].astype(np.float64),
                                            "YAll": arrays["text"].astype(np.float64),
                                            "LAll": arrays["labels"].astype(np.float64)}, version)
    np.testing.assert_array_equal(read_modality(path, "image"), arrays["image"])
    text = read_modality(path, "text")
    np.testing.assert_array_equal(text.toarray() if sp.issparse(text) else text, arrays["text"])
    labels = read_modality(path, "labels")
    assert labels.dtype == np.uint8
    np.testing.assert_array_equal(labels, arrays["labels"])


@pytest.mark.parametrize("version", ["5", "7.3"])
def test_mat_raw_images_are_lazy_and_in_nhwc(tmp_path, version):
    imgs = random_dataset_arrays(3, raw=True, size=64, seed=1)["image"]
    path = write_mat(tmp_path / "iall.mat", {"IAll": matlab_images(imgs)}, version)
    out = read_modality(path, "image")
    assert isinstance(out, LazyImages) and out.shape == (3, 64, 64, 3)
    np.testing.assert_array_equal(out.read(np.arange(3)), imgs)


def test_npy_npz_h5_and_explicit_variable(tmp_path, arrays):
    np.save(tmp_path / "f.npy", arrays["image"])
    np.testing.assert_array_equal(read_modality(tmp_path / "f.npy", "image"), arrays["image"])
    np.savez(tmp_path / "d.npz", feats=arrays["image"], text=arrays["text"], labels=arrays["labels"])
    np.testing.assert_array_equal(read_modality(tmp_path / "d.npz", "image", variable="feats"), arrays["image"])
    np.testing.assert_array_equal(read_modality(tmp_path / "d.npz", "labels"), arrays["labels"])
    with h5py.File(tmp_path / "d.h5", "w") as f:
        f["image"] = arrays["image"]
        f["labels"] = arrays["labels"]
    np.testing.assert_array_equal(read_modality(tmp_path / "d.h5", "image"), arrays["image"])


def test_class_id_vectors_become_one_hot(tmp_path):
    path = write_mat(tmp_path / "wiki.mat", {"L_te": np.array([[1], [3], [2], [3]], dtype=np.float64)}, "5")
    np.testing.assert_array_equal(read_modality(path, "labels"),
                                  [[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 1]])


def test_errors_name_file_and_variable(tmp_path, arrays):
    np.savez(tmp_path / "d.npz", something=arrays["image"])
    with pytest.raises(DataFormatError, match=r"no image variable: looked for image, XAll"):
        read_modality(tmp_path / "d.npz", "image")
    with pytest.raises(DataFormatError, match="has no variable 'nope'"):
        read_modality(tmp_path / "d.npz", "image", variable="nope")
    with pytest.raises(DataFormatError, match="does not exist"):
        read_modality(tmp_path / "missing.npz", "image")
    (tmp_path / "x.csv").write_text("1,2")
    with pytest.raises(DataFormatError, match="unknown suffix '.csv'"):
        read_modality(tmp_path / "x.csv", "text")
    bad = arrays["image"].copy()
    bad[2, 3] = np.nan
    np.save(tmp_path / "bad.npy", bad)
    with pytest.raises(DataFormatError, match="NaN or Inf"):
        read_modality(tmp_path / "bad.npy", "image")
    with pytest.raises(ValueError, match="'modality' parameter of read_modality"):
        read_modality(tmp_path / "bad.npy", "audio")


def test_unlabeled_rows_are_an_error_unless_allowed(tmp_path):
    labels = np.array([[1, 0], [0, 0], [0, 1]], dtype=np.uint8)
    np.save(tmp_path / "l.npy", labels)
    with pytest.raises(DataFormatError, match="at least one label"):
        read_modality(tmp_path / "l.npy", "labels")
    np.testing.assert_array_equal(read_modality(tmp_path / "l.npy", "labels", allow_unlabeled=True), labels)
