"""MatFile: one reader for MATLAB ``.mat`` files, v5 (scipy.io) and v7.3 (HDF5, h5py).

MATLAB stores arrays in column-major order.  A v5 file read with
:func:`scipy.io.loadmat` comes back with MATLAB's shape (an ``n x d`` matrix is
an ``(n, d)`` array).  A v7.3 file is an HDF5 file whose datasets, seen through
h5py, have their axes **reversed**: an ``n x d`` MATLAB matrix is an h5py
dataset of shape ``(d, n)``, and a ``224 x 224 x 3 x n`` image stack (the DCMH
``IAll``) is an h5py dataset of shape ``(n, 3, 224, 224)``.  :class:`MatFile`
hides the difference: :meth:`MatFile.shape` and :meth:`MatFile.read` always
speak MATLAB's shape, and :meth:`MatFile.row_blocks` reads a 2-d matrix a block
of rows at a time, so that a large v7.3 matrix is converted (to float32, or to
a sparse matrix) without ever holding its float64 form whole.

Raw-image stacks are not read here: :meth:`MatFile.raw` hands out the h5py
dataset itself (v7.3) for :class:`hashx.data.images.LazyImages`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import h5py
import numpy as np
import scipy.io
import scipy.sparse as sp

from ..exceptions import DataFormatError
from ._csr import checked_compressed
from ._hdf5 import check_hdf5_dataset, hdf5_errors, open_hdf5, read_hdf5
from ._limits import check_sparse_rows, check_stored
from ._mat_v5 import check_v5_variable
from ._messages import cause

__all__ = ["MatFile", "mat_version"]

logger = logging.getLogger(__name__)

_HDF5_META = ("#refs#", "#subsystem#")
_BLOCK_BYTES = 64 * 2**20
#: Bytes per element of MATLAB's numeric classes (v5 headers declare the class, not the dtype).
_CLASS_BYTES = {"double": 8, "single": 4, "int8": 1, "uint8": 1, "int16": 2, "uint16": 2, "int32": 4,
                "uint32": 4, "int64": 8, "uint64": 8, "logical": 1, "char": 2}


def mat_version(path) -> str:
    """The MATLAB file version of ``path``: ``"4"``, ``"5"`` or ``"7.3"``.

    Raises
    ------
    DataFormatError
        The file does not exist or is not a MATLAB file.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"File '{path}' does not exist (or is not a file).")
    try:
        if h5py.is_hdf5(path):
            return "7.3"
        major, _ = scipy.io.matlab.matfile_version(str(path))
    except Exception as exc:  # scipy raises ValueError / MatReadError / TypeError
        raise DataFormatError(f"File '{path}' is not a MATLAB .mat file ({cause(exc)}).") from None
    return {0: "4", 1: "5"}.get(major, str(major))


