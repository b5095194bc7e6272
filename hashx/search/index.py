"""HammingIndex: exact Hamming search on packed binary codes (numpy + numba only)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np

from .._validation import check_int, check_nbits, check_packed_codes
from ..codefile import load_codes, save_codes
from ..exceptions import HashxTypeError, HashxValueError
from ._threads import call_threads
from ._words import database_words, query_words, row_bytes, to_rows

__all__ = ["HammingIndex"]

logger = logging.getLogger(__name__)

#: Default memory budget of one chunk yielded by :meth:`HammingIndex.rank`.
DEFAULT_RANK_MEMORY = 256 * 1024 * 1024


class HammingIndex:
    """Exact nearest-neighbour search in Hamming space, with faiss's verbs.

    Stores packed binary codes and answers exact queries with multi-threaded
    numba kernels: XOR + popcount on 64-bit words, a vectorised scan that skips
    blocks of codes that cannot enter the result, and counting sorts on the
    distance (an integer in ``[0, nbits]``), so no distance matrix is formed and
    nothing is sorted by comparison.  Every result is deterministic: equal
    distances are ordered by ascending id.

    Parameters
    ----------
    nbits : int
        Code length in bits, a positive multiple of 8 (16, 24, 32, 48, 64,
        128, 256, ...).
    threads : int, optional
        Threads used by each call; None (the default) uses every core numba
        may use (``NUMBA_NUM_THREADS``).  The setting is applied for the
        duration of each call and restored afterwards.

    Attributes
    ----------
    nbits : int
        Code length in bits.
    threads : int or None
        As given.

    Notes
    -----
    Ids are row numbers: the i-th code added (counting from 0 over all
    :meth:`add` calls) has id ``i``.

    Codes are scanned as uint64 words when ``nbits % 64 == 0`` and as uint32
    words otherwise; a width that is not a multiple of 32 bits (16, 24, 48,
    ...) is zero-padded to one in the index's own buffer.  A code file opened
    with :meth:`load` (``mmap=True``) is searched in place, without copying,
    whenever ``nbits % 32 == 0``.

    Threads: many queries are spread over the threads (each scans cache-sized
    blocks of the database for a block of queries); fewer than four queries
    per thread split the database into parts instead, so that a single query
    uses every thread.  A call with less than about 4 MiB of codes to scan
    (queries x codes x bytes per code) runs on one thread, because waking the
    others costs more than they save.  numba's OpenMP threads spin while they
    wait; on a machine whose cores other processes keep busy, setting
    ``OMP_WAIT_POLICY=PASSIVE`` before the first search (or ``threads=1``)
    avoids latencies many times the work itself.

    The kernels are compiled by numba on first use (a few seconds per word
    type) and cached on disk next to the package (or in numba's user cache
    directory), so later processes load them in a fraction of a second.

    Examples
    --------
    >>> import numpy as np
    >>> from hashx import HammingIndex
    >>> rng = np.random.default_rng(0)
    >>> codes = rng.integers(0, 256, size=(1000, 8), dtype=np.uint8)
    >>> index = HammingIndex(64)
    >>> index.add(codes)
    >>> D, I = index.search(codes[:2], 3)
    >>> I[:, 0].tolist(), D[:, 0].tolist()
    ([0, 1], [0, 0])
    """

    def __init__(self, nbits: int, *, threads: int | None = None):
        self.nbits = check_nbits(nbits, caller="HammingIndex")
        self.threads = threads
        self._max_threads()  # validate now, not at the first search
        self._width = row_bytes(self.nbits)
        self._buf = np.zeros((0, self._width), dtype=np.uint8)
        self._n = 0

    # ------------------------------------------------------------------ state
    def _max_threads(self) -> int:
        """Validate ``self.threads`` (it may have been reassigned) and return the numba maximum."""
        from ._threads import max_threads

        limit = max_threads()
        check_int(self.threads, "threads", caller="HammingIndex", min_value=1, max_value=limit,
                  allow_none=True)
        return limit

    def _threads(self) -> int:
        """The thread count of a call: ``threads``, or every numba thread when None."""
        limit = self._max_threads()
        return limit if self.threads is None else int(self.threads)

    @property
    def ntotal(self) -> int:
        """Number of codes in the index."""
        return self._n

    def __len__(self) -> int:
        return self._n

    def __repr__(self) -> str:
        return f"HammingIndex(nbits={self.nbits}, ntotal={self._n}, threads={self.threads!r})"

    @property
    def codes(self) -> np.ndarray:
        """The indexed codes, ndarray of shape (ntotal, nbits // 8), dtype=uint8 (read-only view)."""
        view = self._buf[: self._n, : self.nbits // 8]
        view = view.view()
        view.flags.writeable = False
        return view

    def add(self, codes: np.ndarray) -> None:
        """Append codes; they get the next ids (``ntotal``, ``ntotal + 1``, ...).

        Parameters
        ----------
        codes : ndarray of shape (n, nbits // 8), dtype=uint8
            Packed codes (see :func:`hashx.pack_codes`).  They are copied.

        Raises
        ------
        HashxTypeError
            ``codes`` is not a uint8 ndarray.
        HashxValueError
            ``codes`` does not have shape (n, nbits // 8).
        """
        codes = check_packed_codes(codes, self.nbits, "codes", caller="HammingIndex.add")
        m = codes.shape[0]
        if m == 0:
            return
        needed = self._n + m
        if needed > self._buf.shape[0] or not self._buf.flags.writeable:
            capacity = max(needed, 2 * self._buf.shape[0] if self._buf.flags.writeable else needed)
            buf = np.zeros((capacity, self._width), dtype=np.uint8)
            buf[: self._n] = self._buf[: self._n]
            self._buf = buf
        self._buf[self._n:needed, : codes.shape[1]] = codes
        self._n = needed

    def reset(self) -> None:
        """Remove every code (ids start again from 0)."""
        self._buf = np.zeros((0, self._width), dtype=np.uint8)
        self._n = 0

    def _database(self) -> np.ndarray:
        return database_words(self._buf[: self._n], self.nbits)

    def _words_per_code(self) -> int:
        return self._width // (8 if self.nbits % 64 == 0 else 4)

    def _queries(self, queries, method: str) -> np.ndarray:
        return check_packed_codes(queries, self.nbits, "queries", caller=f"HammingIndex.{method}")

    # ----------------------------------------------------------------- search
    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest codes of each query, exactly.

        Parameters
        ----------
        queries : ndarray of shape (nq, nbits // 8), dtype=uint8
            Packed query codes.  ``nq == 0`` gives empty results of shape (0, k).
        k : int
            Neighbours per query, ``>= 1``.  When ``k > ntotal`` the rows are
            padded (see below); on an empty index every entry is padding.

        Returns
        -------
        D : ndarray of shape (nq, k), dtype=int32
            Hamming distances, ascending along each row; padding is ``nbits + 1``.
        I : ndarray of shape (nq, k), dtype=int64
            Ids of the codes; equal distances are ordered by ascending id;
            padding is ``-1``.

        Raises
        ------
        HashxTypeError
            ``queries`` is not a uint8 ndarray, or ``k`` is not an int.
        HashxValueError
            ``queries`` has the wrong shape, or ``k < 1``.
        """
        queries = self._queries(queries, "search")
        k = check_int(k, "k", caller="HammingIndex.search", min_value=1)
        nq = queries.shape[0]
        if nq == 0 or self._n == 0:
            return (np.full((nq, k), self.nbits + 1, dtype=np.int32),
                    np.full((nq, k), -1, dtype=np.int64))
        from ._threads import numba_threads
        from ._topk import topk_search

        W = self._words_per_code()
        qw = query_words(queries, self.nbits)
        with numba_threads(call_threads(nq, self._n, self._width, self._threads())) as threads:
            return topk_search(qw, self._database(), W, self.nbits, k, threads)

    def range_search(self, queries: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every code within Hamming distance ``radius`` of each query, exactly.

        Parameters
        ----------
        queries : ndarray of shape (nq, nbits // 8), dtype=uint8
            Packed query codes.  ``nq == 0`` gives ``lims == [0]`` and empty D, I.
        radius : int
            Largest distance returned (inclusive), ``>= 0``.  A radius above
            ``nbits`` returns every code.

        Returns
        -------
        lims : ndarray of shape (nq + 1,), dtype=int64
            Query ``q``'s results are ``D[lims[q]:lims[q + 1]]`` and
            ``I[lims[q]:lims[q + 1]]`` (faiss's layout).
        D : ndarray of shape (lims[-1],), dtype=int32
            Distances.
        I : ndarray of shape (lims[-1],), dtype=int64
            Ids.

        Notes
        -----
        Within each query the results are ordered by (distance, id): nearest
        first, ties by ascending id.  faiss's ``range_search`` returns the same
        set ordered by id only.

        Raises
        ------
        HashxTypeError
            ``queries`` is not a uint8 ndarray, or ``radius`` is not an int.
        HashxValueError
            ``queries`` has the wrong shape, or ``radius < 0``.
        """
        queries = self._queries(queries, "range_search")
        radius = check_int(radius, "radius", caller="HammingIndex.range_search", min_value=0)
        nq = queries.shape[0]
        if nq == 0 or self._n == 0:
            return np.zeros(nq + 1, dtype=np.int64), np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64)
        from ._range import range_search
        from ._threads import numba_threads

        W = self._words_per_code()
        qw = query_words(queries, self.nbits)
        with numba_threads(call_threads(nq, self._n, self._width, self._threads())) as threads:
            return range_search(qw, self._database(), W, min(radius, self.nbits), threads)

    def rank(self, queries: np.ndarray, *, max_memory: int = DEFAULT_RANK_MEMORY, reuse: bool = False
             ) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """Each query's full ranking of the database, in chunks of queries.

        A generator: the work for a chunk is done when the chunk is requested,
        and only one chunk is held by the generator at a time, so the memory
        used is bounded by ``max_memory`` whatever the number of queries
        (the caller decides whether to keep the chunks).

        Parameters
        ----------
        queries : ndarray of shape (nq, nbits // 8), dtype=uint8
            Packed query codes.  ``nq == 0`` yields nothing.
        max_memory : int, default=256 MiB
            Bytes allowed for one chunk's ``D`` and ``I`` (10 bytes per
            query and code).  A chunk holds at least one query, so a single
            query's ranking (``10 * ntotal`` bytes) may exceed a tiny budget.
        reuse : bool, default=False
            Write every chunk into the same two arrays, so that a chunk's
            ``D`` and ``I`` are valid only until the next chunk is requested
            (copy what you keep).  Saves allocating fresh memory per chunk,
            which costs a page fault per page (about a quarter of the time
            at 1M codes on the development machine).

        Yields
        ------
        start : int
            Index of the chunk's first query.
        D : ndarray of shape (rows, ntotal), dtype=uint16
            Row ``r`` holds the distances of query ``start + r`` to the whole
            database in ascending order.
        I : ndarray of shape (rows, ntotal), dtype=int64
            The matching ids: every id exactly once per row, ordered by
            (distance, id), so ties are in ascending id order.  On an empty
            index the rows have length 0.

        Raises
        ------
        HashxTypeError
            ``queries`` is not a uint8 ndarray, ``max_memory`` is not an int
            or ``reuse`` is not a bool.
        HashxValueError
            ``queries`` has the wrong shape, ``max_memory < 1``, or
            ``nbits > 65535`` (distances would not fit in uint16).
        """
        queries = self._queries(queries, "rank")
        max_memory = check_int(max_memory, "max_memory", caller="HammingIndex.rank", min_value=1)
        if not isinstance(reuse, (bool, np.bool_)):
            raise HashxTypeError(f"The 'reuse' parameter of HammingIndex.rank must be a bool. "
                                 f"Got {reuse!r} ({type(reuse).__name__}) instead.")
        if self.nbits > np.iinfo(np.uint16).max:
            raise HashxValueError(f"HammingIndex.rank returns distances as uint16, so it supports nbits <= 65535. "
                                  f"This index has nbits={self.nbits}.")
        return self._rank(queries, max_memory, bool(reuse))

    def _rank(self, queries: np.ndarray, max_memory: int, reuse: bool):
        from ._rank import RANK_DTYPE, rank_chunks
        from ._threads import numba_threads

        nq, n = queries.shape[0], self._n
        per_query = n * (RANK_DTYPE.itemsize + 8)
        chunk = max(1, max_memory // per_query) if per_query else max(nq, 1)
        if n == 0:
            for a in range(0, nq, chunk):
                z = min(nq, a + chunk)
                yield a, np.zeros((z - a, 0), RANK_DTYPE), np.zeros((z - a, 0), np.int64)
            return
        # a ranking writes 10 bytes per code besides reading it
        threads = call_threads(min(nq, chunk), n, self._width + 10, self._threads())
        chunks = rank_chunks(query_words(queries, self.nbits), self._database(), self._words_per_code(),
                             self.nbits, threads, chunk, reuse)
        while True:
            # hold the thread setting only while a chunk is computed, never
            # while the consumer runs
            with numba_threads(threads):
                item = next(chunks, None)
            if item is None:
                return
            yield item

    # -------------------------------------------------------------- persistence
    def save(self, path) -> None:
        """Write the codes to a hashx code file, atomically.

        The file holds the codes and ``nbits`` (see :mod:`hashx.codefile`);
        ``threads`` is a runtime setting and is not saved.  The old file at
        ``path``, if any, is replaced only once the new one is complete.

        Parameters
        ----------
        path : str or os.PathLike
            Destination file.
        """
        save_codes(path, np.ascontiguousarray(self.codes), self.nbits)

    @classmethod
    def load(cls, path, *, mmap: bool = True, verify: bool = True,
             threads: int | None = None) -> HammingIndex:
        """Open an index saved by :meth:`save` (or any hashx code file).

        Parameters
        ----------
        path : str or os.PathLike
            A hashx code file.
        mmap : bool, default=True
            Memory-map the codes read-only: the index searches the file's
            pages in place (no copy) when ``nbits % 32 == 0``.  Otherwise the
            codes are read into memory.  Adding codes to a memory-mapped
            index first copies it into memory.
        verify : bool, default=True
            Check the payload checksum (one read of the file).
        threads : int, optional
            As in the constructor.

        Returns
        -------
        HammingIndex

        Raises
        ------
        CodeFileError
            The file is missing, not a code file, truncated or corrupted.
        """
        loaded = load_codes(path, mmap=mmap, verify=verify)
        index = cls(loaded.nbits, threads=threads)
        codes = np.asarray(loaded.codes)
        if codes.shape[0]:
            rows = to_rows(codes, loaded.nbits, copy=False)
            if rows is not codes and mmap:
                logger.debug("HammingIndex.load: %d-bit codes are padded to words, copying %s into memory",
                             loaded.nbits, path)
            index._buf = rows
            index._n = rows.shape[0]
        return index
