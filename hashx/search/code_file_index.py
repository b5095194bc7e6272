"""open_index: a code file opened for search, with its multi-index saved beside it."""

from __future__ import annotations

import logging
import os

from .._validation import check_choice, check_int
from ..codefile import read_header
from ..exceptions import CodeFileError
from .base import BaseHammingIndex
from .choose import choose_index
from .index import HammingIndex
from .multi_index import MultiIndexHammingIndex

__all__ = ["INDEX_KINDS", "open_index", "default_index_path"]

logger = logging.getLogger(__name__)

#: What ``open_index`` (and ``hashx search --index``) accepts.
INDEX_KINDS = ("exact", "mih", "auto")
#: Suffix of a multi-index file saved beside its code file.
INDEX_SUFFIX = ".mih"


def default_index_path(database) -> str:
    """Where the multi-index of code file ``database`` is kept: beside it, ``<database>.mih``."""
    return os.fspath(database) + INDEX_SUFFIX


def open_index(database, *, index: str = "auto", k: int = 10, nq: int = 1, index_path=None,
               threads: int | None = None) -> BaseHammingIndex:
    """Open the code file ``database`` for search with a linear scan or multi-index hashing.

    ``"exact"`` memory-maps the code file into a
    :class:`~hashx.search.HammingIndex`.  ``"mih"`` opens the
    :class:`~hashx.search.MultiIndexHammingIndex` saved at ``index_path``
    when it was built from the same codes (same ``nbits``, count and payload
    checksum in the code file's header, read without reading the codes);
    otherwise it builds the tables and saves them there (atomically), so the
    next call does not rebuild them.  If the file cannot be written the
    index is used unsaved (logged as a warning).  ``"auto"`` takes what
    :func:`~hashx.search.choose_index` picks for the database's size and
    code length, ``k`` and ``nq``.

    Parameters
    ----------
    database : str or os.PathLike
        A hashx code file.
    index : {"exact", "mih", "auto"}, default="auto"
        The kind of index.
    k : int, default=10
        Neighbours per query the index will be asked for (for ``"auto"``).
    nq : int, default=1
        Queries per call (for ``"auto"``).
    index_path : str or os.PathLike, optional
        Where the multi-index is kept; default ``<database>.mih``.
    threads : int, optional
        Threads per call (see the index classes).

    Returns
    -------
    HammingIndex or MultiIndexHammingIndex
        Identical results either way.

    Raises
    ------
    CodeFileError
        ``database`` is missing, not a code file, truncated or corrupted.
    HashxValueError
        ``index`` is not one of the kinds, or ``k``/``nq`` is not a positive int.
    """
    index = check_choice(index, "index", INDEX_KINDS, caller="open_index")
    k = check_int(k, "k", caller="open_index", min_value=1)
    nq = check_int(nq, "nq", caller="open_index", min_value=1)
    header = read_header(database)
    if index == "auto":
        index = choose_index(header["count"], header["nbits"], k, nq=nq)
        logger.info("open_index: %s for %d x %d-bit codes, k=%d, %d queries", index, header["count"],
                    header["nbits"], k, nq)
    if index == "exact":
        return HammingIndex.load(database, threads=threads)
    path = os.fspath(index_path) if index_path is not None else default_index_path(database)
    saved = _saved_index(path, header, threads)
    if saved is not None:
        return saved
    mih = MultiIndexHammingIndex(header["nbits"], threads=threads)
    mih.add(HammingIndex.load(database, mmap=False).codes)
    try:
        mih.save(path)
    except OSError as error:
        logger.warning("open_index: could not save the multi-index to %s (%s); it will be rebuilt next time",
                       path, error)
    else:
        logger.info("open_index: built and saved the multi-index of %s to %s", os.fspath(database), path)
    return mih


def _saved_index(path: str, header: dict, threads) -> MultiIndexHammingIndex | None:
    """The multi-index at ``path`` if it holds the codes the code file's header describes, else None."""
    from ._mih_file import read_index_header

    if not os.path.exists(path):
        return None
    try:
        saved = read_index_header(path)
        if (saved["nbits"], saved["count"], saved["codes_sha256"]) == (header["nbits"], header["count"],
                                                                      header["payload_sha256"]):
            return MultiIndexHammingIndex.load(path, threads=threads)
        logger.info("open_index: %s was built from other codes; rebuilding it", path)
    except CodeFileError as error:
        logger.warning("open_index: %s is not a usable multi-index (%s); rebuilding it", path, error)
    return None
