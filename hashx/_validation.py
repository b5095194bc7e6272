"""Input validation: the one place hashx formats its error messages.

Every public function validates at its boundary with these helpers, so that
messages read the same everywhere::

    The 'k' parameter of HammingIndex.search must be an int >= 1. Got 0 instead.
"""

from __future__ import annotations

import difflib
import numbers

import numpy as np

from .exceptions import HashxTypeError, HashxValueError

__all__ = [
    "check_int",
    "check_float",
    "check_choice",
    "check_array",
    "check_nbits",
    "check_packed_codes",
    "check_same_rows",
    "check_labels",
    "check_finite",
]


def _where(caller: str | None) -> str:
    return f" of {caller}" if caller else ""


def check_int(value, name: str, *, caller: str | None = None, min_value: int | None = None,
              max_value: int | None = None, allow_none: bool = False) -> int | None:
    """Return ``value`` as an int after checking its type and range.

    bool is rejected (``True`` is not a count), numpy integers are accepted.
    """
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        bounds = _describe_bounds(min_value, max_value)
        none = " or None" if allow_none else ""
        raise HashxTypeError(
            f"The '{name}' parameter{_where(caller)} must be an int{bounds}{none}. "
            f"Got {value!r} ({type(value).__name__}) instead."
        )
    value = int(value)
    if (min_value is not None and value < min_value) or (max_value is not None and value > max_value):
        raise HashxValueError(
            f"The '{name}' parameter{_where(caller)} must be an int{_describe_bounds(min_value, max_value)}. "
            f"Got {value!r} instead."
        )
    return value


