"""HammingIndex: exact Hamming search on packed binary codes (numpy + numba only)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np

from .._validation import check_int
from ..codefile import load_codes, save_codes
from ..exceptions import HashxTypeError
from ._mapped import open_mapped
from ._kernels import kernels
from ._threads import call_threads, numba_threads
from ._words import query_words, to_rows
from .base import BaseHammingIndex, CodeStore

__all__ = ["HammingIndex"]

logger = logging.getLogger(__name__)

#: Default memory budget of one chunk yielded by :meth:`HammingIndex.rank`.
DEFAULT_RANK_MEMORY = 256 * 1024 * 1024


class HammingIndex(BaseHammingIndex):
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
        Code length in bits, a multiple of 8 from 8 to 32,768 (16, 24, 32, 48,
        64, 128, 256, ...).
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

    Thread safety: ``search``, ``range_search`` and ``rank`` may run from
    several Python threads at once and return what serial calls return;
    ``add`` and ``reset`` may run during them (a call answers for the codes
    present when it started; concurrent ``add`` calls are serialised).

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

    # ----------------------------------------------------------------- search
    def _search(self, store: CodeStore, qwords: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        nq = qwords.shape[0] // self._words_per_code()
        with numba_threads(self._call_threads(nq, store.n)) as threads:
            return kernels().topk_search(qwords, store.words(self.nbits), self._words_per_code(), self.nbits, k,
                                         threads)

    def _range_search(self, store: CodeStore, qwords: np.ndarray, radius: int):
        nq = qwords.shape[0] // self._words_per_code()
        with numba_threads(self._call_threads(nq, store.n)) as threads:
            return kernels().scan_range(qwords, store.words(self.nbits), self._words_per_code(), radius, threads)

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
        D : ndarray of shape (rows, ntotal), dtype=uint16 (nbits <= 32,768 always fits)
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
            ``queries`` has the wrong shape, or ``max_memory < 1``.
        """
        queries = self._queries(queries, "rank")
        max_memory = check_int(max_memory, "max_memory", caller="HammingIndex.rank", min_value=1)
        if not isinstance(reuse, (bool, np.bool_)):
            raise HashxTypeError(f"The 'reuse' parameter of HammingIndex.rank must be a bool. "
                                 f"Got {reuse!r} ({type(reuse).__name__}) instead.")
        return self._rank(queries, max_memory, bool(reuse))

    def _rank(self, queries: np.ndarray, max_memory: int, reuse: bool):
        from ._rank import RANK_DTYPE, rank_chunks

        store = self._snapshot()
        nq, n = queries.shape[0], store.n
        per_query = n * (RANK_DTYPE.itemsize + 8)
        chunk = max(1, max_memory // per_query) if per_query else max(nq, 1)
        if n == 0:
            for a in range(0, nq, chunk):
                z = min(nq, a + chunk)
                yield a, np.zeros((z - a, 0), RANK_DTYPE), np.zeros((z - a, 0), np.int64)
            return
        # a ranking writes 10 bytes per code besides reading it
        threads = call_threads(min(nq, chunk), n, self._width + 10, self._threads())
        chunks = rank_chunks(query_words(queries, self.nbits), store.words(self.nbits), self._words_per_code(),
                             self.nbits, threads, chunk, reuse)
        while True:
            # hold the thread setting only while a chunk is computed, never
            # while the consumer runs
            with numba_threads(threads):
                item = next(chunks, None)
            if item is None:
                return
            yield item

    # -------------------------------------------------------------- faiss
    def to_faiss(self):
        """An ``faiss.IndexBinaryFlat`` holding this index's codes (ids = row numbers).

        Delegates to :func:`hashx.search.faiss_interop.to_faiss`; faiss is an
        optional dependency, imported only here (an ImportError says what to
        install).  The codes are copied byte for byte, so faiss finds the
        same distances.

        Returns
        -------
        faiss.IndexBinaryFlat
            ``d = nbits``, ``ntotal = self.ntotal``.
        """
        from .faiss_interop import to_faiss

        return to_faiss(self)

    @classmethod
    def from_faiss(cls, faiss_index, *, threads: int | None = None) -> HammingIndex:
        """A HammingIndex with the codes of a faiss binary index.

        Delegates to :func:`hashx.search.faiss_interop.from_faiss`: an
        ``IndexBinaryFlat``, an ``IndexBinaryIDMap``/``IndexBinaryIDMap2``
        over one, or an ``IndexBinaryIVF``, whose ids must be
        ``0 .. ntotal - 1``.  ``index.from_faiss(index.to_faiss())`` searches
        exactly like ``index`` (distances and ids, ties by id).

        Parameters
        ----------
        faiss_index : faiss binary index
        threads : int, optional
            As in the constructor.

        Returns
        -------
        HammingIndex

        Raises
        ------
        HashxTypeError
            Not a supported faiss binary index.
        HashxValueError
            Its ids are not ``0 .. ntotal - 1``.
        """
        from .faiss_interop import from_faiss

        return from_faiss(faiss_index, threads=threads)

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
            index first copies it into memory.  A mapped file must not be
            changed in place while the index uses it; every call checks its
            size and modification time first and raises CodeFileError if
            they changed (see Notes).
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

        Notes
        -----
        The contract of a memory-mapped index: it keeps searching the file it
        opened.  Replacing the file at ``path`` (as :meth:`save` and every
        hashx writer do: a new file renamed over the old one) does not affect
        it.  Writing into the opened file or truncating it is detected before
        the next call (``search``, ``range_search``, ``rank``, ``codes``,
        ``add``, ``save``), which raises :class:`~hashx.exceptions.CodeFileError`
        instead of returning other codes' results or, for a file that shrank,
        ending the process with SIGBUS.  A change made *during* a call, or a
        same-size rewrite within the file system's timestamp resolution (a
        few milliseconds), cannot be detected; use ``mmap=False`` (a private
        copy) when other programs may rewrite the file in place.
        """
        if mmap:
            loaded, source = open_mapped(path, lambda p: load_codes(p, mmap=True, verify=verify))
        else:
            loaded, source = load_codes(path, mmap=False, verify=verify), None
        index = cls(loaded.nbits, threads=threads)
        codes = np.asarray(loaded.codes)
        if codes.shape[0]:
            rows = to_rows(codes, loaded.nbits, copy=False)
            if rows is not codes:
                source = None  # a private copy: the file no longer matters
                if mmap:
                    logger.debug("HammingIndex.load: %d-bit codes are padded to words, copying %s into memory",
                                 loaded.nbits, path)
            index._store = CodeStore(rows, rows.shape[0], source)
        return index
