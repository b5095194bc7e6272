"""Regression tests for the reader defects of issue 15 (items 1, 4, 9 and 10), each with the issue's own
example: a malformed CSR text matrix, declared sizes trusted before reading, .npz files with object
arrays / a damaged member / the wrong format, an HDF5 group where an array should be, raw images too
small for CNN-F, label files read per file, and errors that did not name the file."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import h5py
import numpy as np
import pytest
import scipy.sparse as sp
from click.testing import CliRunner
from data_builders import write_mat_v73
from hostile.arrays import h5_bytes, npz_bytes, seed_arrays

from hashx.codefile import save_codes
from hashx.data import LazyImages, load_generic, read_label_files, read_modality
from hashx.data.matfile import MatFile
from hashx.exceptions import DataFormatError, HashxValueError
from hashx.metrics import retrieval_report
from hashx_cli.main import cli

REPO = Path(__file__).resolve().parents[1]
LEGACY_MODEL = REPO / "tests" / "data" / "legacy" / "ssah-format1-model.pt"


def _malformed_csr(path, *, indptr5=None, index0=None) -> Path:
    """A valid generic .npz with a CSR text matrix, then the issue's edit of one of its parts."""
    arrays = seed_arrays(0, n=20, csr=True)
    if indptr5 is not None:
        arrays["text_indptr"] = arrays["text_indptr"].copy()
        arrays["text_indptr"][5] = indptr5
    if index0 is not None:
        arrays["text_indices"] = arrays["text_indices"].copy()
        arrays["text_indices"][0] = index0
    path.write_bytes(npz_bytes(arrays))
    return path


# -- item 1: a malformed sparse text matrix never reaches scipy -----------------------------------
def _run_isolated(script: str) -> dict:
    """Run ``script`` in a fresh interpreter (a segfault must not take pytest down); its last stdout line is JSON."""
    env = {"PYTHONPATH": f"{REPO}:{REPO / 'cli'}:{REPO / 'tests'}", "PATH": "/usr/bin:/bin",
           "HOME": str(Path.home())}
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, f"the process died (exit {proc.returncode}): {proc.stderr[-2000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_malformed_csr_is_refused_by_inspect_train_and_encode_in_a_subprocess(tmp_path):
    """Before the fix, `data inspect` and `train` died with SIGSEGV (exit 139), `encode` with SIGABRT (134),
    and with one column index out of range `encode` wrote a wrong code.  Every command must exit 1 with one
    line naming the file and 'text'."""
    files = {"indptr": _malformed_csr(tmp_path / "indptr.npz", indptr5=10**6),
             "indices": _malformed_csr(tmp_path / "indices.npz", index0=10**6)}
    results = _run_isolated(f"""
        import json
        from click.testing import CliRunner
        from hashx_cli.main import cli
        out = {{}}
        for name, path in {json.dumps({k: str(v) for k, v in files.items()})}.items():
            for cmd, args in (
                ("inspect", ["data", "inspect", "--dataset", "files", "--data-dir", path]),
                ("train", ["train", "--dataset", "files", "--data-dir", path, "--bits", "16", "--epochs", "1",
                           "--out", path + ".run", "-q"]),
                ("encode", ["encode", "--checkpoint", {str(LEGACY_MODEL)!r}, "--modality", "text",
                            "--input", path, "--out", path + ".hxc", "-q"]),
            ):
                r = CliRunner().invoke(cli, args)
                out[name + " " + cmd] = [r.exit_code, r.stderr, type(r.exception).__name__]
        print(json.dumps(out))
    """)
    for key, (code, stderr, exc) in results.items():
        name = key.split()[0]
        assert code == 1 and exc == "SystemExit", (key, code, stderr)
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), (key, stderr)
        assert f"{name}.npz', variable 'text'" in lines[0], (key, lines[0])
    assert "'indptr' must never decrease. Entry 6" in results["indptr inspect"][1]
    assert "column index 1000000 at position 0 is outside 0..8" in results["indices encode"][1]
    assert not (tmp_path / "indices.npz.hxc").exists()


