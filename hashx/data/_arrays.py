"""Turning stored variables into dataset arrays, with errors that name the file and the variable.

Every reader in :mod:`hashx.data` goes through these helpers, so that
the conversions and the checks are the same for every layout:

- labels: a 2-d 0/1 matrix -> uint8 multi-hot; values other than 0/1, NaN,
  or (by default) a row with no label at all are errors;
- image features: 2-d numeric -> float32; NaN/Inf are errors;
- text: 2-d numeric -> float32, dense, or scipy CSR when the source is
  sparse or when the dense float32 matrix would exceed 512 MiB (large
  bag-of-words); NaN/Inf are errors;
- raw images: 4-d uint8 of at least :data:`~hashx.data.images.MIN_IMAGE_SIZE`
  pixels a side -> :class:`~hashx.data.images.LazyImages` (never read whole).

A *source* is a :class:`~hashx.data.matfile.MatFile` (with a variable name),
an ``h5py.Dataset`` of a plain HDF5 file (rows first, no axis reversal), an
ndarray or a scipy sparse matrix.  Declared sizes are checked before anything
is allocated (:mod:`~hashx.data._limits`); HDF5 errors name the file and the
variable (:mod:`~hashx.data._hdf5`).
"""

from __future__ import annotations

import h5py
import numpy as np
import scipy.sparse as sp

from ..exceptions import DataFormatError, HashxValueError
from ._hdf5 import check_hdf5_dataset, read_hdf5
from ._limits import allocate, check_memory
from ._messages import where
from .images import MIN_IMAGE_SIZE, LazyImages
from .matfile import MatFile

__all__ = [
    "where",
    "source_shape",
    "row_blocks",
    "read_labels",
    "require_labels",
    "check_source",
    "read_class_ids",
    "read_label_vector",
    "one_hot",
    "MAX_CLASSES",
    "read_features",
    "read_text",
    "read_image",
    "lazy_images",
    "check_rows",
    "item_count",
]

_BLOCK_BYTES = 64 * 2**20
SPARSE_TEXT_BYTES = 512 * 2**20
#: The largest class id (and so the most one-hot columns) a label vector may hold.
MAX_CLASSES = 65536


def source_shape(src, var) -> tuple:
    if isinstance(src, MatFile):
        return tuple(src.shape(var))
    return tuple(int(s) for s in src.shape)


def check_source(src, path, var):
    """An HDF5 dataset is checked (numeric, declared size held by its storage) before use."""
    if isinstance(src, (h5py.Dataset, h5py.Group)):
        check_hdf5_dataset(src, path, var)
    return src


def row_blocks(src, path, var):
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
        if isinstance(src, h5py.Dataset):
            yield start, read_hdf5(src, path, var, np.s_[start:start + step])
        else:
            yield start, np.asarray(src[start:start + step])


def _check_2d(src, path, var, what: str) -> tuple:
    shape = source_shape(check_source(src, path, var), var)
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
    out = allocate(path, var, (n, c), np.uint8)
    for start, block in row_blocks(src, path, var):
        if sp.issparse(block):
            block = block.toarray()
        _check_numeric(block, path, var)
        bad = (block != 0) & (block != 1)
        if bad.any():
            r, col = np.argwhere(bad)[0]
            raise DataFormatError(
                f"{where(path, var)}: labels must be multi-hot (only 0 and 1). "
                f"Row {start + r}, column {col} holds {block[r, col].item()!r}."
            )
        out[start:start + block.shape[0]] = block
    if require_label:
        require_labels(out, path, var)
    return out


def require_labels(labels: np.ndarray, path, var) -> None:
    """Refuse a multi-hot matrix with a row of zeros (relevance is undefined for an item without labels)."""
    empty = np.flatnonzero(~labels.any(axis=1)) if labels.shape[0] else np.zeros(0, np.int64)
    if empty.size:
        raise DataFormatError(
            f"{where(path, var)}: every item needs at least one label. {empty.size} row(s) have none "
            f"(first: row {empty[0]}); remove them from the file (relevance is undefined without labels)."
        )


