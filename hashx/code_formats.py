"""Code files in and out: faiss binary indexes, ``.npy`` arrays and MATLAB ``.mat`` matrices.

=========  ==================================================================
format     what is written / read
=========  ==================================================================
``faiss``  a faiss ``IndexBinaryFlat`` file (``faiss.read_index_binary``);
           import also reads IndexBinaryIDMap and IndexBinaryIVF files
``npy``    packed codes: uint8 (n, nbits // 8), hashx's and faiss's layout;
           import also takes an unpacked +-1 or 0/1 matrix of another dtype
``mat``    MATLAB v5, variable ``B`` (``variable``): an n x nbits ``double``
           matrix, one row per item, bit j of hashx's packed codes (most
           significant bit of byte 0 first) in column j, as ``+1/-1``
           (``values="pm1"``, the default: DCMH-style scripts compute the
           Hamming distance as ``0.5 * (nbits - B1 * B2')``) or ``0/1``
           (``values="01"``); import reads v5 or v7.3 files and takes either
=========  ==================================================================

Codes survive every round trip exactly.  hashx code files have no ids (ids
are row numbers); importing a faiss index whose ids are not ``0 .. n-1``
writes the codes in ascending id order and needs ``ids_out`` for the ids.
numpy, scipy and (for faiss) faiss only: never torch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._atomic import atomic_write
from ._validation import check_choice, check_packed_codes
from .codefile import load_codes, read_header, save_codes
from .codes import pack_codes
from .exceptions import CodeFileError, DataFormatError, HashxValueError

__all__ = ["CODE_FORMATS", "MAT_VALUES", "code_format", "codes_to_matrix", "matrix_to_codes", "describe_codes",
           "export_codes", "import_codes"]

CODE_FORMATS = ("faiss", "npy", "mat")
MAT_VALUES = ("pm1", "01")
_BLOCK = 1 << 16
_SUFFIXES = {".faiss": "faiss", ".index": "faiss", ".npy": "npy", ".mat": "mat"}


def code_format(path, fmt: str | None = None) -> str:
    """``fmt``, or the format named by the suffix of ``path`` (.faiss/.index, .npy, .mat)."""
    if fmt is not None:
        return check_choice(fmt, "format", CODE_FORMATS)
    suffix = Path(path).suffix.lower()
    if suffix not in _SUFFIXES:
        raise HashxValueError(f"Cannot tell the format of '{path}' from its suffix; name it (format one of "
                              f"{', '.join(CODE_FORMATS)}) or use a suffix among {', '.join(_SUFFIXES)}.")
    return _SUFFIXES[suffix]


def codes_to_matrix(codes: np.ndarray, nbits: int, *, values: str = "pm1") -> np.ndarray:
    """Packed codes as an n x nbits float64 matrix of +-1 (``"pm1"``) or 0/1 (``"01"``); column j is bit j."""
    check_choice(values, "values", MAT_VALUES, caller="codes_to_matrix")
    check_packed_codes(codes, nbits, caller="codes_to_matrix")
    bits = np.unpackbits(np.asarray(codes), axis=1).astype(np.float64)
    return 2.0 * bits - 1.0 if values == "pm1" else bits


def matrix_to_codes(matrix, *, where: str = "matrix") -> tuple[np.ndarray, int]:
    """An n x nbits matrix of +-1 or of 0/1 (any numeric dtype) as packed codes.

    Returns
    -------
    codes : ndarray of shape (n, nbits // 8), dtype=uint8
    nbits : int

    Raises
    ------
    DataFormatError
        Not 2-d, ``nbits`` not a positive multiple of 8, or values other than
        only +-1 or only 0/1.
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.dtype.kind not in "biuf":
        raise DataFormatError(f"{where}: expected an n x nbits numeric matrix of +-1 or 0/1. "
                              f"Got {matrix.dtype} {matrix.shape}.")
    if matrix.shape[1] == 0 or matrix.shape[1] % 8:
        raise DataFormatError(f"{where}: nbits (the number of columns, one bit each) must be a positive multiple of "
                              f"8. Got shape {matrix.shape}; rows must be items.")
    found = np.unique(matrix)
    if not (np.isin(found, (-1, 1)).all() or np.isin(found, (0, 1)).all()):
        raise DataFormatError(f"{where}: codes must hold only +1/-1 or only 0/1. "
                              f"Got values {found[:6].tolist()}{'...' if found.size > 6 else ''}.")
    return pack_codes(matrix.astype(np.int8)), int(matrix.shape[1])


def describe_codes(path) -> dict:
    """Facts about a hashx code file.

    Returns
    -------
    dict
        ``nbits``, ``count``, ``payload_sha256``, ``distinct_codes`` and the
        fraction of ones per bit position (mean, min, max; None when empty).
    """
    loaded = load_codes(path)
    codes, n = np.asarray(loaded.codes), loaded.count
    counts = np.zeros(loaded.nbits, dtype=np.int64)
    for a in range(0, n, _BLOCK):  # bounded memory: one block of unpacked bits at a time
        counts += np.unpackbits(codes[a:a + _BLOCK], axis=1).sum(axis=0, dtype=np.int64)
    ones = counts / max(n, 1)
    return {"path": str(path), "nbits": loaded.nbits, "count": n,
            "payload_sha256": read_header(path)["payload_sha256"].hex(),
            "distinct_codes": int(np.unique(codes, axis=0).shape[0]) if n else 0,
            "ones_fraction_mean": round(float(ones.mean()), 6) if n else None,
            "ones_fraction_min": round(float(ones.min()), 6) if n else None,
            "ones_fraction_max": round(float(ones.max()), 6) if n else None}


def export_codes(src, dst, *, fmt: str | None = None, values: str = "pm1", variable: str = "B") -> dict:
    """Write the codes of hashx code file ``src`` to ``dst`` in another format (atomically).

    Parameters
    ----------
    src : str or os.PathLike
        A hashx code file.
    dst : str or os.PathLike
    fmt : {"faiss", "npy", "mat"}, optional
        Default: from the suffix of ``dst``.
    values : {"pm1", "01"}, default="pm1"
        ``mat`` only: +1/-1 or 0/1 entries.
    variable : str, default="B"
        ``mat`` only: the variable name.

    Returns
    -------
    dict
        ``{"format", "path", "count", "nbits"}`` (and ``values``, ``variable`` for ``mat``).
    """
    fmt = code_format(dst, fmt)
    loaded = load_codes(src)
    codes, dst = np.ascontiguousarray(loaded.codes), Path(dst)
    summary = {"format": fmt, "path": str(dst), "count": loaded.count, "nbits": loaded.nbits}
    if fmt == "faiss":
        from .search import HammingIndex
        from .search.faiss_interop import to_faiss, write_faiss

        index = HammingIndex(loaded.nbits)
        index.add(codes)
        write_faiss(dst, to_faiss(index))
    elif fmt == "npy":
        with atomic_write(dst, "wb") as f:
            np.save(f, codes, allow_pickle=False)
    else:
        import scipy.io

        check_choice(values, "values", MAT_VALUES, caller="export_codes")
        if not variable.isidentifier():
            raise HashxValueError(f"The 'variable' parameter of export_codes must be a MATLAB variable name. "
                                  f"Got {variable!r} instead.")
        with atomic_write(dst, "wb") as f:
            scipy.io.savemat(f, {variable: codes_to_matrix(codes, loaded.nbits, values=values)},
                             do_compression=True, oned_as="column")
        summary.update(values=values, variable=variable)
    return summary


def _read_mat(path: Path, variable: str | None):
    from .data.matfile import MatFile

    with MatFile(path) as mat:
        names = mat.names()
        if variable is None:
            variable = "B" if "B" in names else (names[0] if len(names) == 1 else None)
            if variable is None:
                raise DataFormatError(f"File '{path}' holds {', '.join(names) or 'no variable'}; name the variable "
                                      f"holding the codes.")
        if variable not in names:
            raise DataFormatError(f"File '{path}' has no variable '{variable}'. Variables found: {', '.join(names)}.")
        return matrix_to_codes(mat.read(variable), where=f"File '{path}', variable '{variable}'")


def _read_npy(path: Path):
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise DataFormatError(f"File '{path}' is not a readable .npy array ({exc}).") from None
    if array.dtype == np.uint8 and array.ndim == 2:
        if array.shape[1] == 0:
            raise DataFormatError(f"File '{path}': packed codes need at least one byte per row.")
        return np.ascontiguousarray(array), 8 * array.shape[1]
    return matrix_to_codes(array, where=f"File '{path}'")


def import_codes(src, dst, *, fmt: str | None = None, variable: str | None = None, ids_out=None) -> dict:
    """Write the codes in ``src`` (faiss, npy or mat) to hashx code file ``dst`` (atomically).

    Parameters
    ----------
    src : str or os.PathLike
    dst : str or os.PathLike
        The hashx code file to write.
    fmt : {"faiss", "npy", "mat"}, optional
        Default: from the suffix of ``src``.
    variable : str, optional
        ``mat`` only: the variable (default ``B``, or the only one).
    ids_out : str or os.PathLike, optional
        ``faiss`` only: where to write the ids (int64 ``.npy``, one per row of
        ``dst``) when they are not ``0 .. n-1``.

    Returns
    -------
    dict
        ``{"format", "path", "count", "nbits"}`` and ``ids`` (the ids file or None).

    Raises
    ------
    CodeFileError, DataFormatError
        An unreadable input; faiss ids that are not ``0 .. n-1`` without ``ids_out``.
    """
    src = Path(src)
    fmt = code_format(src, fmt)
    if not src.is_file():
        raise CodeFileError(f"Input file '{src}' does not exist.")
    ids_path = None
    if fmt == "faiss":
        from .search.faiss_interop import faiss_codes, read_faiss

        index = read_faiss(src)
        codes, ids = faiss_codes(index)
        nbits = int(index.d)
        if not np.array_equal(ids, np.arange(ids.size)):
            if ids_out is None:
                raise CodeFileError(f"faiss index '{src}' has ids other than 0 .. {ids.size - 1}; hashx code files "
                                    f"hold row numbers only, so give a file for the ids (ids_out, --ids-out).")
            ids_path = Path(ids_out)
            with atomic_write(ids_path, "wb") as f:
                np.save(f, ids, allow_pickle=False)
    elif fmt == "npy":
        codes, nbits = _read_npy(src)
    else:
        codes, nbits = _read_mat(src, variable)
    if nbits % 8:
        raise DataFormatError(f"'{src}' holds {nbits}-bit codes; hashx code files need a multiple of 8 bits.")
    save_codes(dst, codes, nbits)
    return {"format": fmt, "path": str(dst), "count": int(codes.shape[0]), "nbits": nbits,
            "ids": str(ids_path) if ids_path else None}
