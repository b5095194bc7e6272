"""Label files for evaluation: multi-hot matrices or label vectors, read into one class space.

A label file (``.npy``, ``.npz``, ``.h5``/``.hdf5`` or ``.mat``; the variable
as in :func:`~hashx.data.read_modality`) holds one of:

- a **multi-hot matrix** (n, C) of 0/1: item i has label j when entry (i, j) is 1;
- a **vector** of n values, stored as (n,), (n, 1) or (1, n) (MATLAB's
  column or row vector; a (1, C) matrix is read as a one-item matrix when the
  caller says the file has one row):

  * **one binary label** when every value is 0 or 1 and no file of the pair
    holds a class id above 1: the same as an (n, 1) multi-hot matrix (items
    with 1 share the label; an item with 0 has none);
  * otherwise **class ids** 1..C (MATLAB's 1-based ids, one class per item),
    one-hot encoded.

:func:`read_label_files` reads a query file and a database file into the
**same** class space, because relevance (sharing a label) compares their
columns: two multi-hot matrices must have the same number of columns; class
ids are one-hot encoded over 1..C with C the largest id in either file, or the
other file's column count when that file holds a multi-hot matrix (its
columns are classes 1..C).  So query ids 1..8 against database ids 1..10 give
(n_q, 10) and (n_db, 10) one-hot matrices.  A 0 where class ids are expected,
an id beyond the other file's columns, or values other than 0/1 in a matrix
are errors naming the file and the variable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..exceptions import DataFormatError
from . import _arrays as A
from .modality_file import open_modality

__all__ = ["read_label_file", "read_label_files"]


@dataclass(frozen=True)
class _Stored:
    """One file's labels as stored: a 0/1 matrix, or a vector of integer values."""

    values: np.ndarray
    is_vector: bool
    path: object
    var: str


def _is_vector(shape, n_rows) -> bool:
    if len(shape) == 1:
        return True
    if len(shape) != 2:
        return False
    return shape[1] == 1 or (shape[0] == 1 and n_rows != 1)


def _read_stored(path, variable, n_rows) -> _Stored:
    with open_modality(path, "labels", variable) as (src, var):
        if _is_vector(A.source_shape(A.check_source(src, path, var), var), n_rows):
            return _Stored(A.read_label_vector(src, path, var), True, path, var)
        return _Stored(A.read_labels(src, path, var, require_label=False), False, path, var)


def _shared_space(parts: list[_Stored]) -> list[np.ndarray]:
    """Every part as a uint8 multi-hot matrix over one class space (module docstring)."""
    widths = {p.values.shape[1] for p in parts if not p.is_vector}
    if len(widths) > 1:
        listed = " and ".join(f"'{p.var}' in '{p.path}' has {p.values.shape[1]}" for p in parts if not p.is_vector)
        raise DataFormatError(f"The label files disagree on the number of labels (columns): {listed}.")
    width = widths.pop() if widths else None
    ids_mode = (width is not None and width > 1) or any(p.values.size and p.values.max() > 1
                                                      for p in parts if p.is_vector)
    if not ids_mode:
        return [p.values.astype(np.uint8).reshape(-1, 1) if p.is_vector else p.values for p in parts]
    if width is None:
        width = max((int(p.values.max()) for p in parts if p.is_vector and p.values.size), default=0)
    return [A.one_hot(p.values, p.path, p.var, n_classes=width) if p.is_vector else p.values for p in parts]


def read_label_file(path, *, variable: str | None = None, allow_unlabeled: bool = False,
                    n_rows: int | None = None) -> np.ndarray:
    """One label file as a uint8 multi-hot matrix (the rules of the module docstring, for one file).

    Parameters
    ----------
    path : str or os.PathLike
    variable : str, optional
        Variable holding the labels (default: ``labels``, ``LAll``, ``label``, ...).
    allow_unlabeled : bool, default=False
        Accept rows without a label (a binary 0, or a multi-hot row of zeros).
    n_rows : int, optional
        The number of items the file should describe; only used to read a
        (1, C) matrix as one item rather than C class ids.

    Returns
    -------
    ndarray of shape (n, C), dtype=uint8
    """
    part = _read_stored(path, variable, n_rows)
    (labels,) = _shared_space([part])
    if not allow_unlabeled:
        A.require_labels(labels, part.path, part.var)
    return labels


def read_label_files(query_path, database_path, *, variable: str | None = None, allow_unlabeled: bool = True,
                     n_rows: tuple = (None, None)) -> tuple[np.ndarray, np.ndarray]:
    """The query and database labels of an evaluation, in one class space (module docstring).

    Parameters
    ----------
    query_path, database_path : str or os.PathLike
    variable : str, optional
        Variable holding the labels in both files.
    allow_unlabeled : bool, default=True
        Accept items without a label (such a query has no relevant item and
        scores 0; such a database item is relevant to no query).
    n_rows : (int or None, int or None)
        Items each file should describe (e.g. the code counts), to read a
        (1, C) matrix as one item.

    Returns
    -------
    query_labels : ndarray of shape (n_query, C), dtype=uint8
    database_labels : ndarray of shape (n_db, C), dtype=uint8

    Raises
    ------
    DataFormatError
        A file cannot be read, holds values that are neither 0/1 nor class
        ids, or the two files' classes cannot be matched.
    """
    parts = [_read_stored(p, variable, n) for p, n in zip((query_path, database_path), n_rows)]
    labels = _shared_space(parts)
    if not allow_unlabeled:
        for lab, part in zip(labels, parts):
            A.require_labels(lab, part.path, part.var)
    return labels[0], labels[1]
