"""Binary codes: sign quantisation and bit packing (numpy only).

Conventions used everywhere in hashx
------------------------------------
* A *bit code* is a row of ``nbits`` values, either ``+1/-1`` (int8) or ``1/0``.
  Bit value 1 corresponds to sign +1 and bit value 0 to sign -1.
* A *packed code* is a row of ``nbits // 8`` bytes (uint8).  Bits are packed
  most significant bit first, exactly as :func:`numpy.packbits` does:
  bit ``j`` of a code lives in byte ``j // 8`` at bit position ``7 - j % 8``.
* ``nbits`` must be a positive multiple of 8 (16, 24, 32, 48, 64, 128, 256, ...).
"""

from __future__ import annotations

import numpy as np

from ._validation import check_array, check_nbits, check_packed_codes
from .exceptions import HashxTypeError, HashxValueError

__all__ = ["binarize", "pack_codes", "unpack_codes"]


def binarize(x) -> np.ndarray:
    """Sign quantisation of real-valued codes to ``+1/-1``.

    Parameters
    ----------
    x : ndarray of shape (n, nbits), floating or integer dtype
        Continuous codes (e.g. the tanh outputs of a hash layer).

    Returns
    -------
    ndarray of shape (n, nbits), dtype=int8
        ``+1`` where ``x >= 0`` and ``-1`` where ``x < 0``.  Zero maps to ``+1``
        (unlike :func:`numpy.sign`, which returns 0), so every bit is defined.

    Raises
    ------
    HashxValueError
        If ``x`` holds NaN or Inf (a diverged model must not produce codes).
    """
    x = check_array(x, "x", caller="binarize", dtype_kind="fiub")
    if x.dtype.kind == "f" and x.size and not np.isfinite(x).all():
        bad = int(x.size - np.count_nonzero(np.isfinite(x)))
        raise HashxValueError(
            f"The 'x' parameter of binarize must hold only finite values. Got {bad} NaN or Inf value(s)."
        )
    out = np.ones(x.shape, dtype=np.int8)
    out[x < 0] = -1
    return out


def pack_codes(bits) -> np.ndarray:
    """Pack bit codes into bytes.

    Parameters
    ----------
    bits : ndarray of shape (n, nbits), integer or bool dtype
        Either ``+1/-1`` codes (as :func:`binarize` returns) or ``{0, 1}``
        codes.  ``+1`` and ``1`` become bit 1, ``-1`` and ``0`` bit 0.  Mixed
        ``{-1, 0, 1}`` input is ambiguous and rejected.  ``nbits`` must be a
        positive multiple of 8.

    Returns
    -------
    ndarray of shape (n, nbits // 8), dtype=uint8
        Packed codes, most significant bit first (as :func:`numpy.packbits`).
    """
    bits = check_array(bits, "bits", caller="pack_codes", ndim=2, dtype_kind="iub")
    check_nbits(bits.shape[1], "bits.shape[1]", caller="pack_codes")
    if bits.dtype.kind == "b":
        return np.packbits(bits, axis=1)
    if bits.size:
        values = np.unique(bits)
        if np.isin(values, (-1, 1)).all():
            return np.packbits(bits > 0, axis=1)
        if np.isin(values, (0, 1)).all():
            return np.packbits(bits.astype(bool, copy=False), axis=1)
        raise HashxValueError(
            "The 'bits' parameter of pack_codes must hold either only +1/-1 or only 0/1. "
            f"Got values {values[:6].tolist()}{'...' if values.size > 6 else ''} instead."
        )
    return np.zeros((bits.shape[0], bits.shape[1] // 8), dtype=np.uint8)


def unpack_codes(packed, nbits: int, *, signed: bool = True) -> np.ndarray:
    """Unpack bytes into bit codes; the inverse of :func:`pack_codes`.

    Parameters
    ----------
    packed : ndarray of shape (n, nbits // 8), dtype=uint8
        Packed codes.
    nbits : int
        Code length in bits (a positive multiple of 8).
    signed : bool, default=True
        Return ``+1/-1`` codes if True, ``{0, 1}`` codes if False.

    Returns
    -------
    ndarray of shape (n, nbits), dtype=int8
    """
    nbits = check_nbits(nbits, caller="unpack_codes")
    if not isinstance(packed, np.ndarray):
        raise HashxTypeError(
            "The 'packed' parameter of unpack_codes must be a numpy.ndarray of dtype uint8. "
            f"Got {type(packed).__name__} instead."
        )
    check_packed_codes(packed, nbits, "packed", caller="unpack_codes")
    bits = np.unpackbits(packed, axis=1).astype(np.int8)
    if signed:
        bits = 2 * bits - 1
    return bits
