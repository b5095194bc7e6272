"""BaseHammingIndex: what every hashx Hamming index shares.

Codes and ids, validation, the thread setting, the limits, the padding and
ordering contracts of ``search`` and ``range_search``, thread safety and the
watch on a memory-mapped file live here, once; an index class adds how it
answers a query (:meth:`BaseHammingIndex._search`,
:meth:`BaseHammingIndex._range_search`) and how it is saved.  So every index
is interchangeable: same verbs, same dtypes, same results.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from .._validation import check_int, check_nbits, check_packed_codes
from ..exceptions import HashxValueError
from ._mapped import MappedFile
from ._threads import call_threads
from ._words import database_words, query_words, row_bytes, word_dtype

__all__ = ["BaseHammingIndex", "CodeStore", "MAX_NBITS", "MAX_PADDED_K"]

#: Longest code an index accepts, in bits (4 KiB per code).
MAX_NBITS = 32768
#: ``k`` may exceed ``ntotal`` (rows are padded) only up to this many columns.
MAX_PADDED_K = 1 << 20


@dataclass(frozen=True)
class CodeStore:
    """An immutable snapshot of an index's codes.

    ``add`` and ``reset`` replace the snapshot rather than change it, so a
    search that started earlier keeps a consistent view.

    Attributes
    ----------
    rows : ndarray of shape (capacity, row_bytes), dtype=uint8
        Codes in the row layout of :mod:`._words`; ``rows[:n]`` are in use
        (``add`` may fill rows past ``n`` for a later snapshot).
    n : int
        Number of codes.
    source : MappedFile or None
        The file ``rows`` is memory-mapped from, if any.
    """

    rows: np.ndarray
    n: int
    source: MappedFile | None = None

    def check_source(self) -> None:
        """Raise CodeFileError if the mapped file changed in place (see :mod:`._mapped`)."""
        if self.source is not None:
            self.source.check()

    def words(self, nbits: int) -> np.ndarray:
        """Read-only flat words of the ``n`` codes (see :mod:`._words`)."""
        return database_words(self.rows[: self.n], nbits)


class BaseHammingIndex:
    """Exact Hamming search on packed binary codes: the shared verbs and contracts.

    Not used directly: :class:`~hashx.search.HammingIndex` (a linear scan)
    and :class:`~hashx.search.MultiIndexHammingIndex` (multi-index hashing)
    derive from it and return identical results.

    Parameters
    ----------
    nbits : int
        Code length in bits, a multiple of 8 in ``[8, MAX_NBITS]`` (32,768).
    threads : int, optional
        Threads used by each call; None (the default) uses every thread numba
        may use (``NUMBA_NUM_THREADS``).  Applied for the duration of each call
        and restored afterwards.

    Notes
    -----
    Ids are row numbers: the i-th code added (counting from 0 over all
    :meth:`add` calls) has id ``i``.

    Thread safety: :meth:`search` and :meth:`range_search` may be called from
    several Python threads at once (the kernels release the GIL) and give
    what serial calls give.  :meth:`add` and :meth:`reset` may run while
    searches do: a search answers for the codes present when it started, and
    concurrent ``add`` calls are serialised.
    """

    def __init__(self, nbits: int, *, threads: int | None = None):
        caller = type(self).__name__
        nbits = check_int(nbits, "nbits", caller=caller, min_value=8, max_value=MAX_NBITS)
        self.nbits = check_nbits(nbits, caller=caller)
        self.threads = threads
        self._max_threads()  # validate now, not at the first search
        self._width = row_bytes(self.nbits)
        self._words_per_row = self._width // word_dtype(self.nbits).itemsize
        self._checked_threads = (object(), 0)  # (the ``threads`` value last validated, its thread count)
        self._lock = threading.Lock()
        self._store = CodeStore(np.zeros((0, self._width), dtype=np.uint8), 0)

    # ------------------------------------------------------------------ state
    def _max_threads(self) -> int:
        """Validate ``self.threads`` (it may have been reassigned) and return the numba maximum."""
        from ._threads import max_threads

        limit = max_threads()
        check_int(self.threads, "threads", caller=type(self).__name__, min_value=1, max_value=limit,
                  allow_none=True)
        return limit

    def _threads(self) -> int:
        """The thread count of a call: ``threads``, or every numba thread when None.

        ``threads`` is validated again only when it has been reassigned (a
        single query's call is a few microseconds of Python around the kernel).
        """
        threads = self.threads
        checked, count = self._checked_threads
        if threads is checked:
            return count
        limit = self._max_threads()
        count = limit if threads is None else int(threads)
        self._checked_threads = (threads, count)
        return count

    def _call_threads(self, nq: int, n: int) -> int:
        return call_threads(nq, n, self._width, self._threads())

    @property
    def ntotal(self) -> int:
        """Number of codes in the index."""
        return self._store.n

    def __len__(self) -> int:
        return self._store.n

    def _repr_fields(self) -> dict:
        return {"nbits": self.nbits, "ntotal": self.ntotal, "threads": self.threads}

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self._repr_fields().items())
        return f"{type(self).__name__}({fields})"

    def _snapshot(self) -> CodeStore:
        """The current codes, after checking that a mapped file has not changed."""
        store = self._store
        store.check_source()
        return store

    @property
    def codes(self) -> np.ndarray:
        """The indexed codes, ndarray of shape (ntotal, nbits // 8), dtype=uint8 (read-only view)."""
        store = self._snapshot()
        view = store.rows[: store.n, : self.nbits // 8].view()
        view.flags.writeable = False
        return view

    def _words_per_code(self) -> int:
        return self._words_per_row

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
        codes = check_packed_codes(codes, self.nbits, "codes", caller=f"{type(self).__name__}.add")
        count = codes.shape[0]
        if count == 0:
            return
        with self._lock:
            store = self._snapshot()
            rows, n = store.rows, store.n
            needed = n + count
            self._check_capacity(needed)
            if needed > rows.shape[0] or not rows.flags.writeable:
                capacity = max(needed, 2 * rows.shape[0]) if rows.flags.writeable else needed
                grown = np.zeros((capacity, self._width), dtype=np.uint8)
                grown[:n] = rows[:n]
                rows = grown
            # rows past n belong to no snapshot yet: searches running on the
            # old snapshot never read them
            rows[n:needed, : codes.shape[1]] = codes
            self._store = CodeStore(rows, needed)

    def _check_capacity(self, n: int) -> None:
        """Raise HashxValueError if the index cannot hold ``n`` codes (no limit here)."""

    def reset(self) -> None:
        """Remove every code (ids start again from 0)."""
        with self._lock:
            self._store = CodeStore(np.zeros((0, self._width), dtype=np.uint8), 0)

    # ----------------------------------------------------------------- checks
    def _queries(self, queries, method: str) -> np.ndarray:
        return check_packed_codes(queries, self.nbits, "queries", caller=f"{type(self).__name__}.{method}")

    def _check_k(self, k, n: int) -> int:
        caller = f"{type(self).__name__}.search"
        k = check_int(k, "k", caller=caller, min_value=1)
        limit = max(n, MAX_PADDED_K)
        if k > limit:
            raise HashxValueError(
                f"The 'k' parameter of {caller} must be at most max(ntotal, {MAX_PADDED_K:,}) = {limit:,}: rows "
                f"are padded past ntotal={n:,}, but only that far. Got {k:,} instead."
            )
        return k

    # ----------------------------------------------------------------- search
    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest codes of each query, exactly.

        Parameters
        ----------
        queries : ndarray of shape (nq, nbits // 8), dtype=uint8
            Packed query codes.  ``nq == 0`` gives empty results of shape (0, k).
        k : int
            Neighbours per query, ``>= 1`` and at most ``max(ntotal, 2**20)``.
            When ``k > ntotal`` the rows are padded (see below); on an empty
            index every entry is padding.

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
            ``queries`` has the wrong shape, ``k < 1``, ``k`` above the
            limit, or the results (``nq * k * 12`` bytes) do not fit in memory.
        CodeFileError
            The index is memory-mapped and its file was changed in place.
        """
        queries = self._queries(queries, "search")
        store = self._snapshot()
        k = self._check_k(k, store.n)
        nq = queries.shape[0]
        try:
            if nq == 0 or store.n == 0:
                return (np.full((nq, k), self.nbits + 1, dtype=np.int32),
                        np.full((nq, k), -1, dtype=np.int64))
            return self._search(store, query_words(queries, self.nbits), k)
        except MemoryError as error:
            raise _results_error(f"{type(self).__name__}.search", nq, k) from error

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
        CodeFileError
            The index is memory-mapped and its file was changed in place.
        """
        queries = self._queries(queries, "range_search")
        radius = check_int(radius, "radius", caller=f"{type(self).__name__}.range_search", min_value=0)
        store = self._snapshot()
        nq = queries.shape[0]
        if nq == 0 or store.n == 0:
            return np.zeros(nq + 1, dtype=np.int64), np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64)
        return self._range_search(store, query_words(queries, self.nbits), min(radius, self.nbits))

    # ------------------------------------------------------------ subclasses
    def _search(self, store: CodeStore, qwords: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k of non-empty queries (as words) against a non-empty snapshot."""
        raise NotImplementedError

    def _range_search(self, store: CodeStore, qwords: np.ndarray, radius: int):
        """Range search of non-empty queries (as words), ``radius <= nbits``, against a non-empty snapshot."""
        raise NotImplementedError

    def save(self, path) -> None:
        """Write the index to ``path``, atomically (see the subclass)."""
        raise NotImplementedError

    @classmethod
    def load(cls, path, **kwargs):
        """Open an index written by :meth:`save` (see the subclass)."""
        raise NotImplementedError


def _results_error(caller: str, nq: int, k: int) -> HashxValueError:
    """The error for a failed allocation of the results, naming their size."""
    gib = nq * k * 12 / 2**30
    return HashxValueError(
        f"{caller} ran out of memory: {nq:,} queries x k={k:,} results take {gib:,.1f} GiB "
        "(12 bytes each). Ask for fewer neighbours or search fewer queries per call."
    )
