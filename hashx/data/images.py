"""Raw images: a lazy (n, H, W, 3) uint8 store, and CNN-F input preprocessing.

MIRFlickr-25K's raw images (DCMH ``IAll``, or ``images`` in the merged
``FLICKR-25K.mat``) are a 20015 x 224 x 224 x 3 uint8 stack: about 3 GB.
:class:`LazyImages` wraps the stored array (an ``h5py.Dataset`` of a MATLAB
v7.3 or plain HDF5 file, a ``numpy.memmap`` or an ndarray) and reads only the
rows asked for, batch by batch, so that no code path loads the whole stack by
accident.

Storage layouts (``layout``: the axes of the *stored* array, as h5py or numpy
sees it; ``n`` items, ``h`` rows, ``w`` columns, ``c`` = 3 colour channels):

======== ============================================================================
``nhwc`` (n, H, W, 3): written from Python/numpy.
``ncwh`` (n, 3, W, H): a MATLAB ``H x W x 3 x n`` array seen through h5py (axes
         reversed), i.e. the DCMH ``IAll`` / ``FLICKR-25K.mat`` ``images``; the
         SSAH and DCMH loaders read it with ``transpose(0, 3, 2, 1)``.
``hwcn`` (H, W, 3, n): the same MATLAB array read by scipy from a v5 file.
``cwhn`` (3, W, H, n): a MATLAB ``n x H x W x 3`` array seen through h5py.
``nchw`` (n, 3, H, W): PyTorch order.
======== ============================================================================

``layout="auto"`` decides from the array: an h5py dataset carrying a
``MATLAB_class`` attribute is MATLAB-reversed (``ncwh`` or ``cwhn``); otherwise
the axis of length 3 decides (``nhwc`` if last, ``nchw`` if second).

Preprocessing (:func:`preprocess_images`) follows the CNN-F pipeline of the
SSAH and DCMH code: the 224 x 224 RGB images, as float32 in 0..255, minus the
mean image of the weights file's normalisation
(:meth:`hashx.data.vggf.VggfWeights.mean_image`), returned as NCHW float32
numpy arrays ready for ``torch.from_numpy``.  This module never imports torch.
"""

from __future__ import annotations

import logging
import os

import numpy as np

from .._validation import check_array, check_choice, check_int
from ..exceptions import DataFormatError, HashxTypeError, HashxValueError

__all__ = ["LazyImages", "preprocess_images", "LAYOUTS", "MIN_IMAGE_SIZE"]

logger = logging.getLogger(__name__)

#: The smallest height and width of raw images hashx reads: CNN-F, the network
#: for raw images (:mod:`hashx.models.cnnf`), needs a 3x3 map before pool5.
MIN_IMAGE_SIZE = 63

#: Stored layouts; each letter names the stored axis at its position
#: (n = item, h = image row, w = image column, c = colour).
LAYOUTS = ("nhwc", "ncwh", "hwcn", "cwhn", "nchw")


def _to_nhwc(block: np.ndarray, layout: str) -> np.ndarray:
    """A block in stored ``layout`` (letters = axes) as a C-contiguous (b, H, W, 3) array.

    Copies one colour plane at a time: for uint8 images this is several times
    faster than one ``ascontiguousarray(block.transpose(...))`` whose
    innermost output axis (colour) has the largest input stride.
    """
    if layout == "nhwc":
        return np.ascontiguousarray(block)
    axes = list(layout)
    rest = [a for a in axes if a != "c"]
    perm = tuple(rest.index(a) for a in "nhw")
    out_shape = tuple(block.shape[axes.index(a)] for a in "nhw") + (3,)
    out = np.empty(out_shape, dtype=block.dtype)
    for c in range(3):
        out[..., c] = np.take(block, c, axis=axes.index("c")).transpose(perm)
    return out


def _backing_file(store):
    """``(file name, size when opened)`` of an HDF5 dataset or a memory map, else None."""
    name = getattr(store, "filename", None) if isinstance(store, np.memmap) else None
    if name is None and not isinstance(store, np.ndarray):
        name = getattr(getattr(store, "file", None), "filename", None)
    if not name:
        return None
    try:
        return str(name), os.path.getsize(name)
    except OSError:
        return None


def _guess_layout(store) -> str:
    shape = tuple(int(s) for s in store.shape)
    attrs = getattr(store, "attrs", None)
    if attrs is not None and "MATLAB_class" in attrs:
        if shape[1] == 3:
            return "ncwh"
        if shape[0] == 3:
            return "cwhn"
    else:
        if shape[3] == 3 and shape[1] != 3:
            return "nhwc"
        if shape[1] == 3 and shape[3] != 3:
            return "nchw"
    raise HashxValueError(
        f"The 'layout' parameter of LazyImages cannot be guessed from the stored shape {shape}; "
        f"pass one of {', '.join(repr(x) for x in LAYOUTS)}."
    )


