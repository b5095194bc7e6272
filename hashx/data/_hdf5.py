"""HDF5 access for the readers: every failure names the file and the variable.

h5py reports a truncated, corrupted or non-HDF5 file with messages such as
``Unable to synchronously open file (file signature not found)`` that name
neither the file nor the variable, and trusts every declared shape.  These
helpers wrap it:

- :func:`open_hdf5` opens a file read-only, or raises a
  :class:`~hashx.exceptions.DataFormatError` naming it;
- :func:`hdf5_dataset` returns the dataset called ``name``, refusing a
  missing name, a group, an empty (shapeless) dataset, a non-numeric dtype
  or a declared size the stored bytes cannot hold
  (:func:`~hashx.data._limits.check_stored`);
- :func:`read_hdf5` reads a dataset (or a slice of it) after a memory check;
- :func:`hdf5_errors` turns h5py's errors inside a ``with`` block into one
  ``DataFormatError`` naming the file and the variable.
"""

from __future__ import annotations

import contextlib
import math

import h5py
import numpy as np

from ..exceptions import DataFormatError
from ._limits import check_memory, check_stored
from ._messages import cause, where

__all__ = ["H5PY_ERRORS", "open_hdf5", "hdf5_errors", "hdf5_dataset", "check_hdf5_dataset", "read_hdf5"]

#: What reading a damaged file through h5py can raise: OSError, KeyError, RuntimeError, ValueError,
#: TypeError, but also others (UnicodeDecodeError of an attribute, IndexError...); every one of them
#: means the file cannot be read, and is reported so, with its cause.
H5PY_ERRORS = (Exception,)


def open_hdf5(path) -> h5py.File:
    """Open ``path`` read-only; a file HDF5 cannot open raises a DataFormatError naming it."""
    try:
        return h5py.File(path, "r")
    except H5PY_ERRORS as exc:
        raise DataFormatError(
            f"File '{path}' is not a readable HDF5 file: it is truncated, corrupted or not HDF5 ({cause(exc)})."
        ) from None


@contextlib.contextmanager
def hdf5_errors(path, var):
    """Inside the block, h5py's errors become one DataFormatError naming ``path`` and ``var``."""
    try:
        yield
    except DataFormatError:
        raise
    except H5PY_ERRORS as exc:
        raise DataFormatError(
            f"{where(path, var)}: could not be read; the HDF5 file is truncated or corrupted ({cause(exc)})."
        ) from None


def check_hdf5_dataset(node, path, var) -> h5py.Dataset:
    """``node`` if it is a numeric dataset whose declared size its storage can hold."""
    if isinstance(node, h5py.Group):
        raise DataFormatError(f"{where(path, var)}: is an HDF5 group (a folder of datasets); an array "
                              f"(HDF5 dataset) is expected here.")
    if not isinstance(node, h5py.Dataset):
        raise DataFormatError(f"{where(path, var)}: is an HDF5 {type(node).__name__}, not an array.")
    with hdf5_errors(path, var):
        shape, dtype = node.shape, node.dtype
        if shape is None:
            raise DataFormatError(f"{where(path, var)}: is an empty HDF5 dataset with no shape; an array is "
                                  f"expected.")
        if dtype.kind not in "biuf":
            raise DataFormatError(f"{where(path, var)}: expected numeric values. Got HDF5 dtype {dtype} instead.")
        stored = node.id.get_storage_size()
        filtered = node.id.get_create_plist().get_nfilters() > 0
        # filtered (compressed) or chunked storage may legitimately hold less than the array's bytes
        compressed = filtered or node.chunks is not None
        if node.chunks is not None and not filtered:
            # every chunk written without a filter holds exactly its bytes (unwritten chunks are not stored): a
            # damaged chunk record would let HDF5 read past it into memory it never filled
            chunk_bytes = math.prod(node.chunks) * dtype.itemsize
            count = node.id.get_num_chunks()
            if stored != count * chunk_bytes:
                raise DataFormatError(f"{where(path, var)}: its {count} chunk(s) of {chunk_bytes} bytes are stored "
                                      f"in {stored} bytes; the HDF5 file is corrupted.")
    check_stored(path, var, shape, dtype.itemsize, stored, compressed=compressed)
    return node


def hdf5_dataset(container, name, path, *, var=None) -> h5py.Dataset:
    """The checked dataset ``container[name]`` (:func:`check_hdf5_dataset`); ``var`` names it in messages."""
    var = name if var is None else var
    with hdf5_errors(path, var):
        if name not in container:
            found = ", ".join(container.keys()) or "none"
            raise DataFormatError(f"File '{path}' has no variable '{var}'. Variables found: {found}.")
        node = container[name]
    return check_hdf5_dataset(node, path, var)


def read_hdf5(node, path, var, selection=()) -> np.ndarray:
    """``node[selection]`` as an ndarray (the whole dataset by default), after a memory check."""
    if selection == ():
        check_memory(path, var, node.shape, node.dtype)
    with hdf5_errors(path, var):
        return np.asarray(node[selection])
