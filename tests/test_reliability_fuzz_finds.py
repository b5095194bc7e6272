"""Regression tests for what the long fuzz run (benchmarks/fuzz_readers.py, 10,000 inputs per reader) found
after the first round of issue 15's fixes, each rebuilt by hand from the damaged input the run reported:

- a MATLAB v7.3 sparse matrix whose row count (``MATLAB_sparse``) was damaged to 939,527,168 asked for
  7 GiB of CSR row pointers (the run's only hang);
- a v7.3 sparse matrix whose ``data`` link was listed but broken was read as a logical matrix of ones;
- a v7.3 variable name that is not UTF-8 came back from h5py as bytes and ended in a TypeError;
- a v5 sparse matrix with negative declared dimensions ended in numpy's ValueError;
- a checkpoint whose zip directory marks ``data.pkl`` as a folder made torch's zip reader hand torch.load
  a buffer it never filled: a random unpickling error, or (in the long run, with a valid checkpoint read
  just before) that earlier checkpoint's contents;
- an HDF5 dataset stored in chunks without a filter whose chunk record was damaged to fewer bytes than
  the chunk holds: HDF5 read past it, and the first read returned bytes of memory it never filled;
- an ``.npz`` with bytes before its first zip member (numpy.load refuses it) was read through the zip
  directory.

The v5 element and flag cases that crashed scipy are in tests/test_reliability_code_imports.py."""

from __future__ import annotations

import io
import struct

import h5py
import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp
from data_builders import write_mat_v73
from hostile.arrays import npz_bytes
from hostile.checkpoints import _seed_bytes, folder_marked

from hashx.data import load_generic, read_label_files, read_modality
from hashx.exceptions import CheckpointError, DataFormatError
from hashx.train.checkpoint import load_checkpoint

TEXT = sp.csc_matrix(np.eye(12, 9, dtype=np.float64))


def _v73(path, **edit):
    write_mat_v73(path, {"XAll": np.ones((12, 6)), "YAll": TEXT, "LAll": np.eye(12, 4)})
    with h5py.File(path, "r+") as f:
        g = f["YAll"]
        if "rows" in edit:
            g.attrs["MATLAB_sparse"] = np.uint64(edit["rows"])
        if edit.get("drop_data"):
            del g["data"]
        if edit.get("bad_name"):
            f["\udcff\udcffAll".encode("utf-8", "surrogateescape")] = np.ones((4, 12))
    return path


def test_v73_sparse_row_count_damaged_to_939_million_is_refused_before_allocating(tmp_path):
    path = _v73(tmp_path / "d.mat", rows=939_527_168)
    with pytest.raises(DataFormatError, match=r"d\.mat', variable 'YAll': a sparse matrix of 939,527,168 rows needs "
                                              r"7\.0 GiB of row pointers"):
        read_modality(path, "text")
    assert read_modality(_v73(tmp_path / "ok.mat"), "text").toarray().tolist() == TEXT.toarray().tolist()


def test_v73_sparse_without_values_is_refused_unless_logical(tmp_path):
    with pytest.raises(DataFormatError, match=r"variable 'YAll': a corrupted MATLAB sparse matrix \(no 'data' "
                                              r"values for class 'double'\)"):
        read_modality(_v73(tmp_path / "d.mat", drop_data=True), "text")
    path = _v73(tmp_path / "logical.mat", drop_data=True)
    with h5py.File(path, "r+") as f:
        f["YAll"].attrs["MATLAB_class"] = np.bytes_("logical")
    assert np.array_equal(read_modality(path, "text").toarray(), TEXT.toarray())


def test_v73_variable_name_that_is_not_utf8_is_listed_not_a_type_error(tmp_path):
    path = _v73(tmp_path / "d.mat", bad_name=True)
    with h5py.File(path, "r+") as f:
        del f["LAll"]
    with pytest.raises(DataFormatError, match=r"d\.mat' has no labels variable: .* found XAll, YAll, \\xff\\xffAll\."):
        read_modality(path, "labels")


