"""MIRFlickr-25K: every DCMH layout (v5 and v7.3), the real shared files, and bad files."""

import h5py
import numpy as np
import pytest
from data_builders import (VERSIONS, random_dataset_arrays, real_mirflickr, shared_data_dir, write_flickr25k_merged,
                           write_mat, write_mirflickr_dcmh)

from hashx.data import LazyImages, load_mirflickr25k, read_mirflickr25k_labels_tags
from hashx.exceptions import DataFormatError


def _same(ds, arrays):
    np.testing.assert_array_equal(ds.labels, arrays["labels"])
    assert ds.labels.dtype == np.uint8
    np.testing.assert_array_equal(ds.text, arrays["text"].astype(np.float32))
    assert ds.text.dtype == np.float32
    if arrays["image"].ndim == 4:
        assert isinstance(ds.image, LazyImages) and ds.image.shape == arrays["image"].shape
        np.testing.assert_array_equal(ds.image.read(np.arange(len(ds))), arrays["image"])
    else:
        assert ds.image.dtype == np.float32
        np.testing.assert_array_equal(ds.image, arrays["image"])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("image", ["features", "raw"])
def test_dcmh_split_files_round_trip(tmp_path, version, image):
    arrays = random_dataset_arrays(7, raw=image == "raw", seed=3)
    write_mirflickr_dcmh(tmp_path, arrays, version, image=image)
    ds = load_mirflickr25k(tmp_path, image=image)
    assert ds.name == "mirflickr25k" and len(ds) == 7
    _same(ds, arrays)
    assert load_mirflickr25k(tmp_path).image_kind == image  # "auto" finds it too


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("image", ["features", "raw"])
def test_merged_flickr25k_round_trip(tmp_path, version, image):
    """FLICKR-25K.mat: raw ``images`` (DCMH/SSAH) or 4096-d-style features (DADH)."""
    arrays = random_dataset_arrays(5, raw=image == "raw", seed=4)
    path = write_flickr25k_merged(tmp_path / "FLICKR-25K.mat", arrays, version)
    _same(load_mirflickr25k(tmp_path), arrays)
    _same(load_mirflickr25k(path), arrays)  # the file path itself works too
    labels, text = read_mirflickr25k_labels_tags(tmp_path)
    np.testing.assert_array_equal(labels, arrays["labels"])


def test_raw_images_match_the_ssah_transpose(tmp_path):
    """The v7.3 IAll read by hashx equals SSAH's ``images[:].transpose(0, 3, 2, 1)``."""
    arrays = random_dataset_arrays(4, raw=True, seed=5)
    write_mirflickr_dcmh(tmp_path, arrays, "v7.3", image="raw")
    with h5py.File(tmp_path / "mirflickr25k-iall.mat", "r") as f:
        assert f["IAll"].shape == (4, 3, 224, 224)
        ssah = f["IAll"][:].transpose(0, 3, 2, 1)
    ds = load_mirflickr25k(tmp_path, image="raw")
    np.testing.assert_array_equal(ds.image.read([0, 1, 2, 3]), ssah)


@pytest.mark.parametrize("version", VERSIONS)
def test_raw_images_stored_n_first_in_matlab(tmp_path, version):
    """Some conversions save IAll as an n x 224 x 224 x 3 MATLAB array (h5py: (3, 224, 224, n))."""
    arrays = random_dataset_arrays(3, raw=True, seed=7)
    write_mirflickr_dcmh(tmp_path, arrays, version, image="features")
    (tmp_path / "mirflickr25k-iall-vgg.mat").unlink()
    write_mat(tmp_path / "mirflickr25k-iall.mat", {"IAll": arrays["image"]}, version)
    ds = load_mirflickr25k(tmp_path)
    assert ds.image.layout == {"v5": "nhwc", "v7.3": "cwhn"}[version]
    np.testing.assert_array_equal(ds.image.read([2, 1, 0]), arrays["image"][::-1])