class MatFile:
    """A MATLAB ``.mat`` file opened for reading (v4/v5 through scipy, v7.3 through h5py).

    Parameters
    ----------
    path : str or os.PathLike
        The file.  Its version is detected from its contents, not its name.

    Notes
    -----
    Use as a context manager, or call :meth:`close`.  A v7.3 file stays open
    (as an ``h5py.File``) while a lazy dataset handed out by :meth:`raw` is in
    use, so :meth:`close` is not called on files that feed lazy images.
    """

    def __init__(self, path):
        self.path = Path(os.fspath(path))
        self.version = mat_version(self.path)
        self._h5 = None
        self._whos = None
        if self.version == "7.3":
            self._h5 = open_hdf5(self.path)
        else:
            try:
                self._whos = {name: (tuple(int(s) for s in shape), cls)
                              for name, shape, cls in scipy.io.whosmat(str(self.path))}
            except Exception as exc:
                raise DataFormatError(
                    f"File '{self.path}' could not be read as a MATLAB v{self.version} file ({cause(exc)})."
                ) from None

    # -- context manager -------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        """Close the underlying HDF5 file (v7.3); a no-op for v5."""
        if self._h5 is not None:
            self._h5.close()
            self._h5 = None

    def __repr__(self) -> str:
        return f"MatFile('{self.path}', version={self.version})"

    # -- variables -------------------------------------------------------
    def names(self) -> list[str]:
        """Names of the variables in the file (HDF5 bookkeeping groups excluded)."""
        if self._h5 is not None:
            with hdf5_errors(self.path, None):
                # h5py hands out a name that is not valid UTF-8 (a damaged file) as bytes
                names = [k if isinstance(k, str) else k.decode("utf-8", "backslashreplace") for k in self._h5.keys()]
            return [k for k in names if k not in _HDF5_META]
        return list(self._whos)

    def __contains__(self, name) -> bool:
        return name in self.names()

    def _missing(self, name) -> DataFormatError:
        return DataFormatError(
            f"File '{self.path}' has no variable '{name}'. Variables found: {', '.join(self.names()) or 'none'}."
        )

    def _node(self, name):
        """The HDF5 object of ``name``: a group (sparse, struct, cell) or a checked dataset."""
        if name not in self.names():
            raise self._missing(name)
        with hdf5_errors(self.path, name):
            node = self._h5[name]
        if isinstance(node, h5py.Group):
            return node
        with hdf5_errors(self.path, name):
            plain = not node.attrs.get("MATLAB_empty", 0) and node.dtype.kind in "biuf"
        return check_hdf5_dataset(node, self.path, name) if plain else node

    def _check_v5_declared(self, name) -> None:
        """A v5 variable cannot hold more than deflate can expand the whole file to."""
        shape, cls = self._whos[name]
        if cls != "sparse":
            check_stored(self.path, name, shape, _CLASS_BYTES.get(cls, 1), self.path.stat().st_size)

    def is_sparse(self, name) -> bool:
        """Whether variable ``name`` is a MATLAB sparse matrix."""
        if self._h5 is not None:
            node = self._node(name)
            return isinstance(node, h5py.Group) and "MATLAB_sparse" in node.attrs
        if name not in self._whos:
            raise self._missing(name)
        return self._whos[name][1] == "sparse"

    def shape(self, name) -> tuple:
        """MATLAB shape of variable ``name`` (not the reversed h5py shape)."""
        if self._h5 is None:
            if name not in self._whos:
                raise self._missing(name)
            self._check_v5_declared(name)
            return self._whos[name][0]
        node = self._node(name)
        with hdf5_errors(self.path, name):
            if isinstance(node, h5py.Group):
                if "MATLAB_sparse" not in node.attrs:
                    raise DataFormatError(
                        f"File '{self.path}', variable '{name}': a MATLAB struct or cell, expected a numeric array."
                    )
                return (int(node.attrs["MATLAB_sparse"]), int(node["jc"].shape[0]) - 1)
            if node.attrs.get("MATLAB_empty", 0):
                return self._empty_shape(name, node)
            return tuple(reversed(node.shape))

    def _empty_shape(self, name, node) -> tuple:
        """The MATLAB shape an empty v7.3 variable stores as its data (it must have a zero dimension)."""
        if node.shape is None or node.size == 0:
            return (0, 0)
        if node.size > 32 or node.dtype.kind not in "iu":
            raise DataFormatError(f"File '{self.path}', variable '{name}': a corrupted empty MATLAB array "
                                  f"(its stored shape is not a short integer vector).")
        dims = tuple(int(v) for v in read_hdf5(node, self.path, name).ravel())
        if 0 not in dims or min(dims) < 0:
            raise DataFormatError(f"File '{self.path}', variable '{name}': marked as an empty MATLAB array but "
                                  f"its stored shape {dims} has no zero dimension; the file is corrupted.")
        return dims

    def matlab_class(self, name) -> str:
        """MATLAB class of ``name`` (``"double"``, ``"uint8"``, ``"logical"``, ``"sparse"``, ...)."""
        if self._h5 is None:
            if name not in self._whos:
                raise self._missing(name)
            return self._whos[name][1]
        attr = self._node(name).attrs.get("MATLAB_class", b"")
        return attr.decode() if isinstance(attr, bytes) else str(attr)

    def read(self, name):
        """Variable ``name`` in MATLAB's shape: an ndarray, or a scipy CSC matrix if sparse.

        The whole variable is loaded: use :meth:`row_blocks` for large
        matrices and :meth:`raw` for raw-image stacks.
        """
        if self._h5 is None:
            if name in self._whos:
                self._check_v5_declared(name)
                check_v5_variable(self.path, name)
            try:
                data = scipy.io.loadmat(str(self.path), variable_names=[name], squeeze_me=False)
            except Exception as exc:
                raise DataFormatError(f"File '{self.path}', variable '{name}': could not be read "
                                      f"({cause(exc)}).") from None
            if name not in data:
                raise self._missing(name)
            value = data[name]
            if not (isinstance(value, np.ndarray) or sp.issparse(value)) or (
                isinstance(value, np.ndarray) and value.dtype.kind not in "biuf"
            ):
                raise DataFormatError(
                    f"File '{self.path}', variable '{name}': expected a numeric array. "
                    f"Got {type(value).__name__} of dtype {getattr(value, 'dtype', '?')} instead."
                )
            return value
        node = self._node(name)
        if self.is_sparse(name):
            return self._read_sparse(name, node)
        if isinstance(node, h5py.Group) or node.dtype.kind not in "biuf":
            raise DataFormatError(
                f"File '{self.path}', variable '{name}': expected a numeric array, got MATLAB class "
                f"'{self.matlab_class(name)}'."
            )
        if node.attrs.get("MATLAB_empty", 0):
            return np.zeros(self.shape(name), dtype=node.dtype)
        return read_hdf5(node, self.path, name).transpose()

    def _read_sparse(self, name, node):
        """A v7.3 sparse matrix (a group of ``jc``, ``ir``, ``data``), checked before scipy builds it."""
        nrows, ncols = self.shape(name)

        def part(key):
            var = f"{name}/{key}"
            with hdf5_errors(self.path, var):
                if key not in list(node.keys()):  # listed but broken is an error below, not "absent"
                    return None
                child = node[key]
            return read_hdf5(check_hdf5_dataset(child, self.path, var), self.path, var)

        jc, ir, data = part("jc"), part("ir"), part("data")
        if jc is None:
            raise DataFormatError(f"File '{self.path}', variable '{name}': a corrupted MATLAB sparse matrix "
                                  f"(no 'jc' column pointers).")
        ir = np.zeros(0, np.int64) if ir is None else ir
        if data is None:  # a logical sparse matrix may store no values; any other class must
            if self.matlab_class(name) != "logical":
                raise DataFormatError(f"File '{self.path}', variable '{name}': a corrupted MATLAB sparse matrix "
                                      f"(no 'data' values for class '{self.matlab_class(name)}').")
            data = np.ones(ir.shape[0], np.uint8)
        return checked_compressed(data, ir, jc, (nrows, ncols), self.path, name, fmt="csc", names=("data", "ir", "jc"))

    def row_blocks(self, name, *, max_bytes: int = _BLOCK_BYTES):
        """Yield ``(start, block)`` over the rows of a 2-d variable, in order.

        ``block`` holds rows ``start:start + len(block)`` in MATLAB orientation:
        a dense ndarray or a CSR matrix.  A v7.3 dense matrix is read from disk
        block by block (about ``max_bytes`` each); a v5 or sparse variable is
        loaded once and sliced.
        """
        shape = self.shape(name)
        if len(shape) != 2:
            raise DataFormatError(
                f"File '{self.path}', variable '{name}': expected a 2-d matrix. Got MATLAB shape {shape} instead."
            )
        n, d = shape
        if self._h5 is None or self.is_sparse(name):
            whole = self.read(name)
            if sp.issparse(whole):
                check_sparse_rows(self.path, name, n, self.path.stat().st_size)
                whole = whole.tocsr()
            step = max(1, n)
            if not sp.issparse(whole):
                step = max(1, max_bytes // max(1, d * whole.dtype.itemsize))
            for start in range(0, n, step):
                yield start, whole[start:start + step]
            return
        node = self._node(name)
        if node.dtype.kind not in "biuf":
            raise DataFormatError(
                f"File '{self.path}', variable '{name}': expected a numeric array, got MATLAB class "
                f"'{self.matlab_class(name)}'."
            )
        step = max(1, max_bytes // max(1, d * node.dtype.itemsize))
        for start in range(0, n, step):
            stop = min(n, start + step)
            # h5py shape is (d, n): the MATLAB rows are the h5py columns.
            yield start, read_hdf5(node, self.path, name, np.s_[:, start:stop]).transpose()

    def raw(self, name):
        """The stored variable without reading it: an ``h5py.Dataset`` (v7.3,
        h5py's reversed axes) or, for v5, the loaded ndarray (MATLAB's axes)."""
        if self._h5 is None:
            shape = self.shape(name)
            nbytes = int(np.prod(shape, dtype=np.int64))
            if nbytes > 2**30:
                logger.warning(
                    "Reading variable '%s' (MATLAB shape %s) of the v5 file '%s' into memory: v5 files cannot "
                    "be read lazily; save it with -v7.3 to read it batch by batch.", name, shape, self.path,
                )
            return self.read(name)
        node = self._node(name)
        if isinstance(node, h5py.Group):
            raise DataFormatError(f"File '{self.path}', variable '{name}': expected a dense array, got a group.")
        return node
