"""Split: the row indices of one protocol's query, retrieval, train and validation sets."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._atomic import atomic_write
from ..exceptions import DataFormatError, HashxValueError

__all__ = ["Split", "SPLIT_FORMAT", "SPLIT_FORMAT_VERSION"]

_PARTS = ("query", "retrieval", "train", "val")

#: ``format`` field of a split file, and the version this code writes and reads.
SPLIT_FORMAT = "hashx-split"
SPLIT_FORMAT_VERSION = 1


def _json_indices(values, path, part) -> np.ndarray:
    """A JSON index list as int64; ``1.5``, ``true`` or ``1.0`` are not indices (no silent truncation)."""
    if not isinstance(values, list) or not all(type(v) is int for v in values):
        raise DataFormatError(f"Split file '{path}': '{part}' must be a list of integer indices.")
    return np.asarray(values, dtype=np.int64)


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

    # -- checks ------------------------------------------------------------
    def validate(self, n_items: int | None = None) -> "Split":
        """Check the split's invariants; return ``self``.

        Each part is a 1-d int64 array of distinct non-negative indices
        (``< n_items`` when given); ``query`` and ``retrieval`` are disjoint;
        ``train`` is a subset of ``retrieval`` (so it never overlaps ``query``);
        ``val`` is a subset of ``train``.

        Raises
        ------
        HashxValueError
            An invariant does not hold (the message names the part).
        """
        for part in _PARTS:
            x = getattr(self, part)
            if not isinstance(x, np.ndarray) or x.dtype != np.int64 or x.ndim != 1:
                raise HashxValueError(
                    f"Split '{self.protocol}': '{part}' must be a 1-d int64 array. "
                    f"Got {type(x).__name__} {getattr(x, 'dtype', '')} of shape {getattr(x, 'shape', None)}."
                )
            if x.size and x.min() < 0:
                raise HashxValueError(f"Split '{self.protocol}': '{part}' holds negative indices.")
            if n_items is not None and x.size and x.max() >= n_items:
                raise HashxValueError(
                    f"Split '{self.protocol}': '{part}' holds index {int(x.max())}, but the dataset has "
                    f"{n_items} items."
                )
        # membership masks (O(n), no sorting; numpy's hash-based unique is slow on large arrays)
        parts = {part: getattr(self, part) for part in _PARTS}
        size = 1 + max([int(x.max()) for x in parts.values() if x.size] + [0])
        total = sum(int(x.size) for x in parts.values())
        if size > 8 * total + (1 << 20):  # indices far apart (e.g. 2**62): relabel them 0..m-1 first, by sorting
            uniq = np.unique(np.concatenate(list(parts.values())))
            parts = {part: np.searchsorted(uniq, x) for part, x in parts.items()}
            size = int(uniq.size)
        masks = {}
        for part in _PARTS:
            x = parts[part]
            mask = np.zeros(size, dtype=bool)
            mask[x] = True
            if np.count_nonzero(mask) != x.size:
                raise HashxValueError(f"Split '{self.protocol}': '{part}' holds repeated indices.")
            masks[part] = mask
        q, r, t, v = (masks[p] for p in _PARTS)
        if (q & r).any():
            raise HashxValueError(f"Split '{self.protocol}': 'query' and 'retrieval' overlap.")
        if (t & ~r).any():
            raise HashxValueError(f"Split '{self.protocol}': 'train' must be a subset of 'retrieval'.")
        if (t & q).any():
            raise HashxValueError(f"Split '{self.protocol}': 'train' overlaps 'query'.")
        if (v & ~t).any():
            raise HashxValueError(f"Split '{self.protocol}': 'val' must be a subset of 'train'.")
        return self

    # -- files ---------------------------------------------------------------
    def _meta(self) -> dict:
        return {"format": SPLIT_FORMAT, "version": SPLIT_FORMAT_VERSION, "protocol": self.protocol,
                "seed": int(self.seed), "sizes": self.sizes(), "sha256": self.sha256}

    def save(self, path) -> Path:
        """Write the split to ``path`` (``.json`` or ``.npz``), atomically.

        The file stores the protocol, the seed, the four index arrays and
        their :attr:`sha256`, which :meth:`load` verifies.  JSON output is
        deterministic (same split -> same bytes): one index list per line.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        path = Path(os.fspath(path))
        suffix = path.suffix.lower()
        if suffix not in (".json", ".npz"):
            raise HashxValueError(
                f"The 'path' parameter of Split.save must end in .json or .npz. Got '{path}' instead."
            )
        self.validate()
        if suffix == ".json":
            lines = ["{"]
            for key, value in self._meta().items():
                lines.append(f"  {json.dumps(key)}: {json.dumps(value)},")
            for i, part in enumerate(_PARTS):
                values = ",".join(str(int(v)) for v in getattr(self, part))
                lines.append(f'  "{part}": [{values}]' + ("," if i < len(_PARTS) - 1 else ""))
            lines.append("}")
            with atomic_write(path, "w") as f:
                f.write("\n".join(lines) + "\n")
        else:
            arrays = {part: np.ascontiguousarray(getattr(self, part), dtype="<i8") for part in _PARTS}
            with atomic_write(path, "wb") as f:
                np.savez_compressed(f, meta=np.array(json.dumps(self._meta(), sort_keys=True)), **arrays)
        return path

    @classmethod
    def load(cls, path) -> "Split":
        """Read a split file written by :meth:`save` and verify it.

        Raises
        ------
        DataFormatError
            The file is missing, unreadable, not a hashx split file, of an
            unknown version, its indices do not match the stored sha256 (a
            corrupted or edited file), or the split breaks an invariant of
            :meth:`validate`.  The message names the file.
        """
        path = Path(os.fspath(path))
        if not path.is_file():
            raise DataFormatError(f"Split file '{path}' does not exist.")
        try:
            if path.suffix.lower() == ".npz":
                with np.load(path, allow_pickle=False) as z:
                    meta = json.loads(str(z["meta"][()]))
                    parts = {part: np.asarray(z[part]) for part in _PARTS}
            else:
                with open(path, encoding="utf-8") as f:
                    meta = json.load(f)
                parts = {part: _json_indices(meta.pop(part), path, part) for part in _PARTS}
        except DataFormatError:
            raise
        except Exception as exc:  # zip/json/key errors of a damaged file
            raise DataFormatError(f"Split file '{path}' could not be read ({type(exc).__name__}: {exc}).") from None
        if not isinstance(meta, dict) or meta.get("format") != SPLIT_FORMAT:
            raise DataFormatError(f"File '{path}' is not a hashx split file (no format '{SPLIT_FORMAT}').")
        if meta.get("version") != SPLIT_FORMAT_VERSION:
            raise DataFormatError(
                f"Split file '{path}' has format version {meta.get('version')!r}; this hashx reads "
                f"version {SPLIT_FORMAT_VERSION}."
            )
        for part, x in parts.items():
            if x.ndim != 1 or (x.size and x.dtype.kind not in "iu"):
                raise DataFormatError(f"Split file '{path}': '{part}' is not a 1-d integer array.")
        try:
            split = cls(protocol=str(meta["protocol"]), seed=int(meta["seed"]),
                        **{part: x.astype(np.int64) for part, x in parts.items()})
            stored = str(meta["sha256"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DataFormatError(f"Split file '{path}' lacks or mangles a field ({exc}).") from None
        if split.sha256 != stored:
            raise DataFormatError(
                f"Split file '{path}' is corrupted or was edited: its indices hash to {split.sha256}, "
                f"but the file records sha256 {stored}."
            )
        if "sizes" in meta and meta["sizes"] != split.sizes():
            raise DataFormatError(
                f"Split file '{path}' is corrupted or was edited: it records sizes {meta['sizes']}, "
                f"but its index arrays have sizes {split.sizes()}."
            )
        try:
            split.validate()
        except HashxValueError as exc:
            raise DataFormatError(f"Split file '{path}': {exc}") from None
        return split
