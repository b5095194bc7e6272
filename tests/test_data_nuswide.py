"""NUS-WIDE: the real official label tables, their anomalies, the TC subsets, and the DCMH/DADH files."""

import io
import zipfile

import numpy as np
import pytest
from data_builders import (VERSIONS, random_dataset_arrays, real_nuswide, shared_data_dir, write_mat,
                           write_nuswide_dadh, write_nuswide_dcmh)

from hashx.data import LazyImages, load_nuswide, read_nuswide_concepts, select_top_concepts
from hashx.data.nuswide import top_concept_columns
from hashx.exceptions import DataFormatError, HashxValueError


@pytest.fixture(scope="session")
def nus():
    return real_nuswide()


def test_real_tables_shape_and_keys(nus):
    labels, concepts, keys = nus
    assert labels.shape == (269648, 81) and labels.dtype == np.uint8
    assert len(concepts) == 81 and concepts == sorted(concepts)
    assert len(keys) == 269648 and len(set(keys)) == 269648
    assert keys[0] == "actor\\0001_2124494179.jpg"  # first train row
    assert set(np.unique(labels).tolist()) == {0, 1}
    assert int(np.count_nonzero(labels.any(axis=1))) == 209347  # PROVENANCE.md


def test_real_tables_anomalies_are_fixed(nus):
    labels, concepts, keys = nus
    counts = dict(zip(concepts, labels.sum(axis=0).tolist()))
    assert counts["water"] == 35264 and counts["waterfall"] == 627  # header swap undone
    row = keys.index("house_of_worship\\0098_1153198149.jpg")
    assert labels[row, concepts.index("lake")] == 0  # the -1130179 cell counts as 0


@pytest.mark.parametrize("n, size, expected", [
    (21, 195834, None),
    (10, 186577, ["animal", "buildings", "clouds", "grass", "lake", "person", "plants", "sky", "water", "window"]),
])
def test_real_top_concept_subsets(nus, n, size, expected):
    labels, concepts, _ = nus
    rows, sub = select_top_concepts(labels, concepts, n)
    assert rows.shape == (size,) and rows.dtype == np.int64 and sub.shape == (size, n) and sub.dtype == np.uint8
    assert (np.diff(rows) > 0).all() and sub.any(axis=1).all()
    cols = top_concept_columns(labels, n)
    if expected is not None:
        assert [concepts[c] for c in cols] == expected
    # oracle: a plain loop over the concept counts
    counts = labels.sum(axis=0, dtype=np.int64).tolist()
    top = sorted(range(81), key=lambda c: (-counts[c], c))[:n]
    assert sorted(top) == cols.tolist()
    on_top = labels[:, sorted(top)]
    np.testing.assert_array_equal(sub, on_top[rows])
    unselected = np.ones(labels.shape[0], bool)
    unselected[rows] = False
    assert not on_top[unselected].any()


def _zip_table(path, member, header, rows):
    text = ",".join(header) + "\r\n" + "".join(",".join(r) + "\r\n" for r in rows)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(member, text)


def test_small_tables_with_both_anomalies(tmp_path):
    """A hand-made table in the official format: train then test rows, odd values -> 0, swap undone."""
    concepts = [f"c{i:02d}" for i in range(79)] + ["water", "waterfall"]
    header = ["image"] + concepts

    def row(key, ones, odd=None):
        v = ["0"] * 81
        for c in ones:
            v[c] = "1"
        if odd is not None:
            v[odd] = "-1130179"
        return [key] + v

    # the column headed 'waterfall' (80) is the frequent one, as in the real release
    _zip_table(tmp_path / "nuswide81_labels_train.zip", "labels_train.csv", header,
               [row("a\\1.jpg", [0, 80]), row("a\\2.jpg", [80], odd=5), row("b\\3.jpg", [])])
    _zip_table(tmp_path / "nuswide81_labels_test.zip", "labels_test.csv", header,
               [row("c\\4.jpg", [79, 80]), row("c\\5.jpg", [3])])
    labels, names, keys = read_nuswide_concepts(tmp_path)
    assert keys == ["a\\1.jpg", "a\\2.jpg", "b\\3.jpg", "c\\4.jpg", "c\\5.jpg"]
    assert names == concepts
    expected = np.zeros((5, 81), np.uint8)
    expected[0, [0, 79]] = 1
    expected[1, 79] = 1  # odd value at column 5 -> 0; swap: 'water' is column 79
    expected[3, [80, 79]] = 1
    expected[4, 3] = 1
    np.testing.assert_array_equal(labels, expected)


