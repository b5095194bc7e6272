"""faiss interop: hashx codes into faiss binary indexes and back, bytes and ids unchanged.

hashx and faiss store binary codes the same way: packed ``uint8`` rows of
``nbits // 8`` bytes.  The bytes are copied verbatim in both directions, so
every Hamming distance, and so every search result, is the same.  (faiss's
own bit helpers number the bits of a byte from the least significant one,
hashx from the most significant, as :func:`numpy.packbits`; that matters only
when codes are unpacked to bits: use :func:`hashx.unpack_codes`.)

faiss is optional (``pip install faiss-cpu``) and imported only when one of
these functions runs; this module never imports torch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._atomic import atomic_write
from ..exceptions import CodeFileError, HashxTypeError, HashxValueError
from .index import HammingIndex

__all__ = ["import_faiss", "to_faiss", "faiss_codes", "from_faiss", "write_faiss", "read_faiss"]

_SUPPORTED = "IndexBinaryFlat, IndexBinaryIDMap / IndexBinaryIDMap2 over IndexBinaryFlat, IndexBinaryIVF"


def import_faiss():
    """Return the ``faiss`` module, or raise an ImportError that says what to install."""
    try:
        import faiss
    except ImportError as exc:
        raise ImportError(f"faiss interop needs the optional package faiss, which is not installed ({exc}). "
                          f"Install it: pip install faiss-cpu  (or pip install 'hashx[faiss]')") from exc
    return faiss


def to_faiss(index: HammingIndex):
    """An ``faiss.IndexBinaryFlat`` holding the codes of ``index`` (ids = hashx ids = row numbers).

    Parameters
    ----------
    index : HammingIndex

    Returns
    -------
    faiss.IndexBinaryFlat
        ``d = index.nbits``, ``ntotal = index.ntotal``; its ``search`` returns
        the same distances as ``index.search`` (ids may differ in their order
        within equal distances: hashx orders ties by id, faiss does not promise to).
    """
    if not isinstance(index, HammingIndex):
        raise HashxTypeError(f"The 'index' parameter of to_faiss must be a HammingIndex. "
                             f"Got {type(index).__name__} instead.")
    faiss = import_faiss()
    out = faiss.IndexBinaryFlat(index.nbits)
    if index.ntotal:
        out.add(np.ascontiguousarray(index.codes))
    return out


def _array(faiss, vector, dtype, count):
    return faiss.rev_swig_ptr(vector, count).view(dtype).copy() if count else np.zeros(0, dtype)


def _ivf_codes(faiss, ivf):
    lists, code_size = ivf.invlists, ivf.invlists.code_size
    codes, ids = [], []
    for list_no in range(ivf.nlist):
        size = lists.list_size(list_no)
        if not size:
            continue
        codes_ptr, ids_ptr = lists.get_codes(list_no), lists.get_ids(list_no)
        try:
            codes.append(_array(faiss, codes_ptr, np.uint8, size * code_size).reshape(size, code_size))
            ids.append(_array(faiss, ids_ptr, np.int64, size))
        finally:
            lists.release_codes(list_no, codes_ptr)
            lists.release_ids(list_no, ids_ptr)
    if not codes:
        return np.zeros((0, code_size), np.uint8), np.zeros(0, np.int64)
    return np.concatenate(codes), np.concatenate(ids)


def faiss_codes(faiss_index) -> tuple[np.ndarray, np.ndarray]:
    """The codes and ids stored in a faiss binary index, in ascending id order.

    Parameters
    ----------
    faiss_index : faiss binary index
        IndexBinaryFlat (ids are row numbers), IndexBinaryIDMap or
        IndexBinaryIDMap2 over an IndexBinaryFlat (its ``id_map``), or
        IndexBinaryIVF (codes and ids read out of its inverted lists).

    Returns
    -------
    codes : ndarray of shape (ntotal, d // 8), dtype=uint8
        Packed codes, byte for byte as faiss stores them.
    ids : ndarray of shape (ntotal,), dtype=int64
        Their ids, ascending (a stable sort keeps equal ids in storage order).

    Raises
    ------
    HashxTypeError
        Another kind of index (the message lists the supported ones).
    """
    faiss = import_faiss()
    if not isinstance(faiss_index, faiss.IndexBinary):
        raise HashxTypeError(f"The 'faiss_index' parameter of faiss_codes must be a faiss binary index "
                             f"({_SUPPORTED}). Got {type(faiss_index).__name__} instead.")
    index = faiss.downcast_IndexBinary(faiss_index)
    n, width = int(index.ntotal), int(index.code_size)
    if isinstance(index, faiss.IndexBinaryFlat):
        codes = _array(faiss, index.xb.data(), np.uint8, n * width).reshape(n, width)
        return codes, np.arange(n, dtype=np.int64)
    if isinstance(index, (faiss.IndexBinaryIDMap, faiss.IndexBinaryIDMap2)):
        inner = faiss.downcast_IndexBinary(index.index)
        if not isinstance(inner, faiss.IndexBinaryFlat):
            raise HashxTypeError(f"faiss_codes reads an IndexBinaryIDMap over an IndexBinaryFlat only. "
                                 f"Got one over {type(inner).__name__}.")
        codes, _ = faiss_codes(inner)
        ids = faiss.vector_to_array(index.id_map).astype(np.int64)
    elif isinstance(index, faiss.IndexBinaryIVF):
        codes, ids = _ivf_codes(faiss, index)
    else:
        raise HashxTypeError(f"faiss_codes reads {_SUPPORTED}. Got {type(index).__name__}.")
    order = np.argsort(ids, kind="stable")
    return np.ascontiguousarray(codes[order]), ids[order]


def from_faiss(faiss_index, *, threads: int | None = None) -> HammingIndex:
    """A :class:`HammingIndex` with the codes of a faiss binary index.

    hashx ids are row numbers, so the faiss ids must be exactly
    ``0 .. ntotal - 1`` (in any storage order: an IVF index's codes are put
    back in id order).  For other ids, use :func:`faiss_codes` and keep the
    ids beside the index.

    Parameters
    ----------
    faiss_index : faiss binary index
        See :func:`faiss_codes`.
    threads : int, optional
        As in :class:`HammingIndex`.

    Returns
    -------
    HammingIndex
        ``nbits = faiss_index.d``; searching it gives the same results as
        searching a HammingIndex built from the original codes.

    Raises
    ------
    HashxValueError
        The ids are not ``0 .. ntotal - 1``.
    """
    codes, ids = faiss_codes(faiss_index)
    if not np.array_equal(ids, np.arange(ids.size)):
        raise HashxValueError(f"from_faiss needs faiss ids 0 .. ntotal - 1 (hashx ids are row numbers). Got ids "
                              f"from {ids.min()} to {ids.max()} for {ids.size} codes; use faiss_codes() to read "
                              f"codes and ids.")
    out = HammingIndex(int(faiss_index.d), threads=threads)
    out.add(codes)
    return out


def write_faiss(path, faiss_index) -> Path:
    """Write a faiss binary index file (``faiss.read_index_binary`` reads it), atomically."""
    faiss = import_faiss()
    data = faiss.serialize_index_binary(faiss_index)
    path = Path(path)
    with atomic_write(path, "wb") as f:
        f.write(memoryview(np.ascontiguousarray(data)))
    return path


def read_faiss(path):
    """Read a faiss binary index file.

    Raises
    ------
    CodeFileError
        Missing, truncated or not a faiss binary index.
    """
    faiss = import_faiss()
    path = Path(path)
    if not path.is_file():
        raise CodeFileError(f"faiss index file '{path}' does not exist.")
    data = np.fromfile(path, dtype=np.uint8)
    try:
        return faiss.deserialize_index_binary(data)
    except RuntimeError as exc:
        first = " ".join(str(exc).split())[:160]
        raise CodeFileError(f"'{path}' is not a readable faiss binary index (truncated or another format?): "
                            f"{first}") from None