def test_malformed_sparse_parts_library_errors_in_a_subprocess(tmp_path):
    """The library's messages for the issue's two edits, a negative index, and a MATLAB v7.3 sparse matrix
    whose column pointers (jc) are corrupted the same way (scipy would sort out of bounds)."""
    from hostile.arrays import _mat_arrays, _v73_bad_sparse

    _malformed_csr(tmp_path / "indptr.npz", indptr5=10**6)
    _malformed_csr(tmp_path / "indices.npz", index0=10**6)
    _malformed_csr(tmp_path / "negative.npz", index0=-1)
    (tmp_path / "jc.mat").write_bytes(_v73_bad_sparse(_mat_arrays(5)))
    results = _run_isolated(f"""
        import json
        from pathlib import Path
        from hashx.data import load_generic, read_modality
        from hashx.exceptions import DataFormatError
        out = {{}}
        folder = Path({str(tmp_path)!r})
        for name, read in (("indptr.npz", load_generic), ("indices.npz", load_generic),
                           ("negative.npz", lambda p: read_modality(p, "text")),
                           ("jc.mat", lambda p: read_modality(p, "text"))):
            try:
                read(folder / name)
                out[name] = "accepted"
            except DataFormatError as exc:
                out[name] = str(exc)
        print(json.dumps(out))
    """)
    assert re.search(r"indptr\.npz', variable 'text': 'indptr' must never decrease", results["indptr.npz"])
    assert re.search(r"indices\.npz', variable 'text': column index 1000000 at position 0 is outside 0\.\.8",
                     results["indices.npz"])
    assert re.search(r"negative\.npz', variable 'text': column index -1 at position 0", results["negative.npz"])
    assert re.search(r"jc\.mat', variable 'YAll': 'jc' must never decrease", results["jc.mat"])


def test_valid_csr_still_reads_exactly(tmp_path):
    path = _malformed_csr(tmp_path / "d.npz")
    text = read_modality(path, "text")
    arrays = seed_arrays(0, n=20, csr=True)
    expected = np.zeros((20, 9), np.float32)
    for r in range(20):  # explicit decoding of the stored parts
        for k in range(arrays["text_indptr"][r], arrays["text_indptr"][r + 1]):
            expected[r, arrays["text_indices"][k]] += arrays["text_data"][k]
    assert sp.issparse(text)
    np.testing.assert_array_equal(text.toarray(), expected)


# -- item 4: declared sizes are checked before anything is allocated ------------------------------
def test_7kb_hdf5_file_declaring_10e10_by_1000_floats(tmp_path):
    path = tmp_path / "d.h5"
    path.write_bytes(h5_bytes({**seed_arrays(1), "image": ("declared", (10**10, 1000), np.float32)}))
    assert path.stat().st_size < 16_000
    with pytest.raises(DataFormatError, match=r"File '.*d\.h5', variable 'image': declares an array of shape "
                                              r"\(10000000000, 1000\) \(36\.4 TiB\) but stores only 0 bytes"):
        load_generic(path)
    with pytest.raises(DataFormatError, match="variable 'image': declares"):
        read_modality(path, "image")


def test_v73_mat_declaring_a_huge_matrix(tmp_path):
    def declared(f, name):
        f.create_dataset(name, shape=(1000, 10**10), dtype=np.float64, chunks=(10, 1000)).attrs.create(
            "MATLAB_class", np.bytes_("double"))

    path = write_mat_v73(tmp_path / "x.mat", {"XAll": declared})
    with pytest.raises(DataFormatError, match=r"variable 'XAll': declares an array of shape \(1000, 10000000000\)"):
        read_modality(path, "image")


def test_lazy_raw_images_declaring_10e8_images(tmp_path):
    path = tmp_path / "d.h5"
    path.write_bytes(h5_bytes({**seed_arrays(2), "image": ("declared", (10**8, 224, 224, 3), np.uint8)}))
    with pytest.raises(DataFormatError, match=r"variable 'image': declares an array of shape \(100000000, 224"):
        load_generic(path)


