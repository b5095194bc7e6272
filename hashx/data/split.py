"""Split: the row indices of one protocol's query, retrieval, train and validation sets."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

__all__ = ["Split"]

_PARTS = ("query", "retrieval", "train", "val")


@dataclass(frozen=True, eq=False)
class Split:
    """Row indices (into a :class:`~hashx.data.CrossModalDataset`) of one protocol.

    Attributes
    ----------
    protocol : str
        Protocol name (e.g. ``"mirflickr25k"``).
    seed : int
        Seed the split was drawn with.
    query : ndarray of shape (n_query,), dtype=int64
        Query items (the evaluation queries; never used for training or model selection).
    retrieval : ndarray of shape (n_retrieval,), dtype=int64
        Retrieval database; disjoint from ``query``.
    train : ndarray of shape (n_train,), dtype=int64
        Training items, a subset of ``retrieval`` (or equal to it, e.g. Wikipedia).
    val : ndarray of shape (n_val,), dtype=int64
        Validation items, a subset of ``train``: used for model selection as
        queries against the other training items (:attr:`fit`).
    """

    protocol: str
    seed: int
    query: np.ndarray
    retrieval: np.ndarray
    train: np.ndarray
    val: np.ndarray

    @property
    def fit(self) -> np.ndarray:
        """Training items that are not validation items (sorted as in ``train``)."""
        return self.train[~np.isin(self.train, self.val)]

    @property
    def sha256(self) -> str:
        """SHA-256 (hex) of the indices: for each part in the order query,
        retrieval, train, val, the part's name in ASCII followed by its indices
        as little-endian int64."""
        h = hashlib.sha256()
        for part in _PARTS:
            h.update(part.encode("ascii"))
            h.update(np.ascontiguousarray(getattr(self, part), dtype="<i8").tobytes())
        return h.hexdigest()

    def sizes(self) -> dict:
        """``{"query": n, "retrieval": n, "train": n, "val": n}``."""
        return {part: int(getattr(self, part).shape[0]) for part in _PARTS}
