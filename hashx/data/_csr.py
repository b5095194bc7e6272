"""Compressed sparse matrices from stored parts, checked before scipy sees them.

scipy builds a ``csr_matrix((data, indices, indptr), shape)`` with only a
shallow check: an ``indptr`` that is not monotone, or a column index past the
shape, goes through, and a later operation reads or writes outside the
arrays (a segmentation fault, or a silently wrong row).  Files are untrusted,
so :func:`checked_compressed` verifies every invariant first:

- ``shape``: two integers, each in ``0 .. 2**31 - 1``;
- ``indptr``: 1-d integers, ``major + 1`` entries, starting at 0, never
  decreasing, ending at ``nnz``;
- ``indices``: 1-d integers, ``nnz`` entries, each in ``0 .. minor - 1``;
- ``data``: 1-d, numeric (bool, integer or float), ``nnz`` entries.

Duplicate entries within a row are allowed (they are summed, as scipy does).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..exceptions import DataFormatError
from ._messages import where

__all__ = ["checked_compressed", "checked_shape", "MAX_SPARSE_DIM"]

#: The largest number of rows or columns of a stored sparse matrix (int32 indices).
MAX_SPARSE_DIM = 2**31 - 1


def checked_shape(shape, path, var) -> tuple[int, int]:
    """A stored matrix shape as two ints in ``0 .. MAX_SPARSE_DIM``."""
    arr = np.asarray(shape)
    if arr.shape != (2,) or arr.dtype.kind not in "iuf" or not np.isfinite(arr).all() \
            or np.any(arr != np.round(arr)) or arr.min() < 0 or arr.max() > MAX_SPARSE_DIM:
        raise DataFormatError(
            f"{where(path, var)}: a sparse matrix shape must be two integers in 0..{MAX_SPARSE_DIM}. "
            f"Got {arr.tolist() if arr.size <= 8 else f'an array of shape {arr.shape}'} "
            f"(dtype {arr.dtype}) instead."
        )
    return int(arr[0]), int(arr[1])


def _int_vector(x, what, path, var) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 1 or (x.size and x.dtype.kind not in "iu"):
        raise DataFormatError(
            f"{where(path, var)}: '{what}' of a sparse matrix must be a 1-d integer array. "
            f"Got dtype {x.dtype}, shape {x.shape} instead."
        )
    return x.astype(np.int64, copy=False)


def checked_compressed(data, indices, indptr, shape, path, var, *, fmt: str = "csr",
                       names: tuple = ("data", "indices", "indptr")):
    """A scipy ``csr_matrix`` (``fmt="csr"``) or ``csc_matrix`` from stored parts, after the module's checks.

    Parameters
    ----------
    data, indices, indptr : array-like
        The stored parts (``indptr`` runs over rows for CSR, columns for CSC).
    shape : array-like of 2 ints
    path, var
        File and variable, for messages.
    fmt : {"csr", "csc"}
    names : (str, str, str)
        What the file calls data, indices and indptr (MATLAB: ``data``, ``ir``, ``jc``), for messages.

    Raises
    ------
    DataFormatError
        Any invariant of the module docstring fails; the message names the
        file, the variable and the first offending position.
    """
    n_rows, n_cols = checked_shape(shape, path, var)
    major, minor = (n_rows, n_cols) if fmt == "csr" else (n_cols, n_rows)
    data_name, indices_name, indptr_name = names
    indptr = _int_vector(indptr, indptr_name, path, var)
    indices = _int_vector(indices, indices_name, path, var)
    data = np.asarray(data)
    if data.ndim != 1 or (data.size and data.dtype.kind not in "biuf"):
        raise DataFormatError(f"{where(path, var)}: the values ('{data_name}') of a sparse matrix must be a 1-d "
                              f"numeric array. "
                              f"Got dtype {data.dtype}, shape {data.shape} instead.")
    axis = "row" if fmt == "csr" else "column"
    if indptr.shape[0] != major + 1:
        raise DataFormatError(f"{where(path, var)}: '{indptr_name}' must have {major + 1} entries (one per {axis} of "
                              f"the shape {(n_rows, n_cols)}, plus one). Got {indptr.shape[0]}.")
    nnz = int(indices.shape[0])
    if data.shape[0] != nnz:
        raise DataFormatError(f"{where(path, var)}: the sparse matrix has {nnz} indices ('{indices_name}') but "
                              f"{data.shape[0]} values ('{data_name}').")
    if indptr[0] != 0 or indptr[-1] != nnz:
        raise DataFormatError(f"{where(path, var)}: '{indptr_name}' must start at 0 and end at the number of stored "
                              f"values ({nnz}). Got {int(indptr[0])} ... {int(indptr[-1])}.")
    steps = np.diff(indptr)
    if steps.size and steps.min() < 0:
        at = int(np.flatnonzero(steps < 0)[0])
        raise DataFormatError(f"{where(path, var)}: '{indptr_name}' must never decrease. Entry {at + 1} "
                              f"({int(indptr[at + 1])}) is below entry {at} ({int(indptr[at])}).")
    if nnz and (indices.min() < 0 or indices.max() >= minor):
        at = int(np.flatnonzero((indices < 0) | (indices >= minor))[0])
        other = "column" if fmt == "csr" else "row"
        raise DataFormatError(f"{where(path, var)}: {other} index {int(indices[at])} at position {at} is outside "
                              f"0..{minor - 1} (the shape is {(n_rows, n_cols)}).")
    index_dtype = np.int32 if max(n_rows, n_cols, nnz) < 2**31 else np.int64
    build = sp.csr_matrix if fmt == "csr" else sp.csc_matrix
    return build((data, indices.astype(index_dtype), indptr.astype(index_dtype)), shape=(n_rows, n_cols))