@pytest.mark.parametrize("shape, message", [
    ([10**10, 9], "two integers in 0..2147483647"),
    ([20, 10**12], "two integers in 0..2147483647"),
    ([21, 9], r"'indptr' must have 22 entries"),
    ([20, 9, 1], "two integers"),
])
def test_csr_text_shape_is_not_trusted(tmp_path, shape, message):
    arrays = seed_arrays(0, n=20, csr=True)
    (tmp_path / "d.npz").write_bytes(npz_bytes({**arrays, "text_shape": np.array(shape)}))
    with pytest.raises(DataFormatError, match=rf"variable 'text': .*{message}"):
        load_generic(tmp_path / "d.npz")


def test_memory_limit_is_checked_before_allocating(tmp_path, monkeypatch):
    """A declared size the storage could hold but the machine's memory cannot: refused, not a MemoryError."""
    from hashx.data import _limits

    path = tmp_path / "d.npz"
    path.write_bytes(npz_bytes(seed_arrays(3)))
    monkeypatch.setattr(_limits, "memory_limit", lambda: 100)
    with pytest.raises(DataFormatError, match=r"variable '.*': reading it needs a .* more than this machine's memory"):
        load_generic(path)


def _npz_with(arrays, **pickle):
    import io

    buf = io.BytesIO()
    np.savez(buf, **arrays, **pickle)
    return buf.getvalue()


def test_npz_object_arrays_are_refused_and_never_unpickled(tmp_path):
    arrays = seed_arrays(4)
    arrays["labels"] = np.array([[1, 0], [0]], dtype=object)
    (tmp_path / "d.npz").write_bytes(_npz_with(arrays, allow_pickle=True))
    for read in (load_generic, lambda p: read_modality(p, "labels")):
        with pytest.raises(DataFormatError, match=r"variable 'labels': holds Python objects .*allow_pickle=False"):
            read(tmp_path / "d.npz")


def test_npz_damaged_member_and_wrong_formats(tmp_path):
    from hostile.arrays import _corrupt_first_member

    good = npz_bytes(seed_arrays(5), compressed=True)
    (tmp_path / "damaged.npz").write_bytes(_corrupt_first_member(good))
    with pytest.raises(DataFormatError, match=r"damaged\.npz', variable '\w+': the archive member is damaged"):
        load_generic(tmp_path / "damaged.npz")
    (tmp_path / "text.npz").write_text("image,text,labels\n1,2,3\n")
    with pytest.raises(DataFormatError, match=r"text\.npz' is not a readable \.npz archive"):
        read_modality(tmp_path / "text.npz", "image")
    np.save(tmp_path / "a.npy", np.eye(3))
    (tmp_path / "a.npy").rename(tmp_path / "renamed.npz")
    with pytest.raises(DataFormatError, match=r"It is a \.npy file: name it \.npy"):
        read_modality(tmp_path / "renamed.npz", "image")


def test_hdf5_group_where_an_array_should_be(tmp_path):
    a = seed_arrays(6)
    with h5py.File(tmp_path / "d.h5", "w") as f:
        f.create_group("image").create_dataset("x", data=a["image"])
        f["labels"] = a["labels"]
        f["text"] = a["text"]
    with pytest.raises(DataFormatError, match=r"d\.h5', variable 'image': is an HDF5 group"):
        load_generic(tmp_path / "d.h5")
    with pytest.raises(DataFormatError, match=r"variable 'image': is an HDF5 group"):
        read_modality(tmp_path / "d.h5", "image")


