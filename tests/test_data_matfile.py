"""MatFile: MATLAB v5 and v7.3 read the same, in MATLAB's orientation."""

import h5py
import numpy as np
import pytest
import scipy.sparse as sp
from data_builders import VERSIONS, write_mat, write_mat_v73

from hashx.data import MatFile, mat_version
from hashx.exceptions import DataFormatError


@pytest.fixture
def variables():
    rng = np.random.default_rng(1)
    return {
        "A": rng.standard_normal((7, 5)),
        "B": rng.random((6, 4)) < 0.5,
        "U": rng.integers(0, 255, size=(3, 9), dtype=np.uint8),
        "S": sp.random(8, 6, density=0.3, random_state=2, format="csc"),
        "F": rng.random((2, 3, 4)).astype(np.float32),
    }


@pytest.mark.parametrize("version", VERSIONS)
def test_round_trip_every_kind(tmp_path, variables, version):
    path = write_mat(tmp_path / "x.mat", variables, version)
    with MatFile(path) as mf:
        assert mf.version == {"v5": "5", "v7.3": "7.3"}[version]
        assert sorted(mf.names()) == sorted(variables)
        for name, value in variables.items():
            assert mf.shape(name) == value.shape, name
            got = mf.read(name)
            if sp.issparse(value):
                assert mf.is_sparse(name) and sp.issparse(got)
                np.testing.assert_array_equal(got.toarray(), value.toarray())
            else:
                assert not mf.is_sparse(name)
                np.testing.assert_array_equal(got, value)
        assert mf.matlab_class("B") == "logical"


def test_v73_axes_are_reversed_on_disk(tmp_path):
    a = np.arange(6.0).reshape(2, 3)
    path = write_mat_v73(tmp_path / "x.mat", {"A": a})
    with h5py.File(path, "r") as f:  # what every h5py-based loader sees
        assert f["A"].shape == (3, 2)
        assert f["A"].attrs["MATLAB_class"] == b"double"
    with MatFile(path) as mf:
        assert mf.shape("A") == (2, 3)
        np.testing.assert_array_equal(mf.read("A"), a)


@pytest.mark.parametrize("version", VERSIONS)
def test_row_blocks_cover_rows_in_order(tmp_path, version):
    a = np.arange(40.0 * 3).reshape(40, 3)
    path = write_mat(tmp_path / "x.mat", {"A": a, "S": sp.csc_matrix(a)}, version)
    with MatFile(path) as mf:
        for name in ("A", "S"):
            blocks = list(mf.row_blocks(name, max_bytes=8 * 3 * 7))  # 7 rows a block when dense
            assert [s for s, _ in blocks] == sorted(s for s, _ in blocks) and blocks[0][0] == 0
            whole = np.vstack([b.toarray() if sp.issparse(b) else b for _, b in blocks])
            np.testing.assert_array_equal(whole, a)
        if version == "v7.3":
            assert len(list(mf.row_blocks("A", max_bytes=8 * 3 * 7))) == 6  # read from disk 7 rows at a time


@pytest.mark.parametrize("version", VERSIONS)
def test_missing_variable_names_file_and_variable(tmp_path, version):
    path = write_mat(tmp_path / "x.mat", {"A": np.ones((2, 2))}, version)
    with MatFile(path) as mf, pytest.raises(DataFormatError, match=r"x\.mat.*no variable 'Z'.*Variables found: A"):
        mf.read("Z")


def test_not_a_mat_file(tmp_path):
    bad = tmp_path / "bad.mat"
    bad.write_bytes(b"this is not a MATLAB file at all" * 10)
    with pytest.raises(DataFormatError, match="bad.mat"):
        MatFile(bad)
    with pytest.raises(DataFormatError, match="does not exist"):
        mat_version(tmp_path / "none.mat")
