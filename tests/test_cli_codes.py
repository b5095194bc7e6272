"""hashx codes info / export / import: exact round trips through faiss, .npy and .mat (read back with
scipy.io.loadmat to the stated matrix), corrupted inputs as one-line errors, and no torch import."""

import json
import subprocess
import sys
import textwrap

import faiss  # faiss-cpu is in the dev extra: these tests never skip
import numpy as np
import pytest
import scipy.io
from click.testing import CliRunner
from data_builders import write_mat_v73

from hashx import load_codes, save_codes, unpack_codes
from hashx_cli.main import cli


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def fail(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 1 and result.output.startswith("Error: "), result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    return result.output


@pytest.fixture
def codes_file(tmp_path):
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 256, size=(37, 4), dtype=np.uint8)
    codes[5] = codes[3]  # a repeated code
    save_codes(tmp_path / "c.hxc", codes, 32)
    return tmp_path / "c.hxc", codes


def test_mat_export_reads_back_with_loadmat_as_the_stated_matrix(codes_file, tmp_path):
    path, codes = codes_file
    run("codes", "export", path, "--out", tmp_path / "pm1.mat")
    B = scipy.io.loadmat(tmp_path / "pm1.mat")["B"]
    assert B.dtype == np.float64 and B.shape == (37, 32)
    # by hand: column j is bit j of the packed row, most significant bit of byte 0 first; +1 for bit 1
    expected = np.array([[1.0 if (row[j // 8] >> (7 - j % 8)) & 1 else -1.0 for j in range(32)] for row in codes])
    assert np.array_equal(B, expected) and np.array_equal(B, unpack_codes(codes, 32))
    run("codes", "export", path, "--format", "mat", "--values", "01", "--variable", "codes",
        "--out", tmp_path / "b.mat")
    B01 = scipy.io.loadmat(tmp_path / "b.mat")["codes"]
    assert np.array_equal(B01, (expected + 1) / 2)
    # DCMH-style Hamming distance from the +-1 matrix equals the popcount of the XOR
    ham = 0.5 * (32 - B @ B.T)
    assert ham[0, 1] == np.bitwise_count(codes[0] ^ codes[1]).sum()
    for mat in ("pm1.mat", "b.mat"):
        run("codes", "import", tmp_path / mat, "--out", tmp_path / f"{mat}.hxc")
        assert (tmp_path / f"{mat}.hxc").read_bytes() == path.read_bytes()


def test_npy_and_faiss_round_trips_are_byte_identical(codes_file, tmp_path):
    path, codes = codes_file
    for name in ("c.npy", "c.faiss"):
        run("codes", "export", path, "--out", tmp_path / name)
        run("codes", "import", tmp_path / name, "--out", tmp_path / f"{name}.hxc")
        assert (tmp_path / f"{name}.hxc").read_bytes() == path.read_bytes()
    assert np.array_equal(np.load(tmp_path / "c.npy"), codes)
    flat = faiss.read_index_binary(str(tmp_path / "c.faiss"))
    assert flat.d == 32 and flat.ntotal == 37
    np.save(tmp_path / "pm1.npy", unpack_codes(codes, 32))  # an unpacked int8 +-1 matrix is accepted too
    run("codes", "import", tmp_path / "pm1.npy", "--out", tmp_path / "pm1.hxc")
    assert np.array_equal(load_codes(tmp_path / "pm1.hxc").codes, codes)


def test_faiss_ids_other_than_row_numbers_need_an_ids_file(tmp_path):
    codes = np.random.default_rng(1).integers(0, 256, size=(20, 8), dtype=np.uint8)
    ids = np.arange(20, dtype=np.int64)[::-1] * 7
    idmap = faiss.IndexBinaryIDMap(faiss.IndexBinaryFlat(64))
    idmap.add_with_ids(codes, ids)
    faiss.write_index_binary(idmap, str(tmp_path / "m.index"))
    assert "--ids-out" in fail("codes", "import", tmp_path / "m.index", "--out", tmp_path / "m.hxc")
    assert not (tmp_path / "m.hxc").exists()
    out = run("codes", "import", tmp_path / "m.index", "--out", tmp_path / "m.hxc", "--ids-out", tmp_path / "ids.npy")
    assert "ids in" in out
    assert np.array_equal(np.load(tmp_path / "ids.npy"), ids[::-1])
    assert np.array_equal(load_codes(tmp_path / "m.hxc").codes, codes[::-1])  # in ascending id order


def test_info_reports_hand_checkable_facts(tmp_path):
    codes = np.array([[0xFF, 0x00], [0xFF, 0x00], [0x0F, 0x01]], dtype=np.uint8)
    save_codes(tmp_path / "s.hxc", codes, 16)
    info = json.loads(run("codes", "info", tmp_path / "s.hxc", "--json"))
    assert info["nbits"] == 16 and info["count"] == 3 and info["distinct_codes"] == 2
    assert info["ones_fraction_mean"] == round((8 + 8 + 5) / 48, 6)
    assert info["ones_fraction_min"] == 0.0 and info["ones_fraction_max"] == 1.0
    assert len(info["payload_sha256"]) == 64
    assert "distinct_codes" in run("codes", "info", tmp_path / "s.hxc")


def test_bad_inputs_are_one_line_errors(codes_file, tmp_path):
    path, _ = codes_file
    scipy.io.savemat(tmp_path / "odd.mat", {"B": np.ones((3, 12))})
    assert "multiple of 8" in fail("codes", "import", tmp_path / "odd.mat", "--out", tmp_path / "x.hxc")
    scipy.io.savemat(tmp_path / "mixed.mat", {"B": np.array([[0, 1, -1, 1, 1, 1, 1, 1]])})
    assert "only +1/-1 or only 0/1" in fail("codes", "import", tmp_path / "mixed.mat", "--out", tmp_path / "x.hxc")
    scipy.io.savemat(tmp_path / "two.mat", {"P": np.ones((2, 8)), "Q": np.ones((2, 8))})
    assert "name the variable" in fail("codes", "import", tmp_path / "two.mat", "--out", tmp_path / "x.hxc")
    data = (tmp_path / "c.hxc").read_bytes()
    run("codes", "export", path, "--out", tmp_path / "c.faiss")
    (tmp_path / "cut.faiss").write_bytes((tmp_path / "c.faiss").read_bytes()[:60])
    assert "not a readable faiss" in fail("codes", "import", tmp_path / "cut.faiss", "--out", tmp_path / "x.hxc")
    (tmp_path / "bad.hxc").write_bytes(data[:100])
    assert "truncated" in fail("codes", "export", tmp_path / "bad.hxc", "--out", tmp_path / "y.npy")
    assert "Cannot tell the format" in fail("codes", "export", path, "--out", tmp_path / "y.txt")
    assert not (tmp_path / "x.hxc").exists() and not (tmp_path / "y.npy").exists()


def test_mat_v73_import(codes_file, tmp_path):
    path, codes = codes_file
    write_mat_v73(tmp_path / "v73.mat", {"B": unpack_codes(codes, 32).astype(np.float64)})
    run("codes", "import", tmp_path / "v73.mat", "--out", tmp_path / "v73.hxc")
    assert (tmp_path / "v73.hxc").read_bytes() == path.read_bytes()


def test_codes_commands_never_import_torch(codes_file, tmp_path):
    path, _ = codes_file
    code = textwrap.dedent(f"""
        import sys
        from click.testing import CliRunner
        from hashx_cli.main import cli
        for args in (["codes", "info", {str(path)!r}],
                     ["codes", "export", {str(path)!r}, "--out", {str(tmp_path / "t.mat")!r}],
                     ["codes", "export", {str(path)!r}, "--out", {str(tmp_path / "t.faiss")!r}],
                     ["codes", "import", {str(tmp_path / "t.faiss")!r}, "--out", {str(tmp_path / "t.hxc")!r}],
                     ["codes", "import", {str(tmp_path / "t.mat")!r}, "--out", {str(tmp_path / "u.hxc")!r}]):
            result = CliRunner().invoke(cli, args)
            assert result.exit_code == 0, result.output
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in {{"torch", "torchvision", "open_clip"}})
        print(",".join(heavy) or "clean")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "clean"