def test_inspect_files_without_data_dir_is_one_clear_line():
    result = CliRunner().invoke(cli, ["data", "inspect", "--dataset", "files"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.stderr.startswith("Error: The 'path' parameter of load_generic is required")
    assert "--data-dir" in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("size, ok", [(62, False), (63, True)])
def test_raw_images_smaller_than_cnnf_input_fail_at_load(tmp_path, size, ok):
    from hashx.models.cnnf import MIN_IMAGE_SIZE

    assert MIN_IMAGE_SIZE == 63
    a = seed_arrays(7, n=3)
    a["image"] = np.zeros((3, size, size + 5, 3), np.uint8)
    (tmp_path / "d.npz").write_bytes(npz_bytes(a))
    path = tmp_path / "d.npz"
    if ok:
        assert isinstance(load_generic(path).image, LazyImages)
        return
    with pytest.raises(DataFormatError, match=r"variable 'image': raw images must be at least 63x63 .*Got 62x67"):
        load_generic(path)
    result = CliRunner().invoke(cli, ["data", "inspect", "--dataset", "files", "--data-dir", str(path)])
    assert result.exit_code == 1 and "at least 63x63" in result.stderr
    result = CliRunner().invoke(cli, ["encode", "--checkpoint", str(LEGACY_MODEL), "--modality", "image",
                                      "--input", str(path), "--out", str(tmp_path / "c.hxc"), "-q"])
    assert result.exit_code == 1 and "at least 63x63" in result.stderr


# -- item 10: every reader error names the file (and the variable) --------------------------------
def test_truncated_and_non_hdf5_files_are_named(tmp_path):
    a = seed_arrays(8)
    good = h5_bytes(a)
    (tmp_path / "cut.h5").write_bytes(good[: len(good) // 2])
    (tmp_path / "not.h5").write_bytes(b"plain text, not HDF5\n" * 50)
    for name in ("cut.h5", "not.h5"):
        with pytest.raises(DataFormatError, match=rf"File '.*{name}' is not a readable HDF5 file"):
            read_modality(tmp_path / name, "image")
    mat = write_mat_v73(tmp_path / "x.mat", {"XAll": a["image"].astype(np.float64)})
    data = mat.read_bytes()
    (tmp_path / "cut.mat").write_bytes(data[: len(data) - 200])
    with pytest.raises(DataFormatError, match=r"cut\.mat'"):
        MatFile(tmp_path / "cut.mat").read("XAll")


def test_lazy_images_whose_file_is_truncated_after_opening_name_it(tmp_path):
    a = seed_arrays(9, n=40, raw=True)
    path = tmp_path / "raw.h5"
    path.write_bytes(h5_bytes(a))
    ds = load_generic(path)
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.truncate(size // 3)
    with pytest.raises(DataFormatError, match=r"Raw images '.*raw\.h5' variable 'image': the file .* shrank from"):
        ds.image.read(np.arange(40))
    ds.image._store.file.close()


# -- item 9: label files share one class space ---------------------------------------------------
def test_query_ids_1_to_8_against_database_ids_1_to_10(tmp_path):
    rng = np.random.default_rng(0)
    q_ids, db_ids = rng.integers(1, 9, 30), rng.integers(1, 11, (50, 1))
    np.save(tmp_path / "q.npy", q_ids)
    np.save(tmp_path / "db.npy", db_ids)
    ql, dl = read_label_files(tmp_path / "q.npy", tmp_path / "db.npy")
    assert ql.shape == (30, 10) and dl.shape == (50, 10)
    np.testing.assert_array_equal(ql.argmax(1) + 1, q_ids)
    np.testing.assert_array_equal(dl.argmax(1) + 1, db_ids[:, 0])
    q_codes = rng.integers(0, 256, (30, 2), dtype=np.uint8)
    db_codes = rng.integers(0, 256, (50, 2), dtype=np.uint8)
    save_codes(tmp_path / "q.hxc", q_codes, 16)
    save_codes(tmp_path / "db.hxc", db_codes, 16)
    result = CliRunner().invoke(cli, ["eval", "--query-codes", str(tmp_path / "q.hxc"), "--db-codes",
                                      str(tmp_path / "db.hxc"), "--query-labels", str(tmp_path / "q.npy"),
                                      "--db-labels", str(tmp_path / "db.npy"), "--k", "5", "--json"])
    assert result.exit_code == 0, result.output
    # relevance is "same class id": the report must equal the one on hand-made one-hot labels
    eye = np.eye(10, dtype=np.uint8)
    want = retrieval_report(q_codes, db_codes, eye[q_ids - 1], eye[db_ids[:, 0] - 1], ks=[5])
    assert json.loads(result.stdout)["map"] == pytest.approx(want["map"], abs=0)


def test_a_single_0_1_column_is_one_binary_label(tmp_path):
    np.save(tmp_path / "q.npy", np.array([1, 0, 1]))
    np.save(tmp_path / "db.npy", np.array([[0], [1], [1], [0]]))
    ql, dl = read_label_files(tmp_path / "q.npy", tmp_path / "db.npy")
    np.testing.assert_array_equal(ql, [[1], [0], [1]])
    np.testing.assert_array_equal(dl, [[0], [1], [1], [0]])
    # an item with 0 has no label: relevant to nothing, so such a query scores 0
    codes = np.zeros((3, 1), np.uint8)
    report = retrieval_report(codes, np.zeros((4, 1), np.uint8), ql, dl, ks=[2])
    assert report["map"] == pytest.approx((1 / 2 * (1 / 2 + 2 / 3)) * 2 / 3)


def test_class_ids_against_a_multi_hot_matrix_and_the_errors(tmp_path):
    np.save(tmp_path / "ids.npy", np.array([1, 4, 2]))
    np.save(tmp_path / "onehot.npy", np.eye(4, dtype=np.uint8))
    ql, dl = read_label_files(tmp_path / "ids.npy", tmp_path / "onehot.npy")
    np.testing.assert_array_equal(ql, np.eye(4, dtype=np.uint8)[[0, 3, 1]])
    np.save(tmp_path / "five.npy", np.array([1, 5]))
    with pytest.raises(DataFormatError, match=r"five\.npy', variable 'five': class ids must be in 1\.\.4\. Got 5"):
        read_label_files(tmp_path / "five.npy", tmp_path / "onehot.npy")
    np.save(tmp_path / "zero.npy", np.array([0, 2]))
    with pytest.raises(DataFormatError, match=r"zero\.npy', variable 'zero': class ids must be integers >= 1"):
        read_label_files(tmp_path / "zero.npy", tmp_path / "ids.npy")
    np.save(tmp_path / "three.npy", np.eye(3, dtype=np.uint8))
    with pytest.raises(DataFormatError, match=r"disagree on the number of labels .*has 3 and .*has 4"):
        read_label_files(tmp_path / "three.npy", tmp_path / "onehot.npy")


def test_a_one_row_matrix_is_read_as_one_item_when_the_codes_say_so(tmp_path):
    np.save(tmp_path / "row.npy", np.array([[1, 0, 1, 1]], np.uint8))
    np.save(tmp_path / "db.npy", np.eye(4, dtype=np.uint8))
    ql, _ = read_label_files(tmp_path / "row.npy", tmp_path / "db.npy", n_rows=(1, 4))
    np.testing.assert_array_equal(ql, [[1, 0, 1, 1]])
    with pytest.raises(DataFormatError, match="class ids must be integers >= 1"):  # a row vector of 4 ids otherwise
        read_label_files(tmp_path / "row.npy", tmp_path / "db.npy")


def test_read_modality_labels_keeps_the_single_file_rules(tmp_path):
    np.save(tmp_path / "b.npy", np.array([0, 1, 1]))
    np.testing.assert_array_equal(read_modality(tmp_path / "b.npy", "labels", allow_unlabeled=True), [[0], [1], [1]])
    with pytest.raises(DataFormatError, match="every item needs at least one label"):
        read_modality(tmp_path / "b.npy", "labels")
    with pytest.raises(HashxValueError):
        read_modality(tmp_path / "b.npy", "audio")