def read_label_vector(src, path, var) -> np.ndarray:
    """A label vector ((n,), (n, 1) or (1, n)) as int64 values in ``0 .. MAX_CLASSES``.

    Raises
    ------
    DataFormatError
        Not a vector, not numeric, NaN/Inf, not integers, negative, or above
        :data:`MAX_CLASSES`.
    """
    shape = source_shape(check_source(src, path, var), var)
    if len(shape) not in (1, 2) or (len(shape) == 2 and min(shape) != 1):
        raise DataFormatError(
            f"{where(path, var)}: class ids must be a vector (n x 1 or 1 x n). Got shape {shape} instead."
        )
    check_memory(path, var, shape, np.float64)
    if isinstance(src, MatFile):
        values = src.read(var)
    elif isinstance(src, h5py.Dataset):
        values = read_hdf5(src, path, var)
    else:
        values = src
    values = np.asarray(values.toarray() if sp.issparse(values) else values).reshape(-1)
    _check_numeric(values, path, var)
    if values.dtype.kind == "b":
        values = values.astype(np.uint8)
    _check_finite(values, path, var, 0, "class ids")
    bad = (values != np.round(values)) | (values < 0) | (values > MAX_CLASSES)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataFormatError(
            f"{where(path, var)}: a label vector must hold 0/1 or integer class ids 1..{MAX_CLASSES}. "
            f"Row {row} holds {values[row].item()!r}."
        )
    return values.astype(np.int64)


def one_hot(ids: np.ndarray, path, var, *, n_classes: int | None = None) -> np.ndarray:
    """Class ids 1..C (int64, from :func:`read_label_vector`) as a one-hot uint8 matrix (n, C).

    ``C`` is ``n_classes``, or the largest id when None.
    """
    if ids.size and ids.min() < 1:
        row = int(np.argmin(ids))
        raise DataFormatError(f"{where(path, var)}: class ids must be integers >= 1 (MATLAB's 1-based ids). "
                              f"Row {row} holds {int(ids[row])}.")
    c = int(ids.max()) if n_classes is None and ids.size else int(n_classes or 0)
    if ids.size and ids.max() > c:
        raise DataFormatError(f"{where(path, var)}: class ids must be in 1..{c}. Got {int(ids.max())}.")
    out = allocate(path, var, (ids.shape[0], c), np.uint8)
    out[:] = 0
    out[np.arange(ids.shape[0]), ids - 1] = 1
    return out


def read_class_ids(src, path, var, *, n_classes: int | None = None) -> np.ndarray:
    """Class ids 1..C (a MATLAB column or row vector) as a one-hot uint8 matrix (n, C)."""
    return one_hot(read_label_vector(src, path, var), path, var, n_classes=n_classes)


def read_features(src, path, var) -> np.ndarray:
    """Image (or other) features as float32 of shape (n, d); NaN/Inf are errors."""
    n, d = _check_2d(src, path, var, "the features")
    out = allocate(path, var, (n, d), np.float32)
    for start, block in row_blocks(src, path, var):
        if sp.issparse(block):
            block = block.toarray()
        _check_numeric(block, path, var)
        _check_finite(block, path, var, start, "features")
        with np.errstate(over="ignore"):  # float64 beyond float32's range becomes inf: refused below
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
        out = allocate(path, var, (n, t), np.float32)
    parts = []
    for start, block in row_blocks(src, path, var):
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


def lazy_images(store, path, var, *, layout: str = "auto") -> LazyImages:
    """A 4-d uint8 store as :class:`LazyImages`, refusing images smaller than the image network's input.

    Raw images feed CNN-F (:mod:`hashx.models.cnnf`), which needs at least
    :data:`~hashx.data.images.MIN_IMAGE_SIZE` pixels a side; refusing smaller
    ones here makes ``hashx data inspect`` and ``hashx encode`` fail on the
    file, not a training run minutes later.
    """
    if np.dtype(store.dtype) != np.uint8:
        raise DataFormatError(f"{where(path, var)}: raw images must be uint8. Got dtype {store.dtype} instead.")
    try:
        images = LazyImages(store, layout=layout, source=f"'{path}' variable '{var}'")
    except HashxValueError as exc:
        raise DataFormatError(f"{where(path, var)}: {exc}") from None
    height, width = images.shape[1:3]
    if min(height, width) < MIN_IMAGE_SIZE:
        raise DataFormatError(
            f"{where(path, var)}: raw images must be at least {MIN_IMAGE_SIZE}x{MIN_IMAGE_SIZE} pixels (the "
            f"smallest input of the CNN-F image network). Got {height}x{width} images; resize them, or store "
            f"feature vectors (n, d) instead."
        )
    return images


def read_image(src, path, var, *, layout: str = "auto"):
    """Image data: float32 features (n, d) for a 2-d variable, a :class:`LazyImages` for a 4-d one."""
    shape = source_shape(check_source(src, path, var), var)
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
    return lazy_images(store, path, var, layout=layout)


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