def test_real_shared_files_have_the_documented_shapes():
    labels, text = real_mirflickr()
    assert labels.shape == (20015, 24) and labels.dtype == np.uint8
    assert text.shape == (20015, 1386) and text.dtype == np.float32
    # PROVENANCE.md: 92,808 tag non-zeros; every row has >= 1 label and >= 1 tag; per-column label counts
    assert int(np.count_nonzero(text)) == 92808
    assert labels.sum(axis=1).min() == 1 and labels.sum(axis=1).max() == 14
    assert (text.sum(axis=1) >= 1).all()
    assert labels.sum(axis=0)[:4].tolist() == [2647, 179, 644, 986]
    assert labels.sum(axis=0)[-1] == 2885


def test_real_files_without_images_give_a_clear_error():
    with pytest.raises(DataFormatError, match=r"mirflickr25k-iall-vgg\.mat.*mirflickr25k-iall\.mat"):
        load_mirflickr25k(shared_data_dir() / "mirflickr25k")


def test_no_files_lists_what_was_looked_for(tmp_path):
    with pytest.raises(DataFormatError, match=r"FLICKR-25K\.mat.*mirflickr25k-lall\.mat.*mirflickr25k-yall\.mat"):
        load_mirflickr25k(tmp_path)


@pytest.mark.parametrize("version", VERSIONS)
def test_bad_files(tmp_path, version):
    arrays = random_dataset_arrays(6, seed=6)
    write_mirflickr_dcmh(tmp_path, arrays, version)
    lall = tmp_path / "mirflickr25k-lall.mat"
    xall = tmp_path / "mirflickr25k-iall-vgg.mat"

    write_mat(lall, {"Labels": arrays["labels"]}, version)  # missing variable
    with pytest.raises(DataFormatError, match=r"mirflickr25k-lall\.mat.*no variable 'LAll'"):
        load_mirflickr25k(tmp_path)

    write_mat(lall, {"LAll": arrays["labels"].T.copy()}, version)  # wrong shape (transposed)
    with pytest.raises(DataFormatError, match=r"Row counts disagree.*'LAll'"):
        load_mirflickr25k(tmp_path)
    write_mat(lall, {"LAll": arrays["labels"][:, :20]}, version)  # wrong number of labels
    with pytest.raises(DataFormatError, match=r"mirflickr25k-lall\.mat', variable 'LAll'.*\(n, 24\)"):
        load_mirflickr25k(tmp_path)

    write_mat(lall, {"LAll": arrays["labels"][:5]}, version)  # row counts disagree
    with pytest.raises(DataFormatError, match=r"Row counts disagree.*'LAll'.*has 5.*'YAll'.*has 6"):
        load_mirflickr25k(tmp_path)

    no_label = arrays["labels"].copy()
    no_label[2] = 0
    write_mat(lall, {"LAll": no_label}, version)  # a row with no label
    with pytest.raises(DataFormatError, match=r"variable 'LAll'.*1 row\(s\) have none \(first: row 2\)"):
        load_mirflickr25k(tmp_path)

    write_mat(lall, {"LAll": arrays["labels"] * 2.0}, version)  # not 0/1
    with pytest.raises(DataFormatError, match=r"variable 'LAll'.*multi-hot"):
        load_mirflickr25k(tmp_path)

    write_mat(lall, {"LAll": arrays["labels"]}, version)
    for bad in (np.nan, np.inf):
        feats = arrays["image"].astype(np.float64)
        feats[3, 1] = bad
        write_mat(xall, {"XAll": feats}, version)
        with pytest.raises(DataFormatError, match=r"mirflickr25k-iall-vgg\.mat', variable 'XAll'.*NaN or Inf"):
            load_mirflickr25k(tmp_path)
    write_mat(xall, {"XAll": arrays["image"]}, version)
    assert len(load_mirflickr25k(tmp_path)) == 6  # and the repaired files load
