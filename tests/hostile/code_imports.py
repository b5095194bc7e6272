"""Code imports (hashx.code_formats.import_codes, ``hashx codes import``): a ``.npy``, a MATLAB ``.mat``
(v5 or v7.3) or a faiss ``IndexBinaryFlat`` file turned into a hashx code file.

The references decode the inputs with numpy / scipy / h5py, or (faiss) from faiss's documented
serialisation of an ``IndexBinaryFlat`` (fourcc ``IBxF``; int32 d, int32 code_size, int64 ntotal,
uint8 is_trained, int32 metric; uint64 byte count, then the codes), and apply the rules of
hashx/code_formats.py's docstring written out again: a 2-d uint8 ``.npy`` is packed codes (at least
one byte a row); any other 2-d numeric matrix holds only +-1 or only 0/1 (bit 1 for +1 and 1) in a
positive multiple of 8 columns; a ``.mat`` holds it in variable ``B`` (or its only variable).
"""

from __future__ import annotations

import io
import struct
import zlib

import h5py
import numpy as np
import scipy.io

from hashx.code_formats import import_codes
from hashx.codefile import load_codes

from . import Family, Rejected, family
from .arrays import _mat_bytes, _mat_v5_uncompressed

NPY, MAT, FAISS = "codes.npy", "codes.mat", "codes.faiss"


def _npy(x) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(x))
    return buf.getvalue()