def test_missing_or_bad_tables(tmp_path):
    with pytest.raises(DataFormatError, match=r"nuswide81_labels_train\.zip.*nuswide81_labels_test\.zip"):
        read_nuswide_concepts(tmp_path)
    (tmp_path / "nuswide81_labels_train.zip").write_bytes(b"not a zip")
    (tmp_path / "nuswide81_labels_test.zip").write_bytes(b"not a zip")
    with pytest.raises(DataFormatError, match=r"nuswide81_labels_train\.zip.*not a readable zip"):
        read_nuswide_concepts(tmp_path)
    buf = io.BytesIO()
    _zip_table(buf, "labels_train.csv", ["image", "a", "b"], [["k", "0", "1"]])
    (tmp_path / "nuswide81_labels_train.zip").write_bytes(buf.getvalue())
    with pytest.raises(DataFormatError, match=r"header must be 'image' followed by 81"):
        read_nuswide_concepts(tmp_path)


def test_select_top_concepts_validates():
    with pytest.raises(HashxValueError, match="'n_concepts'"):
        select_top_concepts(np.zeros((3, 4), np.uint8), list("abcd"), 5)
    with pytest.raises(HashxValueError, match="'concepts'"):
        select_top_concepts(np.zeros((3, 4), np.uint8), list("abc"), 2)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("tc", [21, 10])
def test_dcmh_files_round_trip(tmp_path, version, tc):
    arrays = random_dataset_arrays(9, n_labels=tc, text_dim=20, seed=tc)
    write_nuswide_dcmh(tmp_path, tc, arrays, version)
    ds = load_nuswide(tmp_path, n_concepts=tc)
    assert ds.name == f"nuswide-tc{tc}" and len(ds) == 9
    np.testing.assert_array_equal(ds.labels, arrays["labels"])
    np.testing.assert_array_equal(ds.text, arrays["text"])
    np.testing.assert_array_equal(ds.image, arrays["image"])


@pytest.mark.parametrize("version", VERSIONS)
def test_dcmh_raw_images(tmp_path, version):
    arrays = random_dataset_arrays(3, n_labels=10, raw=True, seed=8)
    write_nuswide_dcmh(tmp_path, 10, arrays, version, image="raw")
    ds = load_nuswide(tmp_path, n_concepts=10, image="raw")
    assert isinstance(ds.image, LazyImages)
    np.testing.assert_array_equal(ds.image.read([2, 0]), arrays["image"][[2, 0]])


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("sparse_text", [False, True])
def test_dadh_file_round_trip(tmp_path, version, sparse_text):
    arrays = random_dataset_arrays(11, n_labels=21, text_dim=25, seed=9)
    write_nuswide_dadh(tmp_path / "NUS-WIDE-TC21.mat", arrays, version, sparse_text=sparse_text)
    ds = load_nuswide(tmp_path, n_concepts=21, sparse_text=sparse_text)
    np.testing.assert_array_equal(ds.labels, arrays["labels"])
    text = ds.text.toarray() if sparse_text else ds.text
    assert ds.text.dtype == np.float32
    np.testing.assert_array_equal(text, arrays["text"])
    np.testing.assert_array_equal(ds.image, arrays["image"])


def test_large_dense_text_becomes_sparse(tmp_path, monkeypatch):
    from hashx.data import _arrays

    arrays = random_dataset_arrays(11, n_labels=21, text_dim=25, seed=9)
    write_nuswide_dadh(tmp_path / "NUS-WIDE-TC21.mat", arrays, "v7.3")
    monkeypatch.setattr(_arrays, "SPARSE_TEXT_BYTES", 100)  # pretend 11 x 25 is large
    ds = load_nuswide(tmp_path, n_concepts=21)
    assert ds.text.format == "csr"
    np.testing.assert_array_equal(ds.text.toarray(), arrays["text"])


@pytest.mark.parametrize("version", VERSIONS)
def test_bad_files(tmp_path, version):
    arrays = random_dataset_arrays(6, n_labels=21, text_dim=10, seed=2)
    path = write_nuswide_dadh(tmp_path / "NUS-WIDE-TC21.mat", arrays, version)
    write_mat(path, {"image": arrays["image"], "text": arrays["text"]}, version)
    with pytest.raises(DataFormatError, match=r"NUS-WIDE-TC21\.mat.*no variable 'label'"):
        load_nuswide(tmp_path)
    write_mat(path, {"image": arrays["image"], "text": arrays["text"], "label": arrays["labels"][:, :10]}, version)
    with pytest.raises(DataFormatError, match=r"variable 'label'.*\(n, 21\)"):
        load_nuswide(tmp_path)
    write_mat(path, {"image": arrays["image"][:4], "text": arrays["text"], "label": arrays["labels"]}, version)
    with pytest.raises(DataFormatError, match=r"Row counts disagree.*'image'.*has 4"):
        load_nuswide(tmp_path)
    text = arrays["text"].astype(np.float64)
    text[0, 0] = np.nan
    write_mat(path, {"image": arrays["image"], "text": text, "label": arrays["labels"]}, version)
    with pytest.raises(DataFormatError, match=r"variable 'text'.*NaN or Inf"):
        load_nuswide(tmp_path)


def test_official_tables_alone_are_not_a_dataset():
    with pytest.raises(DataFormatError, match=r"NUS-WIDE-TC21\.mat.*nus-wide-tc21-lall\.mat.*labels only"):
        load_nuswide(shared_data_dir() / "nuswide")