def test_v5_sparse_with_negative_dimensions_is_refused(tmp_path):
    buf = io.BytesIO()
    scipy.io.savemat(buf, {"YAll": TEXT}, do_compression=False)
    raw = bytearray(buf.getvalue())
    dims = 128 + 8 + 16 + 8  # matrix tag, array flags, the dimensions' tag
    assert struct.unpack_from("<ii", raw, dims) == (12, 9)
    struct.pack_into("<i", raw, dims, -704_643_060)
    (tmp_path / "d.mat").write_bytes(bytes(raw))
    with pytest.raises(DataFormatError, match=r"variable 'YAll': .*negative dimensions \(-704643060, 9\)"):
        read_modality(tmp_path / "d.mat", "text")


def test_npz_with_bytes_before_its_first_member_is_refused_as_numpy_refuses_it(tmp_path):
    good = npz_bytes({"labels": np.eye(3, dtype=np.uint8)})
    np.save(tmp_path / "q.npy", np.eye(3, dtype=np.uint8))
    (tmp_path / "db.npz").write_bytes(b"kU\xe2;" + good)
    with pytest.raises(ValueError):
        np.load(tmp_path / "db.npz", allow_pickle=False)
    with pytest.raises(DataFormatError, match=r"db\.npz' is not a readable \.npz archive .*does not start with a zip"):
        read_label_files(tmp_path / "q.npy", tmp_path / "db.npz")
    (tmp_path / "db.npz").write_bytes(good)
    assert np.array_equal(read_label_files(tmp_path / "q.npy", tmp_path / "db.npz")[1], np.eye(3))
    empty = io.BytesIO()
    np.savez(empty)
    assert empty.getvalue()[:4] == b"PK\x05\x06"  # an empty archive still opens (as numpy's does)


def test_checkpoint_member_marked_as_a_folder_is_refused_by_name(tmp_path):
    good = _seed_bytes()[0]
    (tmp_path / "good.pt").write_bytes(good)
    (tmp_path / "bad.pt").write_bytes(folder_marked(good))
    assert load_checkpoint(tmp_path / "good.pt")["kind"] in ("model", "training")
    for _ in range(3):  # torch read a buffer left by the previous load: every load must refuse it
        with pytest.raises(CheckpointError, match=r"bad\.pt' is corrupted: its archive's directory marks the "
                                                  r"member 'archive/data\.pkl' as a folder"):
            load_checkpoint(tmp_path / "bad.pt")
        load_checkpoint(tmp_path / "good.pt")


def test_hdf5_chunk_stored_in_fewer_bytes_than_it_holds_is_refused(tmp_path):
    path = tmp_path / "data.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("image", data=np.ones((3, 6), np.float32))
        f.create_dataset("text", data=np.ones((3, 9), np.float32))
        f.create_dataset("labels", data=np.eye(3, 4, dtype=np.uint8))
        f.create_dataset("ids", data=np.array([7, 8, 33], np.int64), chunks=(3,))
    with h5py.File(path, "r") as f:
        offset = f["ids"].id.get_chunk_info(0).byte_offset
    assert load_generic(path).ids.tolist() == [7, 8, 33]
    raw = bytearray(path.read_bytes())
    # the chunk's size lives in the chunk index (a v1 B-tree key: uint32 size, uint32 filter mask, offsets):
    # find the 24 recorded next to this chunk's address and make it 16, as the fuzz mutation did
    key = raw.index(struct.pack("<Q", offset)) - 8 - 8 - 8
    assert struct.unpack_from("<I", raw, key)[0] == 24, "the chunk record moved: adjust the test"
    struct.pack_into("<I", raw, key, 16)
    path.write_bytes(bytes(raw))
    with pytest.raises(DataFormatError, match=r"data\.h5', variable 'ids': its 1 chunk\(s\) of 24 bytes are stored "
                                              r"in 16 bytes"):
        load_generic(path)


def test_checkpoint_zip_directory_zipfile_cannot_read_is_still_one_clear_error(tmp_path):
    """The check above must not add a crash of its own: zipfile refuses a "needs version 25.5" entry with
    NotImplementedError (found by the long run after the check was added)."""
    raw = bytearray(_seed_bytes()[0])
    at = raw.index(b"PK\x01\x02")
    raw[at + 6:at + 8] = struct.pack("<H", 255)  # version needed to extract: 25.5
    (tmp_path / "v.pt").write_bytes(bytes(raw))
    try:
        load_checkpoint(tmp_path / "v.pt")
    except CheckpointError as exc:
        assert "v.pt" in str(exc)
