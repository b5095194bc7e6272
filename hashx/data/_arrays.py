"""Turning stored variables into dataset arrays, with errors that name the file and the variable.

Every reader in :mod:`hashx.data` goes through these helpers, so that the
conversions and the checks are the same for every layout:

- labels: a 2-d 0/1 matrix -> uint8 multi-hot; values other than 0/1, NaN,
  or (by default) a row with no label at all are errors;
- image features: 2-d numeric -> float32; NaN/Inf are errors;
- text: 2-d numeric -> float32, dense, or scipy CSR when the source is
  sparse or when the dense float32 matrix would exceed 512 MiB (large
  bag-of-words); NaN/Inf are errors;
- raw images: 4-d uint8 -> :class:`~hashx.data.images.LazyImages` (never read whole).

A *source* is a :class:`~hashx.data.matfile.MatFile` (with a variable name),
an ``h5py.Dataset`` of a plain HDF5 file (rows first, no axis reversal), an
ndarray or a scipy sparse matrix.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..exceptions import DataFormatError
from .images import LazyImages
from .matfile import MatFile

__all__ = [
    "where",
    "source_shape",
    "row_blocks",
    "read_labels",
    "read_class_ids",
    "read_features",
    "read_text",
    "read_image",
    "check_rows",
    "item_count",
]

_BLOCK_BYTES = 64 * 2**20
SPARSE_TEXT_BYTES = 512 * 2**20


def where(path, var) -> str:
    return f"File '{path}', variable '{var}'"


def source_shape(src, var) -> tuple:
    if isinstance(src, MatFile):
        return tuple(src.shape(var))
    return tuple(int(s) for s in src.shape)


def row_blocks(src, var):
    """Yield ``(start, block)`` over the rows of a 2-d source (dense ndarray or CSR blocks)."""
    if isinstance(src, MatFile):
        yield from src.row_blocks(var)
        return
    if sp.issparse(src):
        yield 0, src.tocsr()
        return
    n = int(src.shape[0])
    width = int(np.prod(src.shape[1:], dtype=np.int64)) * np.dtype(src.dtype).itemsize
    step = max(1, _BLOCK_BYTES // max(1, width))
    for start in range(0, n, step):
        yield start, np.asarray(src[start:start + step])


def _check_2d(src, path, var, what: str) -> tuple:
    shape = source_shape(src, var)
    if len(shape) != 2:
        raise DataFormatError(
            f"{where(path, var)}: {what} must be a 2-d matrix (rows = items). Got shape {shape} instead."
        )
    if shape[1] < 1:
        raise DataFormatError(f"{where(path, var)}: {what} must have at least one column. Got shape {shape}.")
    return shape


def _check_numeric(block, path, var):
    dtype = block.dtype
    if dtype.kind not in "biuf":
        raise DataFormatError(f"{where(path, var)}: expected numeric values. Got dtype {dtype} instead.")


def _check_finite(values: np.ndarray, path, var, start: int, what: str):
    if values.dtype.kind in "fc" and values.size and not np.isfinite(values).all():
        bad = int(values.size - np.count_nonzero(np.isfinite(values)))
        raise DataFormatError(
            f"{where(path, var)}: {what} must be finite. Found {bad} NaN or Inf value(s)"
            + (f" in the rows from {start}." if start else ".")
        )


def read_labels(src, path, var, *, require_label: bool = True) -> np.ndarray:
    """A multi-hot label matrix as uint8 of shape (n, c).

    Raises
    ------
    DataFormatError
        Not 2-d, not 0/1 (NaN included), or, if ``require_label``, a row with no label.
    """
    n, c = _check_2d(src, path, var, "the labels")
    out = np.empty((n, c), dtype=np.uint8)
    for start, block in row_blocks(src, var):
        if sp.issparse(block):
            block = block.toarray()
        _check_numeric(block, path, var)
        bad = (block != 0) & (block != 1)
        if bad.any():
            r, col = np.argwhere(bad)[0]
            raise DataFormatError(
                f"{where(path, var)}: labels must be multi-hot (only 0 and 1). "
                f"Row {start + r}, column {col} holds {block[r, col]!r}."
            )
        out[start:start + block.shape[0]] = block
    if require_label and n:
        empty = np.flatnonzero(~out.any(axis=1))
        if empty.size:
            raise DataFormatError(
                f"{where(path, var)}: every item needs at least one label. {empty.size} row(s) have none "
                f"(first: row {empty[0]}); remove them from the file (relevance is undefined without labels)."
            )
    return out


def read_class_ids(src, path, var, *, n_classes: int | None = None) -> np.ndarray:
    """Class ids 1..C (a MATLAB column or row vector) as a one-hot uint8 matrix (n, C)."""
    shape = source_shape(src, var)
    if len(shape) > 2 or (len(shape) == 2 and min(shape) != 1):
        raise DataFormatError(
            f"{where(path, var)}: class ids must be a vector (n x 1 or 1 x n). Got shape {shape} instead."
        )
    ids = src.read(var) if isinstance(src, MatFile) else np.asarray(src)
    if sp.issparse(ids):
        ids = ids.toarray()
    ids = np.asarray(ids).reshape(-1)
    _check_numeric(ids, path, var)
    _check_finite(ids, path, var, 0, "class ids")
    if ids.size and (np.any(ids != np.round(ids)) or ids.min() < 1):
        raise DataFormatError(f"{where(path, var)}: class ids must be integers >= 1 (MATLAB's 1-based ids).")
    ids = ids.astype(np.int64)
    c = int(ids.max()) if n_classes is None and ids.size else int(n_classes or 0)
    if ids.size and ids.max() > c:
        raise DataFormatError(f"{where(path, var)}: class ids must be in 1..{c}. Got {ids.max()}.")
    out = np.zeros((ids.shape[0], c), dtype=np.uint8)
    out[np.arange(ids.shape[0]), ids - 1] = 1
    return out


def read_features(src, path, var) -> np.ndarray:
    """Image (or other) features as float32 of shape (n, d); NaN/Inf are errors."""
    n, d = _check_2d(src, path, var, "the features")
    out = np.empty((n, d), dtype=np.float32)
    for start, block in row_blocks(src, var):
        if sp.issparse(block):
            block = block.toarray()
        _check_numeric(block, path, var)
        _check_finite(block, path, var, start, "features")
        out[start:start + block.shape[0]] = block
    if n and out.dtype.kind == "f" and not np.isfinite(out).all():  # float64 -> float32 overflow
        raise DataFormatError(f"{where(path, var)}: features overflow float32 (values beyond 3.4e38).")
    return out


def read_text(src, path, var, *, sparse: bool | None = None):
    """Text vectors as float32: a dense (n, t) ndarray or a CSR matrix.

    ``sparse=None`` keeps a sparse source sparse and turns a dense source into
    CSR only when the dense float32 matrix would exceed 512 MiB.
    """
    n, t = _check_2d(src, path, var, "the text vectors")
    src_sparse = (isinstance(src, MatFile) and src.is_sparse(var)) or sp.issparse(src)
    if sparse is None:
        sparse = src_sparse or n * t * 4 > SPARSE_TEXT_BYTES
    if not sparse:
        out = np.empty((n, t), dtype=np.float32)
    parts = []
    for start, block in row_blocks(src, var):
        _check_numeric(block, path, var)
        values = block.data if sp.issparse(block) else block
        _check_finite(values, path, var, start, "text values")
        if sparse:
            parts.append(sp.csr_matrix(block, dtype=np.float32))
        else:
            out[start:start + block.shape[0]] = block.toarray() if sp.issparse(block) else block
    if not sparse:
        return out
    mat = sp.vstack(parts, format="csr", dtype=np.float32) if parts else sp.csr_matrix((n, t), dtype=np.float32)
    mat.sum_duplicates()
    return mat


def read_image(src, path, var, *, layout: str = "auto"):
    """Image data: float32 features (n, d) for a 2-d variable, a :class:`LazyImages` for a 4-d one."""
    shape = source_shape(src, var)
    if len(shape) == 2:
        return read_features(src, path, var)
    if len(shape) != 4:
        raise DataFormatError(
            f"{where(path, var)}: image data must be a feature matrix (n, d) or raw images "
            f"(n, 224, 224, 3) in MATLAB or HDF5 layout. Got shape {shape} instead."
        )
    if isinstance(src, MatFile):
        store = src.raw(var)
        if src.version != "7.3":  # v5: scipy returns MATLAB's own axes
            layout = "hwcn" if shape[2] == 3 else "nhwc"
    else:
        store = src
    if np.dtype(store.dtype) != np.uint8:
        raise DataFormatError(f"{where(path, var)}: raw images must be uint8. Got dtype {store.dtype} instead.")
    try:
        return LazyImages(store, layout=layout, source=f"'{path}' variable '{var}'")
    except ValueError as exc:
        raise DataFormatError(f"{where(path, var)}: {exc}") from None


def item_count(src, var) -> int:
    """Number of items (rows) of a source: a 2-d matrix's rows, or the images of a
    4-d MATLAB stack (MATLAB ``H x W x 3 x n`` or ``n x H x W x 3``)."""
    shape = source_shape(src, var)
    if len(shape) == 4 and isinstance(src, MatFile):
        return int(shape[3] if shape[2] == 3 else shape[0])
    if len(shape) == 4 and isinstance(src, LazyImages):
        return len(src)
    return int(shape[0]) if shape else 0


def check_rows(entries) -> int:
    """Check that every ``(path, var, n_rows)`` entry has the same row count; return it."""
    entries = list(entries)
    counts = {n for _, _, n in entries}
    if len(counts) > 1:
        listed = "; ".join(f"'{var}' in '{path}' has {n}" for path, var, n in entries)
        raise DataFormatError(f"Row counts disagree across modalities (one row per item is required): {listed}.")
    return entries[0][2] if entries else 0
