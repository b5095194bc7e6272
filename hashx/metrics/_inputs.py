"""Validation and word-packing of the inputs shared by every retrieval metric.

Every public metric takes the same four arrays.  They are checked here once
(named-parameter errors, never a silent cast) and turned into the layout the
numba kernels scan:

* codes ``uint8 (n, nbits // 8)`` -> ``uint64 (n, ceil(nbits / 64))``, zero padded
  (padding bits are 0 in both query and database, so they add nothing to a
  Hamming distance);
* multi-hot labels ``(n, c)`` -> label bitmasks ``uint64 (n, ceil(c / 64))``, so
  "shares at least one label" is an AND of words and "number of shared labels"
  a popcount of that AND.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numba
import numpy as np

from .._torch_threads import pin_torch_threads
from .._validation import check_choice, check_int, check_labels, check_packed_codes, check_same_rows
from ..exceptions import HashxTypeError, HashxValueError

__all__ = [
    "RetrievalData",
    "prepare_retrieval",
    "check_ties",
    "check_ks",
    "check_k",
    "check_option",
    "codes_to_words",
    "labels_to_words",
    "query_chunks",
    "parallel_chunks",
]

#: Queries per kernel call: bounds the per-call histograms to a few MB.
QUERY_CHUNK = 4096

TIES = ("index", "average")


class RetrievalData(NamedTuple):
    """Validated inputs of a metric, in kernel layout."""

    query_words: np.ndarray  # uint64 (n_query, code_words)
    db_words: np.ndarray  # uint64 (n_db, code_words)
    query_masks: np.ndarray  # uint64 (n_query, label_words)
    db_masks: np.ndarray  # uint64 (n_db, label_words)
    nbits: int
    n_labels: int

    @property
    def n_query(self) -> int:
        return self.query_words.shape[0]

    @property
    def n_db(self) -> int:
        return self.db_words.shape[0]


def codes_to_words(codes: np.ndarray) -> np.ndarray:
    """Packed uint8 codes ``(n, w)`` -> zero-padded uint64 words ``(n, ceil(w / 8))``."""
    n, width = codes.shape
    n_words = (width + 7) // 8
    padded = np.zeros((n, n_words * 8), dtype=np.uint8)
    padded[:, :width] = codes
    return padded.view(np.uint64)


def labels_to_words(labels: np.ndarray) -> np.ndarray:
    """Multi-hot 0/1 labels ``(n, c)`` -> bitmasks uint64 ``(n, ceil(c / 64))``."""
    n, c = labels.shape
    packed = np.packbits(labels.astype(bool, copy=False), axis=1, bitorder="little")
    n_words = (c + 63) // 64
    padded = np.zeros((n, n_words * 8), dtype=np.uint8)
    padded[:, : packed.shape[1]] = packed
    return padded.view(np.uint64)


def prepare_retrieval(query_codes, db_codes, query_labels, db_labels, *, caller: str) -> RetrievalData:
    """Validate the four arrays every metric takes and convert them to kernel layout.

    Raises
    ------
    HashxTypeError
        A parameter is not an ndarray, codes are not uint8, labels are not integer/bool.
    HashxValueError
        Empty inputs, code widths or label widths that differ between query and
        database, row counts that differ between codes and labels, labels not 0/1.
    """
    query_codes = check_packed_codes(query_codes, None, "query_codes", caller=caller, allow_empty=False)
    db_codes = check_packed_codes(db_codes, None, "db_codes", caller=caller, allow_empty=False)
    if db_codes.shape[1] != query_codes.shape[1]:
        raise HashxValueError(
            f"The 'db_codes' parameter of {caller} must have the same code width as 'query_codes' "
            f"({query_codes.shape[1]} bytes = {8 * query_codes.shape[1]} bits). "
            f"Got {db_codes.shape[1]} bytes = {8 * db_codes.shape[1]} bits instead."
        )
    query_labels = check_labels(query_labels, "query_labels", caller=caller)
    db_labels = check_labels(db_labels, "db_labels", caller=caller)
    check_same_rows(query_codes, query_labels, "query_codes", "query_labels", caller=caller)
    check_same_rows(db_codes, db_labels, "db_codes", "db_labels", caller=caller)
    if db_labels.shape[1] != query_labels.shape[1]:
        raise HashxValueError(
            f"The 'db_labels' parameter of {caller} must have as many label columns as 'query_labels' "
            f"({query_labels.shape[1]}). Got {db_labels.shape[1]} instead."
        )
    return RetrievalData(
        query_words=codes_to_words(query_codes),
        db_words=codes_to_words(db_codes),
        query_masks=labels_to_words(query_labels),
        db_masks=labels_to_words(db_labels),
        nbits=8 * query_codes.shape[1],
        n_labels=query_labels.shape[1],
    )


def check_ties(ties, caller: str) -> str:
    """Check the ``ties`` parameter ("index" or "average")."""
    return check_choice(ties, "ties", TIES, caller=caller)


def check_option(value, name: str, choices, caller: str) -> str:
    """Check a string option against its allowed values."""
    return check_choice(value, name, choices, caller=caller)


def check_k(k, caller: str, *, allow_none: bool = True) -> int | None:
    """Check a cut-off ``k``: an int >= 1 (or None for the whole database)."""
    return check_int(k, "k", caller=caller, min_value=1, allow_none=allow_none)


def check_ks(ks, caller: str) -> tuple[np.ndarray, bool]:
    """Check ``ks``: an int >= 1 or a non-empty 1-d sequence of them.

    Returns
    -------
    ks : ndarray of shape (m,), dtype=int64
    scalar : bool
        True if a single int was given (the metric then returns a float).
    """
    if isinstance(ks, numbers.Integral) and not isinstance(ks, (bool, np.bool_)):
        return np.array([check_int(ks, "ks", caller=caller, min_value=1)], dtype=np.int64), True
    if isinstance(ks, (str, bytes)) or not hasattr(ks, "__len__"):
        raise HashxTypeError(
            f"The 'ks' parameter of {caller} must be an int >= 1 or a sequence of them. "
            f"Got {type(ks).__name__} instead."
        )
    if isinstance(ks, np.ndarray) and ks.ndim != 1:
        raise HashxValueError(
            f"The 'ks' parameter of {caller} must be 1-d. Got an array of shape {ks.shape} instead."
        )
    if len(ks) == 0:
        raise HashxValueError(f"The 'ks' parameter of {caller} must hold at least one k. Got an empty sequence.")
    values = [check_int(v, f"ks[{i}]", caller=caller, min_value=1) for i, v in enumerate(ks)]
    return np.asarray(values, dtype=np.int64), False


def query_chunks(n_query: int, size: int | None = None):
    """Yield slices covering ``range(n_query)`` in consecutive chunks of ``size`` (default QUERY_CHUNK)."""
    size = QUERY_CHUNK if size is None else size
    for start in range(0, n_query, size):
        yield slice(start, min(start + size, n_query))


def parallel_chunks() -> int:
    """Chunks of queries a parallel kernel splits its queries into (8 per numba thread).

    Called before every parallel kernel; it first pins torch's thread count
    (:mod:`hashx._torch_threads`) so that numba's OpenMP pool cannot change it.
    """
    pin_torch_threads()
    return 8 * numba.get_num_threads()