class LazyImages:
    """A lazy, read-only (n, H, W, 3) uint8 view of a stored raw-image stack.

    Parameters
    ----------
    store : h5py.Dataset, numpy.memmap or ndarray, 4-d, dtype=uint8
        The stored images in one of the layouts of :data:`LAYOUTS`.
    layout : str, default="auto"
        The stored layout (see the module docstring).
    rows : ndarray of shape (m,), dtype=int64, optional
        Item positions (into the store) that this view exposes, in order;
        all items when omitted.  :meth:`subset` builds such views.
    batch_size : int, default=256
        Items read from the store per batch by :meth:`read` and
        :meth:`iter_batches` (memory per batch: ``batch_size * H * W * 3`` bytes,
        times two during the axis transpose).
    source : str, optional
        A description (file and variable) used in messages.

    Attributes
    ----------
    shape : tuple of int
        ``(m, H, W, 3)``.
    """

    def __init__(self, store, *, layout: str = "auto", rows=None, batch_size: int = 256, source: str = ""):
        if len(getattr(store, "shape", ())) != 4:
            raise HashxValueError(
                f"The 'store' parameter of LazyImages must be a 4-d image stack. "
                f"Got shape {getattr(store, 'shape', None)} instead."
            )
        if np.dtype(store.dtype) != np.uint8:
            raise HashxValueError(
                f"The 'store' parameter of LazyImages must hold uint8 images. Got dtype {store.dtype} instead."
            )
        if layout == "auto":
            layout = _guess_layout(store)
        check_choice(layout, "layout", LAYOUTS, caller="LazyImages")
        self._store = store
        self._file = _backing_file(store)
        self.layout = layout
        self.batch_size = check_int(batch_size, "batch_size", caller="LazyImages", min_value=1)
        self.source = source
        stored = tuple(int(s) for s in store.shape)
        self._n_stored = stored[layout.index("n")]
        self._item_shape = tuple(stored[layout.index(a)] for a in "hwc")
        if self._item_shape[2] != 3:
            raise HashxValueError(
                f"The 'layout' parameter of LazyImages ({layout!r}) does not fit the stored shape {stored}: "
                f"items would have shape {self._item_shape}, not (H, W, 3)."
            )
        if rows is None:
            self._rows = None
        else:
            rows = np.asarray(rows, dtype=np.int64).reshape(-1)
            if rows.size and (rows.min() < 0 or rows.max() >= self._n_stored):
                raise HashxValueError(
                    f"The 'rows' parameter of LazyImages must index the {self._n_stored} stored items. "
                    f"Got values in [{rows.min()}, {rows.max()}] instead."
                )
            self._rows = rows

    # -- size -------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return (len(self),) + self._item_shape

    @property
    def dtype(self):
        return np.dtype(np.uint8)

    @property
    def ndim(self) -> int:
        return 4

    def __len__(self) -> int:
        return self._n_stored if self._rows is None else int(self._rows.shape[0])

    def __repr__(self) -> str:
        where = f" from {self.source}" if self.source else ""
        return f"LazyImages(shape={self.shape}, layout={self.layout!r}{where})"

    # -- views and reads --------------------------------------------------
    def _stored_rows(self, idx) -> np.ndarray:
        idx = np.asarray(idx)
        if idx.size == 0:
            idx = idx.astype(np.int64)
        if idx.dtype.kind not in "iu":
            raise HashxTypeError(
                f"The 'idx' parameter of LazyImages must be an integer array. Got dtype {idx.dtype} instead."
            )
        idx = idx.astype(np.int64, copy=False).reshape(-1)
        n = len(self)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise HashxValueError(
                f"The 'idx' parameter of LazyImages must hold positions in [0, {n}). "
                f"Got values in [{idx.min()}, {idx.max()}] instead."
            )
        idx = np.where(idx < 0, idx + n, idx)
        return idx if self._rows is None else self._rows[idx]

    def subset(self, idx) -> "LazyImages":
        """A lazy view of the items at positions ``idx`` (nothing is read)."""
        view = LazyImages(self._store, layout=self.layout, rows=self._stored_rows(idx),
                          batch_size=self.batch_size, source=self.source)
        view._file = self._file  # the size when the file was first opened
        return view

    def _read_sorted(self, rows: np.ndarray) -> np.ndarray:
        """Stored items ``rows`` (sorted, unique) as (b, H, W, 3); a failed read names the source.

        A file that shrank since it was opened (truncated by another program) is refused before the
        read: HDF5 would return zeros for the missing bytes, a memory map would kill the process (SIGBUS).
        """
        if self._file is not None:
            name, size = self._file
            try:
                now = os.path.getsize(name)
            except OSError:
                now = -1
            if now < size:
                raise DataFormatError(f"Raw images {self.source or repr(name)}: the file '{name}' shrank from {size} "
                                      f"to {max(now, 0)} bytes since it was opened (another program changed it); "
                                      f"its images cannot be read.")
        try:
            return self._read_sorted_unchecked(rows)
        except (OSError, RuntimeError, KeyError) as exc:  # h5py: a truncated or damaged file
            text = " ".join(str(exc).split()) or type(exc).__name__
            raise DataFormatError(f"Raw images {self.source or '(no source)'}: items {int(rows[0])}.."
                                  f"{int(rows[-1])} could not be read; the file is truncated or corrupted "
                                  f"({type(exc).__name__}: {text[:200]}).") from None

    def _read_sorted_unchecked(self, rows: np.ndarray) -> np.ndarray:
        axis = self.layout.index("n")
        lo, hi = int(rows[0]), int(rows[-1]) + 1
        sel = [slice(None)] * 4
        if hi - lo <= 2 * rows.shape[0]:  # dense enough: one contiguous read, then pick
            sel[axis] = slice(lo, hi)
            block = np.asarray(self._store[tuple(sel)])
            if hi - lo != rows.shape[0]:
                block = np.take(block, rows - lo, axis=axis)
        elif isinstance(self._store, np.ndarray):
            block = np.take(self._store, rows, axis=axis)
        else:
            # scattered rows: one slice per run of consecutive rows (h5py's list selection is far slower)
            breaks = np.flatnonzero(np.diff(rows) != 1) + 1
            parts = []
            for run in np.split(rows, breaks):
                sel[axis] = slice(int(run[0]), int(run[-1]) + 1)
                parts.append(np.asarray(self._store[tuple(sel)]))
            block = np.concatenate(parts, axis=axis)
        return _to_nhwc(block, self.layout)

    def read(self, idx) -> np.ndarray:
        """The images at positions ``idx``.

        Parameters
        ----------
        idx : array-like of int, shape (b,)
            Positions in this view (any order, repeats and negative positions allowed).

        Returns
        -------
        ndarray of shape (b, H, W, 3), dtype=uint8
            All ``b`` images (so ask for a batch, not the whole stack); the
            store is read ``batch_size`` sorted items at a time, each run of
            consecutive items with one slice.
        """
        rows = self._stored_rows(idx)
        out = np.empty((rows.shape[0],) + self._item_shape, dtype=np.uint8)
        if rows.size == 0:
            return out
        order = np.argsort(rows, kind="stable")
        sorted_rows = rows[order]
        for start in range(0, sorted_rows.shape[0], self.batch_size):
            chunk = sorted_rows[start:start + self.batch_size]
            uniq, inverse = np.unique(chunk, return_inverse=True)
            out[order[start:start + chunk.shape[0]]] = self._read_sorted(uniq)[inverse]
        return out

    def iter_batches(self, batch_size: int | None = None):
        """Yield ``(positions, images)`` over all items in order, ``batch_size`` at a time."""
        bs = self.batch_size if batch_size is None else check_int(
            batch_size, "batch_size", caller="LazyImages.iter_batches", min_value=1)
        for start in range(0, len(self), bs):
            pos = np.arange(start, min(len(self), start + bs), dtype=np.int64)
            yield pos, self.read(pos)

    def __getstate__(self):
        """Pickle an HDF5-backed view as (file name, dataset name), e.g. for DataLoader workers."""
        state = self.__dict__.copy()
        store = self._store
        if hasattr(store, "file") and hasattr(store, "name") and not isinstance(store, np.ndarray):
            state["_store"] = ("hdf5", store.file.filename, store.name)
        return state

    def __setstate__(self, state):
        store = state["_store"]
        if isinstance(store, tuple) and len(store) == 3 and store[0] == "hdf5":
            import h5py

            state["_store"] = h5py.File(store[1], "r")[store[2]]
        self.__dict__.update(state)

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "LazyImages will not convert itself to one in-memory array (the stack may be several GB); "
            "use .read(idx) or .iter_batches()."
        )