def check_float(value, name: str, *, caller: str | None = None, min_value: float | None = 0.0,
                max_value: float | None = None, strictly_positive: bool = False) -> float:
    """Return ``value`` as a finite float after checking its type and range.

    bool is rejected, ints and numpy floats are accepted.  ``min_value`` is
    inclusive unless ``strictly_positive`` (then the value must exceed it);
    ``max_value`` is inclusive.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise HashxTypeError(
            f"The '{name}' parameter{_where(caller)} must be a float. Got {value!r} ({type(value).__name__}) instead."
        )
    value = float(value)
    bad = not np.isfinite(value)
    if min_value is not None:
        bad = bad or value < min_value or (strictly_positive and value <= min_value)
    if max_value is not None:
        bad = bad or value > max_value
    if bad:
        parts = []
        if min_value is not None:
            parts.append(f"> {min_value}" if strictly_positive else f">= {min_value}")
        if max_value is not None:
            parts.append(f"<= {max_value}")
        bound = (" " + " and ".join(parts)) if parts else ""
        raise HashxValueError(
            f"The '{name}' parameter{_where(caller)} must be a finite float{bound}. Got {value!r} instead."
        )
    return value


def _describe_bounds(min_value, max_value) -> str:
    if min_value is not None and max_value is not None:
        return f" in [{min_value}, {max_value}]"
    if min_value is not None:
        return f" >= {min_value}"
    if max_value is not None:
        return f" <= {max_value}"
    return ""


def check_choice(value, name: str, choices, *, caller: str | None = None):
    """Check that ``value`` is one of ``choices`` and return it.

    The message lists the valid values and, for a misspelt string, suggests
    the closest one (``Got 'gna' instead; did you mean 'gan'?``).
    """
    try:
        valid = value in choices
    except TypeError:  # an unhashable value tested against a set or dict
        valid = False
    if not valid:
        listed = ", ".join(repr(c) for c in choices)
        hint = ""
        if isinstance(value, str):
            close = difflib.get_close_matches(value, [c for c in choices if isinstance(c, str)], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
        raise HashxValueError(
            f"The '{name}' parameter{_where(caller)} must be one of {listed}. Got {value!r} instead{hint}"
            + ("" if hint else ".")
        )
    return value


def check_array(x, name: str, *, caller: str | None = None, ndim: int | None = None,
                dtype=None, dtype_kind: str | None = None) -> np.ndarray:
    """Check that ``x`` is a numpy array with the given ndim and dtype; never casts.

    Parameters
    ----------
    dtype : numpy dtype, optional
        Exact dtype required; a different dtype raises :class:`HashxTypeError`.
    dtype_kind : str, optional
        Accepted dtype kinds (``"f"`` float, ``"iub"`` integer/bool, ...).
    """
    if not isinstance(x, np.ndarray):
        raise HashxTypeError(
            f"The '{name}' parameter{_where(caller)} must be a numpy.ndarray. "
            f"Got {type(x).__name__} instead."
        )
    if dtype is not None and x.dtype != np.dtype(dtype):
        raise HashxTypeError(
            f"The '{name}' parameter{_where(caller)} must have dtype {np.dtype(dtype)}. "
            f"Got dtype {x.dtype} instead."
        )
    if dtype_kind is not None and x.dtype.kind not in dtype_kind:
        kinds = {"f": "floating", "i": "signed integer", "u": "unsigned integer", "b": "bool"}
        wanted = " or ".join(kinds.get(k, k) for k in dtype_kind)
        raise HashxTypeError(
            f"The '{name}' parameter{_where(caller)} must have a {wanted} dtype. "
            f"Got dtype {x.dtype} instead."
        )
    if ndim is not None and x.ndim != ndim:
        raise HashxValueError(
            f"The '{name}' parameter{_where(caller)} must be a {ndim}-d array. "
            f"Got an array of shape {x.shape} instead."
        )
    return x


def check_nbits(nbits, name: str = "nbits", *, caller: str | None = None) -> int:
    """Check that ``nbits`` is a positive multiple of 8 and return it as int."""
    nbits = check_int(nbits, name, caller=caller, min_value=8)
    if nbits % 8:
        raise HashxValueError(
            f"The '{name}' parameter{_where(caller)} must be a positive multiple of 8. Got {nbits} instead."
        )
    return nbits


def check_packed_codes(codes, nbits: int | None, name: str = "codes", *, caller: str | None = None,
                       allow_empty: bool = True) -> np.ndarray:
    """Check packed codes: a uint8 array of shape (n, nbits // 8).

    ``nbits=None`` accepts any width of at least one byte (the caller reads
    ``nbits`` off the array).

    Raises
    ------
    HashxTypeError
        Not an ndarray, or dtype is not uint8.
    HashxValueError
        Wrong number of dimensions, wrong row width for ``nbits`` (or no byte
        at all), or no row when ``allow_empty`` is false.
    """
    if not isinstance(codes, np.ndarray):
        raise HashxTypeError(
            f"The '{name}' parameter{_where(caller)} must be a numpy.ndarray of dtype uint8 "
            f"(packed codes, see hashx.pack_codes). Got {type(codes).__name__} instead."
        )
    if codes.dtype != np.uint8:
        raise HashxTypeError(
            f"The '{name}' parameter{_where(caller)} must have dtype uint8 (packed codes, "
            f"see hashx.pack_codes). Got dtype {codes.dtype} instead."
        )
    if nbits is None:
        if codes.ndim != 2 or codes.shape[1] < 1:
            raise HashxValueError(
                f"The '{name}' parameter{_where(caller)} must have shape (n, nbits // 8) with at least "
                f"one byte per code. Got shape {codes.shape} instead."
            )
    elif codes.ndim != 2 or codes.shape[1] != nbits // 8:
        raise HashxValueError(
            f"The '{name}' parameter{_where(caller)} must have shape (n, {nbits // 8}) for nbits={nbits}. "
            f"Got shape {codes.shape} instead."
        )
    if not allow_empty and codes.shape[0] == 0:
        raise HashxValueError(
            f"The '{name}' parameter{_where(caller)} must hold at least one code. Got 0 rows."
        )
    return codes


def check_same_rows(a, b, name_a: str, name_b: str, *, caller: str | None = None) -> None:
    """Check that two arrays have the same number of rows."""
    if a.shape[0] != b.shape[0]:
        raise HashxValueError(
            f"The '{name_a}' and '{name_b}' parameters{_where(caller)} must have the same number of rows. "
            f"Got {a.shape[0]} and {b.shape[0]} instead."
        )


def check_labels(labels, name: str = "labels", *, caller: str | None = None) -> np.ndarray:
    """Check a multi-hot label matrix of shape (n, c) holding only 0 and 1.

    Any integer or bool dtype is accepted; floats are rejected (no silent cast).
    Returns the labels as a C-contiguous uint8 array.
    """
    if not isinstance(labels, np.ndarray):
        raise HashxTypeError(
            f"The '{name}' parameter{_where(caller)} must be a numpy.ndarray of multi-hot labels. "
            f"Got {type(labels).__name__} instead."
        )
    if labels.dtype.kind not in "iub":
        raise HashxTypeError(
            f"The '{name}' parameter{_where(caller)} must have an integer or bool dtype "
            f"(multi-hot 0/1). Got dtype {labels.dtype} instead."
        )
    if labels.ndim != 2 or labels.shape[1] < 1:
        raise HashxValueError(
            f"The '{name}' parameter{_where(caller)} must have shape (n, c) with c >= 1. "
            f"Got shape {labels.shape} instead."
        )
    if labels.dtype.kind != "b" and labels.size:
        lo, hi = labels.min(), labels.max()
        if lo < 0 or hi > 1:
            raise HashxValueError(
                f"The '{name}' parameter{_where(caller)} must be multi-hot (only 0 and 1). "
                f"Got values in [{lo}, {hi}] instead."
            )
    return np.ascontiguousarray(labels, dtype=np.uint8)


def check_finite(x: np.ndarray, name: str, *, caller: str | None = None) -> None:
    """Raise :class:`HashxValueError` if a float array holds NaN or Inf."""
    if x.dtype.kind in "fc" and x.size and not np.isfinite(x).all():
        bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
        raise HashxValueError(
            f"The '{name}' parameter{_where(caller)} must hold only finite values. "
            f"Got {bad} NaN or Inf value(s)."
        )
