"""Wikipedia ``wiki_data.mat``: class ids and/or one-hot labels, v5 and v7.3, bad files."""

import numpy as np
import pytest
from data_builders import VERSIONS, wiki_arrays, write_mat, write_wiki_data

from hashx.data import load_wikipedia
from hashx.exceptions import DataFormatError


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("labels", ["ids", "onehot", "both"])
def test_round_trip(tmp_path, version, labels):
    arrays = wiki_arrays(30, 12, seed=1)
    write_wiki_data(tmp_path / "wiki_data.mat", arrays, version, labels=labels)
    ds = load_wikipedia(tmp_path)  # the folder works, and so does the file path
    assert ds.name == "wikipedia" and len(ds) == 42
    np.testing.assert_array_equal(ds.image, np.vstack([arrays["I_tr"], arrays["I_te"]]).astype(np.float32))
    np.testing.assert_array_equal(ds.text, np.vstack([arrays["T_tr"], arrays["T_te"]]).astype(np.float32))
    assert ds.labels.shape == (42, 10) and ds.labels.dtype == np.uint8 and (ds.labels.sum(axis=1) == 1).all()
    ids = np.concatenate([arrays["L_tr"], arrays["L_te"]]).ravel().astype(int)
    np.testing.assert_array_equal(ds.labels.argmax(axis=1) + 1, ids)
    assert len(load_wikipedia(tmp_path / "wiki_data.mat")) == 42


def test_row_vector_class_ids(tmp_path):
    arrays = wiki_arrays(8, 4, seed=2)
    arrays["L_tr"], arrays["L_te"] = arrays["L_tr"].T.copy(), arrays["L_te"].T.copy()  # 1 x n
    write_wiki_data(tmp_path / "wiki_data.mat", arrays, "v5")
    assert load_wikipedia(tmp_path).labels.shape == (12, 10)


@pytest.mark.parametrize("version", VERSIONS)
def test_bad_files(tmp_path, version):
    path = tmp_path / "wiki_data.mat"
    arrays = wiki_arrays(10, 5, seed=3)
    good = {k: arrays[k] for k in ("I_tr", "I_te", "T_tr", "T_te", "L_tr", "L_te")}

    write_mat(path, {k: v for k, v in good.items() if k != "T_te"}, version)
    with pytest.raises(DataFormatError, match=r"wiki_data\.mat.*no variable 'T_te'"):
        load_wikipedia(path)
    write_mat(path, {k: v for k, v in good.items() if k != "L_te"}, version)
    with pytest.raises(DataFormatError, match=r"wiki_data\.mat.*no test labels.*'L_te'.*'L_test'"):
        load_wikipedia(path)
    write_mat(path, {**good, "T_tr": good["T_tr"][:9]}, version)
    with pytest.raises(DataFormatError, match=r"Row counts disagree.*'T_tr'.*has 9"):
        load_wikipedia(path)
    write_mat(path, {**good, "I_te": good["I_te"][:, :100]}, version)
    with pytest.raises(DataFormatError, match=r"'I_tr' and 'I_te' have different widths"):
        load_wikipedia(path)
    bad_ids = good["L_tr"].copy()
    bad_ids[0] = 0
    write_mat(path, {**good, "L_tr": bad_ids}, version)
    with pytest.raises(DataFormatError, match=r"variable 'L_tr'.*integers >= 1"):
        load_wikipedia(path)
    onehot = np.zeros((10, 10))
    onehot[np.arange(10), (good["L_tr"].ravel().astype(int)) % 10] = 1  # shifted: disagrees with L_tr
    write_mat(path, {**good, "L_train": onehot}, version)
    with pytest.raises(DataFormatError, match=r"'L_tr' and 'L_train' disagree"):
        load_wikipedia(path)
    feats = good["I_te"].copy()
    feats[1, 2] = np.inf
    write_mat(path, {**good, "I_te": feats}, version)
    with pytest.raises(DataFormatError, match=r"variable 'I_te'.*NaN or Inf"):
        load_wikipedia(path)


def test_missing_file(tmp_path):
    with pytest.raises(DataFormatError, match=r"wiki_data\.mat"):
        load_wikipedia(tmp_path)