def preprocess_images(images: np.ndarray, mean) -> np.ndarray:
    """CNN-F input: float32 images minus the mean, as NCHW.

    Parameters
    ----------
    images : ndarray of shape (b, H, W, 3), dtype=uint8
        RGB images (0..255), e.g. from :meth:`LazyImages.read`.
    mean : ndarray of shape (H, W, 3) or (3,), float
        The mean image (or mean colour) of the weights file's normalisation,
        in the same 0..255 scale (see
        :meth:`hashx.data.vggf.VggfWeights.mean_image`).

    Returns
    -------
    ndarray of shape (b, 3, H, W), dtype=float32
    """
    check_array(images, "images", caller="preprocess_images", ndim=4, dtype=np.uint8)
    mean = np.asarray(mean, dtype=np.float32)
    if images.shape[3] != 3:
        raise HashxValueError(
            f"The 'images' parameter of preprocess_images must have shape (b, H, W, 3). "
            f"Got shape {images.shape} instead."
        )
    if mean.shape not in ((3,), images.shape[1:]):
        raise HashxValueError(
            f"The 'mean' parameter of preprocess_images must have shape (3,) or {images.shape[1:]} "
            f"(the image size). Got shape {mean.shape} instead."
        )
    if not np.isfinite(mean).all():
        raise HashxValueError("The 'mean' parameter of preprocess_images must hold only finite values.")
    out = images.astype(np.float32)
    out -= mean
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2))
