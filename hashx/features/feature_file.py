"""Feature files: ``.npz`` archives written in bounded memory, atomically, with their recipe inside.

An image feature file holds

- ``image``: float32 (n, d), one row per image;
- ``paths``: (n,) str, each image's path relative to the image folder;
- ``meta``: a 0-d str array holding JSON: backbone, layer, weights file and its
  SHA-256, preprocessing, hashx and package versions, image root.

A text feature file holds ``text`` (dense float32 (n, d)) or the CSR arrays
``text_data``, ``text_indices``, ``text_indptr``, ``text_shape`` (the layout of
:mod:`hashx.data.generic`), ``vocabulary`` ((t,) str) for bag-of-words and
TF-IDF, and ``meta``.  Both are read by ``hashx encode`` and
:func:`hashx.data.read_modality` as they are, and joined with labels into one
dataset file by :func:`hashx.features.assemble_dataset`.

Arrays are written one block at a time into the zip archive (stored, no
compression, ZIP64 for large files), so a 25,000 x 4,096 feature matrix never
has to be in memory at once; the archive is written to a temporary file and
renamed into place only when complete (:func:`hashx._atomic.atomic_write`).
``numpy.load`` reads it like any ``.npz``.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._atomic import atomic_write
from ..exceptions import DataFormatError

__all__ = ["ArrayStream", "write_npz", "meta_array", "read_meta"]


@dataclass(frozen=True)
class ArrayStream:
    """An array given as consecutive row blocks, for :func:`write_npz`.

    Attributes
    ----------
    shape : tuple of int
        Shape of the whole array.
    dtype : numpy dtype
    blocks : iterable of ndarray
        Row blocks whose concatenation has ``shape`` and ``dtype``.
    """

    shape: tuple
    dtype: object
    blocks: Iterable


def meta_array(meta: dict) -> np.ndarray:
    """A JSON dict as a 0-d str array (readable with ``allow_pickle=False``)."""
    return np.array(json.dumps(meta, sort_keys=True))


def _write_stream(zf: zipfile.ZipFile, name: str, stream: ArrayStream) -> None:
    dtype = np.dtype(stream.dtype)
    header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False,
              "shape": tuple(int(s) for s in stream.shape)}
    rows, written = header["shape"][0], 0
    with zf.open(name + ".npy", "w", force_zip64=True) as f:
        np.lib.format.write_array_header_2_0(f, header)
        for block in stream.blocks:
            block = np.ascontiguousarray(block, dtype=dtype)
            if block.shape[1:] != header["shape"][1:]:
                raise ValueError(f"ArrayStream '{name}': a block of shape {block.shape} does not fit "
                                 f"{header['shape']}.")
            f.write(block.tobytes())
            written += block.shape[0]
    if written != rows:
        raise ValueError(f"ArrayStream '{name}': {written} rows written, {rows} announced.")


def write_npz(path, arrays: dict) -> Path:
    """Write an ``.npz`` archive atomically; :class:`ArrayStream` values are written block by block.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; it appears only once complete.
    arrays : dict of str -> ndarray or ArrayStream

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    with atomic_write(path, "wb") as f:
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            for name, value in arrays.items():
                if isinstance(value, ArrayStream):
                    _write_stream(zf, name, value)
                else:
                    value = np.asanyarray(value)
                    with zf.open(name + ".npy", "w", force_zip64=True) as g:
                        np.lib.format.write_array(g, value, allow_pickle=False)
    return path


def read_meta(path) -> dict:
    """The ``meta`` JSON of a feature or dataset file written by hashx.

    Raises
    ------
    DataFormatError
        Not a readable ``.npz``, or no valid ``meta`` entry.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            if "meta" not in z.files:
                raise DataFormatError(f"File '{path}' has no 'meta' entry; it was not written by hashx features.")
            return json.loads(str(z["meta"]))
    except DataFormatError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise DataFormatError(f"File '{path}' is not a readable hashx feature file ({exc}).") from None
