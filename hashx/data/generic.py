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
from .dataset import CrossModalDataset
from .images import LazyImages

__all__ = ["GENERIC_SUFFIXES", "load_generic", "load_npy", "save_generic"]

GENERIC_SUFFIXES = (".npz", ".h5", ".hdf5")
_NPY_NAMES = ("image.npy", "text.npy", "labels.npy")


def _need(container, key, path, found):
    if key not in container:
        raise DataFormatError(f"File '{path}' has no variable '{key}'. Variables found: {', '.join(found)}.")
    return container[key]


def _image(src, path, var, layout):
    if len(src.shape) == 4:
        if src.dtype != np.uint8:
            raise DataFormatError(f"{A.where(path, var)}: raw images must be uint8. Got dtype {src.dtype}.")
        try:
            return LazyImages(src, layout=layout, source=f"'{path}' variable '{var}'")
        except ValueError as exc:
            raise DataFormatError(f"{A.where(path, var)}: {exc}") from None
    return A.read_features(src, path, var)


def _ids(src, path, n):
    if src is None:
        return None
    ids = np.asarray(src)
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


def _npz_text(z, path):
    if "text" in z.files:
        return z["text"]
    keys = ("text_data", "text_indices", "text_indptr", "text_shape")
    if all(k in z.files for k in keys):
        try:
            return sp.csr_matrix((z["text_data"], z["text_indices"], z["text_indptr"]),
                                 shape=tuple(int(s) for s in z["text_shape"]))
        except ValueError as exc:
            raise DataFormatError(f"{A.where(path, 'text')}: a malformed CSR matrix ({exc}).") from None
    return _need(z.files, "text", path, z.files)


def _h5_text(f, path):
    node = _need(f, "text", path, list(f.keys()))
    if isinstance(node, h5py.Group):
        try:
            shape = node.attrs["shape"] if "shape" in node.attrs else node["shape"][()]
            return sp.csr_matrix((node["data"][()], node["indices"][()], node["indptr"][()]),
                                 shape=tuple(int(s) for s in shape))
        except (KeyError, ValueError) as exc:
            raise DataFormatError(f"{A.where(path, 'text')}: a malformed CSR group ({exc}).") from None
    return node


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
    path = Path(path)
    name = name or path.stem
    if path.is_dir():
        return load_npy(*(path / f for f in _NPY_NAMES), ids=path / "ids.npy" if (path / "ids.npy").is_file()
                        else None, name=name, sparse_text=sparse_text, image_layout=image_layout)
    if not path.is_file():
        raise DataFormatError(f"Dataset file '{path}' does not exist.")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        try:
            z = np.load(path, allow_pickle=False)
        except Exception as exc:
            raise DataFormatError(f"File '{path}' is not a readable .npz file ({exc}).") from None
        with z:
            return _build(path, name, _need(z, "image", path, z.files), _npz_text(z, path),
                          _need(z, "labels", path, z.files), z["ids"] if "ids" in z.files else None,
                          sparse_text, image_layout)
    if suffix in (".h5", ".hdf5"):
        try:
            f = h5py.File(path, "r")
        except OSError as exc:
            raise DataFormatError(f"File '{path}' is not a readable HDF5 file ({exc}).") from None
        keys = list(f.keys())
        image = _need(f, "image", path, keys)
        ds = _build(path, name, image, _h5_text(f, path), _need(f, "labels", path, keys)[()],
                    f["ids"][()] if "ids" in f else None, sparse_text, image_layout)
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
        try:
            arrays[var] = np.load(p, mmap_mode="r", allow_pickle=False)
        except Exception as exc:
            raise DataFormatError(f"File '{p}' ({var}) is not a readable .npy file ({exc}).") from None
    where = Path(image).parent
    labels_arr = A.read_labels(arrays["labels"], Path(labels), "labels")
    image_data = _image(arrays["image"], Path(image), "image", image_layout)
    A.check_rows([(Path(labels), "labels", labels_arr.shape[0]), (Path(text), "text", arrays["text"].shape[0]),
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

