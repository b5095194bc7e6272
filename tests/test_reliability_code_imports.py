"""Regression tests for the code-file import paths (``hashx codes import``, hashx.code_formats) found by
the hostile-input corpus (issue 15): a ``.npy`` declaring more rows than it holds asked numpy for
terabytes (MemoryError), a faiss file whose code byte count was damaged asked faiss for 512 GiB
(``std::bad_alloc``), and a MATLAB v5 element of an unknown data type made scipy's reader die with
SIGSEGV -- in ``hashx codes import`` and in every other v5 reader (datasets, ``hashx encode``, CNN-F
weights).  Each is now one clear error naming the file."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from hostile.code_imports import _faiss, _npy_declaring, v5_real_part_typed
from test_reliability_data import _run_isolated

from hashx.code_formats import import_codes
from hashx.codefile import load_codes
from hashx.exceptions import CodeFileError, DataFormatError
from hashx_cli.main import cli


def test_v5_element_types_scipy_has_no_dtype_for_are_refused_in_a_subprocess(tmp_path):
    """Before the fix, each of these files killed the process (exit -11) in scipy.io.loadmat."""
    for kind in (0, 8, 14, 19, 100):
        for compressed in (False, True):
            (tmp_path / f"t{kind}-{int(compressed)}.mat").write_bytes(v5_real_part_typed(kind, compressed=compressed))
    (tmp_path / "ok.mat").write_bytes(v5_real_part_typed(9, compressed=True))
    results = _run_isolated(f"""
        import json
        from pathlib import Path
        from hashx.code_formats import import_codes
        from hashx.data import MatFile, read_modality
        from hashx.data.vggf import read_vggf
        from hashx.exceptions import HashxError
        out = {{}}
        for path in sorted(Path({str(tmp_path)!r}).glob("*.mat")):
            for what, read in (("import", lambda p: import_codes(p, p.with_suffix(".hxc"))),
                               ("matfile", lambda p: MatFile(p).read("B")),
                               ("vggf", read_vggf)):
                try:
                    read(path)
                    out[path.name + " " + what] = "accepted"
                except HashxError as exc:
                    out[path.name + " " + what] = str(exc)
        print(json.dumps(out))
    """)
    for key, message in results.items():
        name, what = key.split()
        if name == "ok.mat":
            assert message == "accepted" or what == "vggf", (key, message)
            continue
        kind = int(name[1:].split("-")[0])
        assert f"{name}', variable 'B': the variable is damaged (its real part has data type {kind}" in message, \
            (key, message)
    assert np.array_equal(load_codes(tmp_path / "ok.hxc").codes, np.full((2, 1), 255, np.uint8))


def test_v5_flags_saying_complex_without_an_imaginary_part_in_a_subprocess(tmp_path):
    """The long fuzz run's find: array flags damaged to say "complex" made scipy read the next variable's tag as
    the imaginary part and die with SIGSEGV; the flags now have to agree with the parts the matrix holds."""
    raw = bytearray(v5_real_part_typed(9, compressed=False))
    raw[128 + 8 + 8 + 1] |= 0x08  # the complex bit of the array flags
    (tmp_path / "complex.mat").write_bytes(bytes(raw) + bytes(raw[128:]))  # a second variable after it
    results = _run_isolated(f"""
        import json
        from hashx.data import MatFile
        from hashx.exceptions import HashxError
        try:
            MatFile({str(tmp_path / "complex.mat")!r}).read("B")
            print(json.dumps("accepted"))
        except HashxError as exc:
            print(json.dumps(str(exc)))
    """)
    assert "complex.mat', variable 'B': the variable is damaged (" in results, results


def test_npy_declaring_10e12_rows_is_refused_before_allocating(tmp_path):
    path = tmp_path / "codes.npy"
    path.write_bytes(_npy_declaring("(1000000000000, 2)", "|u1"))
    with pytest.raises(DataFormatError, match=r"codes\.npy.*truncated or corrupted"):
        import_codes(path, tmp_path / "out.hxc")
    assert not (tmp_path / "out.hxc").exists()


@pytest.mark.parametrize("fields, message", [
    ({"size": 2**39}, r"its codes declare 549,755,813,888 entries of 1 byte\(s\) but the file holds 8 bytes"),
    ({"size": 9}, r"its codes declare 9 entries"),
])
def test_faiss_byte_count_larger_than_the_file_is_refused_before_faiss_allocates(tmp_path, fields, message):
    path = tmp_path / "codes.faiss"
    path.write_bytes(_faiss(np.arange(8, dtype=np.uint8).reshape(4, 2), 16, **fields))
    with pytest.raises(CodeFileError, match=r"codes\.faiss' is not a readable faiss binary index: " + message):
        import_codes(path, tmp_path / "out.hxc")


def test_cli_codes_import_on_the_three_files_is_one_error_line(tmp_path):
    (tmp_path / "a.npy").write_bytes(_npy_declaring("(1000000000000, 2)", "|u1"))
    (tmp_path / "a.faiss").write_bytes(_faiss(np.zeros((4, 2), np.uint8), 16, size=2**39))
    (tmp_path / "a.mat").write_bytes(v5_real_part_typed(9, compressed=False)[:-40])
    for src in ("a.npy", "a.faiss", "a.mat"):
        result = CliRunner().invoke(cli, ["codes", "import", str(tmp_path / src), "--out", str(tmp_path / "o.hxc")])
        lines = result.stderr.strip().splitlines()
        assert result.exit_code == 1 and len(lines) == 1 and lines[0].startswith("Error: ") and src in lines[0], \
            (src, result.stderr)
    assert json.dumps(sorted(p.name for p in tmp_path.iterdir())) == '["a.faiss", "a.mat", "a.npy"]'
