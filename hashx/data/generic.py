"""Generic dataset files: ``.npz``, HDF5 (``.h5``/``.hdf5``) and ``.npy`` arrays.

Layout (rows are items; no axis reversal, unlike MATLAB v7.3):

- ``image``: float features (n, d), or raw uint8 images (n, H, W, 3) or
  (n, 3, H, W);
- ``text``: (n, t) dense, or sparse CSR stored as ``text_data``,
  ``text_indices``, ``text_indptr``, ``text_shape`` (``.npz``) or as an HDF5
  group ``text`` with datasets ``data``, ``indices``, ``indptr`` and an
  attribute (or dataset) ``shape``;
- ``labels``: (n, c) 0/1;
- ``ids`` (optional): (n,) integer row ids.

Where they live:

- one ``.npz`` file (loaded into memory; raw images in an ``.npz`` are loaded
  too, so use HDF5 or ``.npy`` for large raw-image stacks);
- one HDF5 file: raw images stay on disk and are read lazily
  (:class:`~hashx.data.images.LazyImages`); features and text are loaded;
- a folder of ``.npy`` files ``image.npy``, ``text.npy``, ``labels.npy``
  (``ids.npy`` optional), or three explicit ``.npy`` paths
  (:func:`load_npy`); ``.npy`` files are memory-mapped, so raw images are
  read lazily.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import scipy.sparse as sp

from .._atomic import atomic_write
from ..exceptions import DataFormatError, HashxValueError
from . import _arrays as A
from ._csr import checked_compressed
from ._hdf5 import hdf5_dataset, hdf5_errors, open_hdf5, read_hdf5
from ._numpy_files import NpzArchive, open_npy
from .dataset import CrossModalDataset
from .images import LazyImages

__all__ = ["GENERIC_SUFFIXES", "load_generic", "load_npy", "save_generic"]

GENERIC_SUFFIXES = (".npz", ".h5", ".hdf5")
_NPY_NAMES = ("image.npy", "text.npy", "labels.npy")
#: The four arrays of a CSR text matrix in an ``.npz`` file.
CSR_KEYS = ("text_data", "text_indices", "text_indptr", "text_shape")


def _need(container, key, path, found):
    if key not in container:
        raise DataFormatError(f"File '{path}' has no variable '{key}'. Variables found: {', '.join(found)}.")
    return container[key]


def _image(src, path, var, layout):
    if len(A.source_shape(src, var)) == 4:
        return A.lazy_images(src, path, var, layout=layout)
    return A.read_features(src, path, var)


def _ids(src, path, n):
    if src is None:
        return None
    ids = read_hdf5(src, path, "ids") if isinstance(src, h5py.Dataset) else np.asarray(src)
    if ids.shape != (n,) or ids.dtype.kind not in "iu":
        raise DataFormatError(f"{A.where(path, 'ids')}: expected ({n},) integers. Got {ids.dtype} {ids.shape}.")
    return ids.astype(np.int64)


def _build(path, name, image_src, text_src, labels_src, ids_src, sparse_text, image_layout):
    labels = A.read_labels(labels_src, path, "labels")
    image = _image(image_src, path, "image", image_layout)
    A.check_rows([(path, "labels", labels.shape[0]), (path, "text", A.item_count(text_src, "text")),
                  (path, "image", A.item_count(image, "image"))])
    text = A.read_text(text_src, path, "text", sparse=sparse_text)
    return CrossModalDataset(image=image, text=text, labels=labels, name=name,
                             ids=_ids(ids_src, path, labels.shape[0]), notes=f"Read from {path}.")


def _npz_text(z: NpzArchive, path):
    """``text`` of an ``.npz``: the dense array, or a CSR matrix from the four ``text_*`` arrays (checked)."""
    if "text" in z:
        return z["text"]
    if all(k in z for k in CSR_KEYS):
        return checked_compressed(z["text_data"], z["text_indices"], z["text_indptr"], z["text_shape"],
                                  path, "text")
    present = [k for k in CSR_KEYS if k in z]
    if present:
        raise DataFormatError(f"File '{path}' holds a partial CSR text matrix: {', '.join(present)} without "
                              f"{', '.join(k for k in CSR_KEYS if k not in z)}.")
    return _need(z.files, "text", path, z.files)


def _h5_text(f, path):
    """``text`` of an HDF5 file: a dataset, or a group ``data``/``indices``/``indptr`` + ``shape`` (checked CSR)."""
    with hdf5_errors(path, "text"):
        node = _need(f, "text", path, list(f.keys()))
        if not isinstance(node, h5py.Group):
            return hdf5_dataset(f, "text", path)
        parts = {k: read_hdf5(hdf5_dataset(node, k, path, var=f"text/{k}"), path, f"text/{k}")
                 for k in ("data", "indices", "indptr")}
        shape = node.attrs["shape"] if "shape" in node.attrs else \
            read_hdf5(hdf5_dataset(node, "shape", path, var="text/shape"), path, "text/shape")
    return checked_compressed(parts["data"], parts["indices"], parts["indptr"], shape, path, "text")


def _require_path(path, caller: str) -> Path:
    if path is None or (isinstance(path, str) and not path.strip()):
        raise HashxValueError(
            f"The 'path' parameter of {caller} is required: the .npz or .h5 file, or a folder of .npy files "
            f"(on the command line, --data-dir FILE with --dataset files). Got {path!r} instead."
        )
    return Path(path)


def load_generic(path, *, name: str | None = None, sparse_text: bool | None = None,
                 image_layout: str = "auto") -> CrossModalDataset:
    """Load a generic ``.npz`` / HDF5 file or a folder of ``.npy`` files (module docstring).

    Parameters
    ----------
    path : str or os.PathLike
    name : str, optional
        Dataset name (default: the file's stem).
    sparse_text : bool, optional
        Text as CSR (True), dense (False) or by size (None).
    image_layout : str
        Layout of raw images (:data:`hashx.data.images.LAYOUTS`), ``"auto"`` by default.

    Raises
    ------
    DataFormatError
        Unknown suffix or missing file, a missing variable, wrong shapes,
        disagreeing row counts, rows with no label, NaN/Inf values.
    """
    path = _require_path(path, "load_generic")
    name = name or path.stem
    if path.is_dir():
        return load_npy(*(path / f for f in _NPY_NAMES), ids=path / "ids.npy" if (path / "ids.npy").is_file()
                        else None, name=name, sparse_text=sparse_text, image_layout=image_layout)
    if not path.is_file():
        raise DataFormatError(f"Dataset file '{path}' does not exist.")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        with NpzArchive(path) as z:
            return _build(path, name, _need(z, "image", path, z.files), _npz_text(z, path),
                          _need(z, "labels", path, z.files), z["ids"] if "ids" in z else None, sparse_text,
                          image_layout)
    if suffix in (".h5", ".hdf5"):
        f = open_hdf5(path)
        try:
            ds = _build(path, name, hdf5_dataset(f, "image", path), _h5_text(f, path), hdf5_dataset(f, "labels", path),
                        hdf5_dataset(f, "ids", path) if "ids" in f else None, sparse_text, image_layout)
        except BaseException:
            f.close()
            raise
        if not isinstance(ds.image, LazyImages):
            f.close()  # everything was read; raw images keep the file open
        return ds
    raise DataFormatError(
        f"File '{path}': unknown dataset file type '{suffix}'. Expected one of {', '.join(GENERIC_SUFFIXES)} "
        f"or a folder with {', '.join(_NPY_NAMES)}."
    )


def load_npy(image, text, labels, *, ids=None, name: str = "dataset", sparse_text: bool | None = None,
             image_layout: str = "auto") -> CrossModalDataset:
    """Load a dataset from ``.npy`` files, one per modality (memory-mapped).

    Parameters
    ----------
    image, text, labels : str or os.PathLike
        ``.npy`` files with the arrays of the module docstring.
    ids : str or os.PathLike, optional
        A ``.npy`` file of row ids.
    """
    arrays = {}
    for var, p in (("image", image), ("text", text), ("labels", labels), ("ids", ids)):
        if p is None:
            arrays[var] = None
            continue
        p = Path(p)
        if not p.is_file():
            raise DataFormatError(f"File '{p}' ({var}) does not exist.")
        arrays[var] = open_npy(p, var)
    where = Path(image).parent
    labels_arr = A.read_labels(arrays["labels"], Path(labels), "labels")
    image_data = _image(arrays["image"], Path(image), "image", image_layout)
    A.check_rows([(Path(labels), "labels", labels_arr.shape[0]), (Path(text), "text", A.item_count(arrays["text"], "text")),
                  (Path(image), "image", A.item_count(image_data, "image"))])
    text_data = A.read_text(arrays["text"], Path(text), "text", sparse=sparse_text)
    return CrossModalDataset(image=image_data, text=text_data, labels=labels_arr, name=name,
                             ids=_ids(arrays["ids"], Path(ids) if ids else where, labels_arr.shape[0]),
                             notes=f"Read from .npy files in {where}.")


def save_generic(path, dataset: CrossModalDataset) -> Path:
    """Write a dataset as a generic ``.npz`` file (the layout above), atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; must end in ``.npz``.
    dataset : CrossModalDataset
        Features and text are written as they are (sparse text as the four
        ``text_*`` arrays); raw images are read into the file, so use this for
        feature datasets and modest raw-image sets only.

    Returns
    -------
    pathlib.Path
        ``path``; :func:`load_generic` reads it back identically.
    """
    path = Path(path)
    if path.suffix.lower() != ".npz":
        raise HashxValueError(f"The 'path' parameter of save_generic must end in .npz. Got '{path}' instead.")
    rows = np.arange(len(dataset))
    arrays = {"image": dataset.image_rows(rows), "labels": dataset.labels, "ids": dataset.ids}
    if sp.issparse(dataset.text):
        text = sp.csr_matrix(dataset.text)
        arrays.update(text_data=text.data, text_indices=text.indices, text_indptr=text.indptr,
                      text_shape=np.array(text.shape, dtype=np.int64))
    else:
        arrays["text"] = np.asarray(dataset.text)
    with atomic_write(path, "wb") as f:
        np.savez(f, **arrays)
    return path

