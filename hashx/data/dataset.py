"""CrossModalDataset: paired image and text data with multi-hot labels."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..exceptions import HashxValueError

__all__ = ["CrossModalDataset"]


def _take_rows(x, idx: np.ndarray):
    """Rows ``idx`` of an ndarray, a scipy sparse matrix or a lazy row store."""
    if isinstance(x, np.ndarray) or sp.issparse(x):
        return x[idx]
    return x.subset(idx)  # lazy stores (e.g. hashx.data.images.LazyImages)


@dataclass(frozen=True, eq=False)
class CrossModalDataset:
    """Paired image/text items with multi-hot labels.

    Parameters
    ----------
    image : ndarray of shape (n, d), dtype=float32, or a lazy (n, 224, 224, 3) uint8 store
        Precomputed image features, or raw images.  A lazy store (such as
        :class:`hashx.data.images.LazyImages`) reads rows on demand and has
        ``shape``, ``__len__``, ``subset(idx)`` and ``read(idx)``.
    text : ndarray or scipy.sparse matrix of shape (n, t)
        Text vectors (bag-of-words, topic vectors, ...).
    labels : ndarray of shape (n, c), dtype=uint8
        Multi-hot labels (0/1).
    name : str
        Dataset name (e.g. ``"mirflickr25k"``).
    ids : ndarray of shape (n,), dtype=int64, optional
        Row ids in the source files (defaults to ``arange(n)``); kept through
        :meth:`subset` so that results can be traced to source rows.
    notes : str
        Provenance shown with every result that uses this dataset (e.g. that
        the image features are synthetic stand-ins).
    """

    image: object
    text: object
    labels: np.ndarray
    name: str = "dataset"
    ids: np.ndarray | None = None
    notes: str = ""
    _n: int = field(init=False, repr=False)

    def __post_init__(self):
        n = int(self.labels.shape[0])
        for what, x in (("image", self.image), ("text", self.text)):
            if int(x.shape[0]) != n:
                raise HashxValueError(
                    f"CrossModalDataset '{self.name}': the {what} data has {x.shape[0]} rows "
                    f"but labels have {n}; every modality must have one row per item."
                )
        if self.ids is None:
            object.__setattr__(self, "ids", np.arange(n, dtype=np.int64))
        elif self.ids.shape != (n,):
            raise HashxValueError(
                f"CrossModalDataset '{self.name}': ids must have shape ({n},). Got {self.ids.shape} instead."
            )
        object.__setattr__(self, "_n", n)

    def __len__(self) -> int:
        return self._n

    @property
    def image_kind(self) -> str:
        """``"raw"`` for 4-d image tensors (n, H, W, 3), else ``"features"``."""
        return "raw" if len(self.image.shape) == 4 else "features"

    @property
    def image_dim(self) -> int | tuple:
        """Feature dimension, or the (H, W, 3) shape of raw images."""
        return int(self.image.shape[1]) if self.image_kind == "features" else tuple(self.image.shape[1:])

    @property
    def text_dim(self) -> int:
        return int(self.text.shape[1])

    @property
    def n_labels(self) -> int:
        return int(self.labels.shape[1])

    def subset(self, idx) -> "CrossModalDataset":
        """The items at row positions ``idx`` (an int array), as a new dataset."""
        idx = np.asarray(idx, dtype=np.int64)
        return CrossModalDataset(
            image=_take_rows(self.image, idx),
            text=_take_rows(self.text, idx),
            labels=self.labels[idx],
            name=self.name,
            ids=self.ids[idx],
            notes=self.notes,
        )

    def image_rows(self, idx) -> np.ndarray:
        """Image rows ``idx``: float32 features (b, d) or uint8 raw images (b, H, W, 3)."""
        idx = np.asarray(idx, dtype=np.int64)
        if isinstance(self.image, np.ndarray):
            rows = self.image[idx]
            return rows if self.image_kind == "raw" else rows.astype(np.float32, copy=False)
        return self.image.read(idx)

    def text_rows(self, idx) -> np.ndarray:
        """Text rows ``idx`` as a dense float32 array of shape (b, t)."""
        idx = np.asarray(idx, dtype=np.int64)
        rows = self.text[idx]
        if sp.issparse(rows):
            rows = rows.toarray()
        return np.asarray(rows, dtype=np.float32)