def _faiss(codes, nbits, *, ntotal=None, size=None) -> bytes:
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    ntotal = codes.shape[0] if ntotal is None else ntotal
    size = codes.size if size is None else size
    return (b"IBxF" + struct.pack("<iiqBiQ", nbits, nbits // 8, ntotal, 1, 1, size) + codes.tobytes())


def _codes(seed, n, nbytes):
    return np.random.default_rng(seed).integers(0, 256, (n, nbytes), dtype=np.uint8)


def _pm1(codes):
    return 2.0 * np.unpackbits(codes, axis=1) - 1.0


def _read(name):
    def read(folder):
        import_codes(folder / name, folder / "out.hxc")
        loaded = load_codes(folder / "out.hxc")
        return loaded.nbits, np.array(loaded.codes)
    return read


def _same(got, want):
    return got[0] == want[0] and got[1].shape == want[1].shape and np.array_equal(got[1], want[1])


def _rule_matrix(m):
    """The documented reading of an unpacked matrix (or packed uint8 when ``packed``)."""
    m = np.asarray(m)
    if m.ndim != 2 or m.dtype.kind not in "biuf" or m.shape[1] == 0 or m.shape[1] % 8:
        raise Rejected(f"not an n x 8k numeric matrix: {m.dtype} {m.shape}")
    values = set(np.unique(m).tolist())
    if not (values <= {-1, 1} or values <= {0, 1}):
        raise Rejected(f"values {sorted(values)[:4]}")
    return m.shape[1], np.packbits(m == 1, axis=1)


# -- .npy -------------------------------------------------------------------------------------
def _npy_seeds():
    c = _codes(0, 5, 4)
    return [{NPY: _npy(c)}, {NPY: _npy(_pm1(c))}, {NPY: _npy(np.unpackbits(c, axis=1).astype(np.int16))},
            {NPY: _npy(np.zeros((0, 2), np.uint8))}]


def _npy_hostile():
    c = _codes(1, 3, 2)
    longer = _npy(c).replace(b"(3, 2)", b"(9, 2)")
    return [(label, {NPY: data}) for label, data in (
        ("empty file", b""),
        ("text file", b"1 0 1 0 1 0 1 0\n" * 3),
        ("an .npz renamed .npy", b"PK\x03\x04" + bytes(40)),
        ("object array", _object_npy()),
        ("declared 10**12 rows", _npy_declaring("(1000000000000, 2)", "|u1")),
        ("declares 9 rows, holds 3", longer),
        ("packed codes of 0 bytes", _npy(np.zeros((3, 0), np.uint8))),
        ("1-d codes", _npy(np.arange(8, dtype=np.uint8))),
        ("3-d codes", _npy(np.zeros((2, 2, 2), np.uint8))),
        ("+-1 matrix of 12 columns", _npy(np.ones((2, 12)))),
        ("values -1, 0, 1", _npy(np.array([[1, 0, -1, 1, 1, 1, 1, 1]], np.int8))),
        ("NaN in a +-1 matrix", _npy(np.where(np.eye(8) > 0, np.nan, 1.0))),
        ("Inf in a 0/1 matrix", _npy(np.where(np.eye(8) > 0, np.inf, 0.0))),
        ("complex matrix", _npy(np.ones((2, 8), np.complex64))),
        ("string matrix", _npy(np.array([["1"] * 8]))),
        ("bool matrix", _npy(np.ones((2, 8), bool))),
    )]


def _object_npy() -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.array([[1], [0, 1]], dtype=object), allow_pickle=True)
    return buf.getvalue()


def _npy_declaring(shape: str, descr: str) -> bytes:
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}".encode()
    header += b" " * (63 - len(header) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + bytes(16)


def _npy_reference(folder):
    try:
        m = np.load(folder / NPY, allow_pickle=False)
    except Exception as exc:
        raise Rejected(f"numpy cannot read it ({type(exc).__name__})") from None
    if not isinstance(m, np.ndarray):
        raise Rejected("not an array")
    if m.dtype == np.uint8 and m.ndim == 2:
        if m.shape[1] == 0:
            raise Rejected("packed codes of 0 bytes")
        return 8 * m.shape[1], m
    return _rule_matrix(m)


def v5_real_part_typed(kind: int, *, compressed: bool) -> bytes:
    """A v5 file holding B = ones(2, 8) whose real-part element says data type ``kind`` (9 is double)."""
    buf = io.BytesIO()
    scipy.io.savemat(buf, {"B": np.ones((2, 8))}, do_compression=False)
    raw = bytearray(buf.getvalue())
    # matrix tag (8), flags (16), dims (16), name "B" as a small element (8): the real part's tag follows
    real = 128 + 8 + 16 + 16 + 8
    struct.pack_into("<I", raw, real, kind)
    if not compressed:
        return bytes(raw)
    body = zlib.compress(bytes(raw[128:]))
    return bytes(raw[:128]) + struct.pack("<II", 15, len(body)) + body


# -- .mat -------------------------------------------------------------------------------------
def _mat_seeds():
    c = _codes(2, 6, 2)
    return [{MAT: _mat_bytes({"B": _pm1(c)}, "v5")}, {MAT: _mat_v5_uncompressed({"B": _pm1(c)})},
            {MAT: _mat_v5_uncompressed({"codes": np.unpackbits(c, axis=1).astype(np.float64)})},
            {MAT: _mat_bytes({"B": _pm1(c), "other": np.ones((2, 2))}, "v7.3")}]


def _mat_hostile():
    c = _codes(3, 4, 1)
    return [(label, {MAT: data}) for label, data in (
        ("two variables, no B", _mat_v5_uncompressed({"x": _pm1(c), "y": _pm1(c)})),
        ("no variable", _mat_v5_uncompressed({})),
        ("B of 0/1/2", _mat_v5_uncompressed({"B": np.full((2, 8), 2.0)})),
        ("B of 7 columns", _mat_v5_uncompressed({"B": np.ones((2, 7))})),
        ("B a string", _mat_v5_uncompressed({"B": "not codes"})),
        ("B a cell array", _mat_v5_uncompressed({"B": np.array([[np.ones(8)]], dtype=object)})),
        ("B sparse", _mat_v5_uncompressed({"B": __import__("scipy.sparse").sparse.csc_matrix(np.ones((2, 8)))})),
        ("B with NaN", _mat_bytes({"B": np.full((2, 8), np.nan)}, "v7.3")),
        ("text file", b"MATLAB 5.0 MAT-file" + bytes(200)),
        ("real part of data type 0 (scipy: SIGSEGV)", v5_real_part_typed(0, compressed=False)),
        ("compressed, real part of data type 19 (scipy: SIGSEGV)", v5_real_part_typed(19, compressed=True)),
    )]


def _mat_reference(folder):
    path = folder / MAT
    try:
        if path.read_bytes()[:8] == b"\x89HDF\r\n\x1a\n" or path.read_bytes()[512:520] == b"\x89HDF\r\n\x1a\n":
            with h5py.File(path, "r") as f:
                # only the variable read is opened; a damaged name comes back as bytes (never "B")
                names = [k for k in f if isinstance(k, bytes) or not k.startswith("#")]
                name = "B" if "B" in names else (names[0] if len(names) == 1 else None)
                if name is None:
                    raise Rejected("no variable B and not exactly one variable")
                node = f[name]
                if not isinstance(node, h5py.Dataset) or node.attrs.get("MATLAB_sparse") is not None:
                    raise Rejected("not a full matrix")
                return _rule_matrix(node[()].T)
        values = {k: v for k, v in scipy.io.loadmat(str(path)).items() if not k.startswith("__")}
    except Rejected:
        raise
    except Exception as exc:
        raise Rejected(f"cannot be read ({type(exc).__name__})") from None
    name = "B" if "B" in values else (next(iter(values)) if len(values) == 1 else None)
    if name is None or not isinstance(values[name], np.ndarray):
        raise Rejected("no variable B, or not exactly one variable, or not an array")
    return _rule_matrix(values[name])


# -- faiss ------------------------------------------------------------------------------------
def _faiss_seeds():
    return [{FAISS: _faiss(_codes(4, 5, 2), 16)}, {FAISS: _faiss(_codes(5, 3, 8), 64)},
            {FAISS: _faiss(np.zeros((0, 4), np.uint8), 32)}]


def _faiss_hostile():
    c = _codes(6, 4, 2)
    return [(label, {FAISS: data}) for label, data in (
        ("empty file", b""),
        ("fourcc only", b"IBxF"),
        ("a float index's fourcc", b"IxF2" + _faiss(c, 16)[4:]),
        ("ntotal 2**40 over 8 bytes of codes", _faiss(c, 16, ntotal=2**40)),
        ("ntotal larger than the codes", _faiss(c, 16, ntotal=5)),
        ("ntotal -1", _faiss(c, 16, ntotal=-1)),
        ("byte count 2**39, 8 bytes stored", _faiss(c, 16, size=2**39)),
        ("byte count larger than stored", _faiss(c, 16, size=9)),
        ("d 12", _faiss(c[:, :1], 12)),
        ("d 0", _faiss(np.zeros((0, 0), np.uint8), 0)),
        ("trailing bytes", _faiss(c, 16) + b"\x00" * 7),
    )]


def _faiss_reference(folder):
    raw = (folder / FAISS).read_bytes()
    if len(raw) < 33 or raw[:4] != b"IBxF":
        raise Rejected("not an IndexBinaryFlat file")
    d, code_size, ntotal, _, _, size = struct.unpack_from("<iiqBiQ", raw, 4)
    if d <= 0 or d % 8 or code_size != d // 8 or ntotal < 0 or size != ntotal * code_size \
            or len(raw) < 33 + size:
        raise Rejected(f"fields d={d} code_size={code_size} ntotal={ntotal} size={size}")
    return d, np.frombuffer(raw[33:33 + size], np.uint8).reshape(ntotal, code_size)


family(Family("codes-import.npy", NPY, _npy_seeds, _npy_hostile, _read(NPY), _npy_reference, _same))
family(Family("codes-import.mat", MAT, _mat_seeds, _mat_hostile, _read(MAT), _mat_reference, _same,
              names_variable=True))
family(Family("codes-import.faiss", FAISS, _faiss_seeds, _faiss_hostile, _read(FAISS), _faiss_reference, _same))
