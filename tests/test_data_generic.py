"""Generic .npz / .h5 / .npy dataset files."""

import h5py
import numpy as np
import pytest
import scipy.sparse as sp
from data_builders import random_dataset_arrays

from hashx.data import LazyImages, load_dataset, load_generic, load_npy
from hashx.exceptions import DataFormatError


def _write_npz(path, arrays, *, sparse_text=False, ids=None):
    out = {"image": arrays["image"], "labels": arrays["labels"]}
    if sparse_text:
        csr = sp.csr_matrix(arrays["text"].astype(np.float32))
        out.update(text_data=csr.data, text_indices=csr.indices, text_indptr=csr.indptr,
                   text_shape=np.array(csr.shape))
    else:
        out["text"] = arrays["text"]
    if ids is not None:
        out["ids"] = ids
    np.savez(path, **out)
    return path


def _write_h5(path, arrays, *, sparse_text=False):
    with h5py.File(path, "w") as f:
        f["image"] = arrays["image"]
        f["labels"] = arrays["labels"]
        if sparse_text:
            csr = sp.csr_matrix(arrays["text"].astype(np.float32))
            g = f.create_group("text")
            g["data"], g["indices"], g["indptr"] = csr.data, csr.indices, csr.indptr
            g.attrs["shape"] = csr.shape
        else:
            f["text"] = arrays["text"]
    return path


def _check(ds, arrays):
    np.testing.assert_array_equal(ds.labels, arrays["labels"])
    text = ds.text.toarray() if sp.issparse(ds.text) else ds.text
    np.testing.assert_array_equal(text, arrays["text"])
    if arrays["image"].ndim == 4:
        np.testing.assert_array_equal(ds.image.read(np.arange(len(ds))), arrays["image"])
    else:
        np.testing.assert_array_equal(ds.image, arrays["image"])


@pytest.mark.parametrize("sparse_text", [False, True])
@pytest.mark.parametrize("raw", [False, True])
def test_npz_round_trip(tmp_path, sparse_text, raw):
    arrays = random_dataset_arrays(6, raw=raw, size=64, seed=1)
    path = _write_npz(tmp_path / "d.npz", arrays, sparse_text=sparse_text, ids=np.arange(100, 106))
    ds = load_generic(path)
    _check(ds, arrays)
    assert ds.name == "d" and ds.ids.tolist() == list(range(100, 106))
    assert sp.issparse(ds.text) == sparse_text


@pytest.mark.parametrize("sparse_text", [False, True])
@pytest.mark.parametrize("raw", [False, True])
def test_h5_round_trip(tmp_path, sparse_text, raw):
    arrays = random_dataset_arrays(6, raw=raw, size=64, seed=2)
    ds = load_generic(_write_h5(tmp_path / "d.h5", arrays, sparse_text=sparse_text))
    _check(ds, arrays)
    assert isinstance(ds.image, LazyImages) == raw


def test_npy_folder_and_files(tmp_path):
    arrays = random_dataset_arrays(5, raw=True, size=64, seed=3)
    for k in ("image", "text", "labels"):
        np.save(tmp_path / f"{k}.npy", arrays[k])
    ds = load_generic(tmp_path)
    _check(ds, arrays)
    assert isinstance(ds.image, LazyImages)  # memory-mapped, read lazily
    ds2 = load_npy(tmp_path / "image.npy", tmp_path / "text.npy", tmp_path / "labels.npy", name="x")
    _check(ds2, arrays)
    assert ds2.name == "x"


def test_files_protocol_loads_generic(tmp_path):
    arrays = random_dataset_arrays(20, seed=4)
    ds = load_dataset("files", _write_npz(tmp_path / "d.npz", arrays))
    _check(ds, arrays)


def test_bad_files(tmp_path):
    arrays = random_dataset_arrays(6, seed=5)
    np.savez(tmp_path / "a.npz", image=arrays["image"], labels=arrays["labels"])
    with pytest.raises(DataFormatError, match=r"a\.npz.*no variable 'text'"):
        load_generic(tmp_path / "a.npz")
    np.savez(tmp_path / "b.npz", image=arrays["image"][:5], text=arrays["text"], labels=arrays["labels"])
    with pytest.raises(DataFormatError, match=r"Row counts disagree.*'image' in '.*b\.npz' has 5"):
        load_generic(tmp_path / "b.npz")
    labels = arrays["labels"].copy()
    labels[4] = 0
    np.savez(tmp_path / "c.npz", image=arrays["image"], text=arrays["text"], labels=labels)
    with pytest.raises(DataFormatError, match=r"c\.npz', variable 'labels'.*no.*first: row 4"):
        load_generic(tmp_path / "c.npz")
    image = arrays["image"].copy()
    image[0, 0] = np.nan
    with h5py.File(tmp_path / "d.h5", "w") as f:
        f["image"], f["text"], f["labels"] = image, arrays["text"], arrays["labels"]
    with pytest.raises(DataFormatError, match=r"d\.h5', variable 'image'.*NaN or Inf"):
        load_generic(tmp_path / "d.h5")
    np.savez(tmp_path / "e.npz", image=arrays["image"][:, :, None], text=arrays["text"], labels=arrays["labels"])
    with pytest.raises(DataFormatError, match=r"e\.npz', variable 'image'.*2-d"):
        load_generic(tmp_path / "e.npz")
    (tmp_path / "f.csv").write_text("x")
    with pytest.raises(DataFormatError, match=r"unknown dataset file type '\.csv'"):
        load_generic(tmp_path / "f.csv")


def test_save_generic_round_trip_dense_and_sparse(tmp_path):
    import scipy.sparse as sp

    from hashx.data import CrossModalDataset, load_generic, save_generic

    rng = np.random.default_rng(3)
    labels = np.zeros((7, 4), dtype=np.uint8)
    labels[np.arange(7), rng.integers(0, 4, 7)] = 1
    image = rng.random((7, 5)).astype(np.float32)
    text = (rng.random((7, 9)) < 0.3).astype(np.float32)
    for t in (text, sp.csr_matrix(text)):
        ds = CrossModalDataset(image=image, text=t, labels=labels, name="x", ids=np.arange(10, 17))
        back = load_generic(save_generic(tmp_path / "x.npz", ds))
        np.testing.assert_array_equal(back.image, image)
        np.testing.assert_array_equal(back.text_rows(np.arange(7)), text)
        np.testing.assert_array_equal(back.labels, labels)
        np.testing.assert_array_equal(back.ids, np.arange(10, 17))
    with pytest.raises(ValueError, match="must end in .npz"):
        save_generic(tmp_path / "x.h5", ds)
