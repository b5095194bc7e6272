"""MultiIndexHammingIndex: exact Hamming search by multi-index hashing (numpy + numba only)."""

from __future__ import annotations

import logging
import threading

import numpy as np

from .._validation import check_int
from ..exceptions import HashxValueError
from ._mih_cost import (DESIGN_K, MAX_TABLES, MIH_UNIT_COST, budget_units, default_m, m_range, mih_units,
                        predicted_speedup)
from ._kernels import kernels
from ._mih_tables import MAX_CODES, MAX_SUBSTRING_BITS, Tables, build_tables, make_layout
from ._threads import SMALL_WORK_BYTES, numba_threads
from ._words import word_dtype
from .base import BaseHammingIndex, CodeStore

__all__ = ["MultiIndexHammingIndex", "MAX_MIH_NBITS"]

logger = logging.getLogger(__name__)

#: Queries of a large batch tried first (see ``MultiIndexHammingIndex._search``).
SAMPLE_QUERIES = 64
#: Longest code multi-index hashing takes (MAX_TABLES substrings of at most 32 bits).
MAX_MIH_NBITS = MAX_TABLES * MAX_SUBSTRING_BITS


class MultiIndexHammingIndex(BaseHammingIndex):
    """Exact k-NN and range search in Hamming space by multi-index hashing.

    The same verbs, dtypes and results as :class:`~hashx.search.HammingIndex`
    (``add``, ``search``, ``range_search``, ``ntotal``, ``reset``,
    ``save``/``load``): distances and ids are identical, ties ordered by
    ascending id, rows padded with ``nbits + 1`` / ``-1`` past ``ntotal``.
    What differs is the cost: a query touches a small part of the database
    instead of all of it.

    Each code is cut into ``m`` disjoint substrings and each substring is
    indexed in its own table (Norouzi, Punjani and Fleet, "Fast search in
    Hamming space with multi-index hashing", CVPR 2012).  A code within
    distance ``d`` of the query matches it within ``floor(d / m)`` bits on at
    least one substring, so a query looks up its substrings' neighbours at
    growing radii and verifies the codes it finds, and stops as soon as every
    code as close as its k-th result must have been found.  See
    :mod:`hashx.search._mih_search` for the search and
    :mod:`hashx.search._mih_tables` for the tables (flat arrays: direct
    offsets per substring value, codes stored in each table's order so that a
    lookup reads one contiguous run).

    Parameters
    ----------
    nbits : int
        Code length in bits, a multiple of 8 from 8 to 2,048.
    m : int, optional
        Number of substrings (tables), from ``ceil(nbits / 32)`` to
        ``min(nbits, 64)``.  None (the default) chooses it from ``ntotal``
        and ``nbits`` each time the tables are built (the least predicted
        work at k = 10, see :func:`hashx.search.choose_index`); about
        ``nbits / (log2(ntotal) - 10)``: 5 for 10M 64-bit codes.
    threads : int, optional
        Threads used by each call; None (the default) uses every thread numba
        may use.  Many queries run in parallel; a single query's lookups are
        dealt to the threads.

    Attributes
    ----------
    nbits : int
    m : int or None
        As given.
    threads : int or None
        As given.

    Notes
    -----
    The tables are built on the first search after codes were added (or by
    :meth:`build`), in O(ntotal * m) time, and rebuilt after every ``add``:
    add codes in large batches.  They take ``m * (row_bytes + 4)`` bytes per
    code plus ``4 * 2**s`` per table of ``s``-bit substrings (``row_bytes`` is
    8 for 64-bit codes): 60 bytes per 64-bit code at m = 5, besides the
    codes themselves.

    Every query has a work budget equal to what a linear scan would cost it
    (for uniform random codes, the hard case, the search predicts far less
    work when MIH pays off at all).  A query that would exceed it, as large
    ``k`` or radii, long codes or small databases cause, stops and is
    answered by the linear scan of :class:`~hashx.search.HammingIndex`
    instead: still exact, and never much slower than the scan.  A batch of
    128 or more queries first runs 64 of them; if most of those fall back,
    the codes do not suit multi-index hashing and the rest of the batch is
    scanned directly.

    ``ntotal`` is at most 2**32 - 1 (ids are stored as uint32).  Thread safety
    and memory-mapped files: as :class:`~hashx.search.HammingIndex`; a search
    running while codes are added answers for the codes (and tables) present
    when it started.

    Examples
    --------
    >>> import numpy as np
    >>> from hashx import MultiIndexHammingIndex
    >>> rng = np.random.default_rng(0)
    >>> codes = rng.integers(0, 256, size=(1000, 8), dtype=np.uint8)
    >>> index = MultiIndexHammingIndex(64, m=4)
    >>> index.add(codes)
    >>> D, I = index.search(codes[:2], 3)
    >>> I[:, 0].tolist(), D[:, 0].tolist()
    ([0, 1], [0, 0])
    """

    def __init__(self, nbits: int, *, m: int | None = None, threads: int | None = None):
        caller = "MultiIndexHammingIndex"
        check_int(nbits, "nbits", caller=caller, min_value=8, max_value=MAX_MIH_NBITS)
        super().__init__(nbits, threads=threads)
        valid = m_range(self.nbits)
        self.m = check_int(m, "m", caller=caller, min_value=valid.start, max_value=valid.stop - 1, allow_none=True)
        self._build_lock = threading.Lock()
        self._tables: tuple[CodeStore, Tables] | None = None
        self._tables_masks: tuple[Tables, np.ndarray] | None = None  # the last tables searched, their masks

    def _repr_fields(self) -> dict:
        return {"nbits": self.nbits, "m": self.m, "ntotal": self.ntotal, "threads": self.threads}

    def _check_capacity(self, n: int) -> None:
        if n > MAX_CODES:
            raise HashxValueError(
                f"MultiIndexHammingIndex holds at most {MAX_CODES:,} codes (ids are uint32); adding these would "
                f"make {n:,}. Shard the codes over several indexes, or use HammingIndex."
            )

    @property
    def num_tables(self) -> int:
        """The number of tables used for the current codes: ``m``, or the default for ``ntotal``."""
        return self.m if self.m is not None else default_m(max(self.ntotal, 1), self.nbits)

    @property
    def nbytes(self) -> int:
        """Bytes held by the codes and the tables (0 for tables not built yet)."""
        store = self._store
        tables = self._tables[1] if self._tables is not None and self._tables[0] is store else None
        return int(store.rows[: store.n].nbytes + (tables.nbytes if tables is not None else 0))

    # ----------------------------------------------------------------- tables
    def build(self) -> None:
        """Build the tables for the current codes now (``search`` does it when needed)."""
        self._tables_for(self._snapshot())

    def _tables_for(self, store: CodeStore) -> Tables:
        current = self._tables
        if current is not None and current[0] is store:
            return current[1]
        with self._build_lock:
            current = self._tables
            if current is not None and current[0] is store:
                return current[1]
            m = self.m if self.m is not None else default_m(max(store.n, 1), self.nbits)
            layout = make_layout(self.nbits, m, store.n)
            with numba_threads(self._threads()):
                tables = build_tables(store.words(self.nbits), self._words_per_code(), layout, store.n)
            logger.debug("MultiIndexHammingIndex: built %d tables for %d codes (%.1f MiB)", m, store.n,
                         tables.nbytes / 2**20)
            if self._store is store:
                self._tables = (store, tables)
            return tables

    # ----------------------------------------------------------------- search
    def _plan(self, nq: int, n: int, k: int) -> tuple[int, int]:
        """(threads, parts per query) for ``nq`` queries of ``k`` neighbours among ``n`` codes.

        Many queries run in parallel, one task each.  Fewer queries than
        threads deal each query's lookups to several tasks, but only when the
        predicted work per query is worth waking the threads for (the linear
        scan's rule: about 4 MiB of codes, see ``_threads.SMALL_WORK_BYTES``).
        """
        threads = self._threads()
        if nq >= threads:
            return threads, 1
        # the work in bytes of a scan that costs as much (a unit of MIH work costs MIH_UNIT_COST scan units)
        if nq * mih_units(max(n, 2), self.nbits, self.num_tables, k) * MIH_UNIT_COST * 8 < SMALL_WORK_BYTES:
            return nq, 1
        return threads, max(1, threads // nq)

    #: Each query's budget, as a multiple of a linear scan's cost (the tests
    #: change it to force either path).
    _budget_scale = 1.0

    def _budget(self, n: int, nq: int) -> float:
        return budget_units(n, self.nbits, nq) * self._budget_scale

    def _search(self, store: CodeStore, qwords: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        W = self._words_per_code()
        nq = qwords.shape[0] // W
        if k >= store.n:  # every code is in the result: nothing to prune
            return self._scan_search(store, qwords, k)
        tables = self._tables_for(store)
        budget = self._budget(store.n, nq)
        # a large batch first tries a sample: if most of it would cost more
        # than the scan, the codes do not suit MIH and the rest is scanned
        first = nq if nq < 2 * SAMPLE_QUERIES else SAMPLE_QUERIES
        D, I, done = self._knn(store, tables, qwords[: first * W], k, budget)
        if first < nq:
            rest = qwords[first * W:]
            if done.mean() >= 0.5:
                D2, I2, done2 = self._knn(store, tables, rest, k, budget)
            else:
                logger.debug("MultiIndexHammingIndex.search: %d of the first %d queries cost more than a linear "
                             "scan; scanning the other %d", first - done.sum(), first, nq - first)
                D2, I2 = self._scan_search(store, rest, k)
                done2 = np.ones(nq - first, bool)
            D, I, done = np.concatenate([D, D2]), np.concatenate([I, I2]), np.concatenate([done, done2])
        if done.all():
            return D, I
        rest = np.flatnonzero(~done)
        if rest.size:
            self._log_fallback("search", rest.size, nq, k=k)
            words = qwords.reshape(nq, W)[rest].reshape(-1)
            D[rest], I[rest] = self._scan_search(store, words, k)
        return D, I

    def _knn(self, store: CodeStore, tables: Tables, qwords: np.ndarray, k: int, budget: float):
        W = self._words_per_code()
        threads, parts = self._plan(qwords.shape[0] // W, store.n, k)
        with numba_threads(threads):
            return kernels().knn_search(qwords, W, self.nbits, k, tables, self._masks(tables), budget, nparts=parts)

    def _scan_search(self, store: CodeStore, qwords: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        W = self._words_per_code()
        with numba_threads(self._call_threads(qwords.shape[0] // W, store.n)) as threads:
            return kernels().topk_search(qwords, store.words(self.nbits), W, self.nbits, k, threads)

    def _range_search(self, store: CodeStore, qwords: np.ndarray, radius: int):
        tables = self._tables_for(store)
        W = self._words_per_code()
        nq = qwords.shape[0] // W
        threads, parts = self._plan(nq, store.n, DESIGN_K)
        with numba_threads(threads):
            lims, D, I, done = kernels().range_search(qwords, W, radius, tables, self._masks(tables),
                                                      self._budget(store.n, nq), nparts=parts)
        rest = np.flatnonzero(~done)
        if rest.size == 0:
            return lims, D, I
        self._log_fallback("range_search", rest.size, nq, radius=radius)
        words = qwords.reshape(nq, W)[rest].reshape(-1)
        with numba_threads(self._call_threads(rest.size, store.n)) as used:
            slims, sD, sI = kernels().scan_range(words, store.words(self.nbits), W, radius, used)
        return _merge_ranges(lims, D, I, rest, slims, sD, sI)

    def _masks(self, tables: Tables) -> np.ndarray:
        cached = self._tables_masks
        if cached is not None and cached[0] is tables:
            return cached[1]
        masks = kernels().substring_masks(tables.layout, self._words_per_code(), word_dtype(self.nbits))
        self._tables_masks = (tables, masks)
        return masks

    def _log_fallback(self, what: str, count: int, nq: int, **params) -> None:
        logger.debug("MultiIndexHammingIndex.%s: %d of %d queries (%s) would cost more than a linear scan; "
                     "scanned instead", what, count, nq, ", ".join(f"{k}={v}" for k, v in params.items()))

    # -------------------------------------------------------------- persistence
    def save(self, path) -> None:
        """Write the codes and the tables to an index file, atomically.

        The tables are built first if needed, so that :meth:`load` never
        rebuilds them.  The format is described in :mod:`hashx.search._mih_file`
        (checksummed like a code file; the old file at ``path`` is replaced
        only once the new one is complete).

        Parameters
        ----------
        path : str or os.PathLike
            Destination file.
        """
        from ._mih_file import write_index

        store = self._snapshot()
        tables = self._tables_for(store) if store.n else None
        write_index(path, self, store, tables)

    @classmethod
    def load(cls, path, *, mmap: bool = True, verify: bool = True,
             threads: int | None = None) -> MultiIndexHammingIndex:
        """Open an index written by :meth:`save`.

        Parameters
        ----------
        path : str or os.PathLike
            A multi-index file.
        mmap : bool, default=True
            Memory-map the codes and tables read-only (no copy, and the file's
            pages are read as they are used), under the contract of
            :meth:`HammingIndex.load`: a file changed in place is detected
            before the next call.  Otherwise read them into memory.
        verify : bool, default=True
            Check the payload checksum (one read of the file).  The tables'
            structure is always checked, so a file damaged past its checksum
            (``verify=False``) cannot make a search read out of bounds.
        threads : int, optional
            As in the constructor.

        Returns
        -------
        MultiIndexHammingIndex

        Raises
        ------
        CodeFileError
            The file is missing, not a multi-index file, truncated or corrupted.
        """
        from ._mih_file import read_index

        return read_index(path, cls, mmap=mmap, verify=verify, threads=threads)

    def predicted_speedup(self, k: int, nq: int = 1) -> float:
        """The cost model's predicted speed-up over a linear scan (uniform random codes).

        Parameters
        ----------
        k : int
            Neighbours per query.
        nq : int, default=1
            Queries per call (a batch's linear scan shares its reads).
        """
        return predicted_speedup(max(self.ntotal, 1), self.nbits, self.num_tables, k, nq)


def _merge_ranges(lims, D, I, rest, slims, sD, sI):
    """Put the scanned queries' ranges (``rest``, from ``slims, sD, sI``) into the MIH result."""
    nq = lims.shape[0] - 1
    counts = np.diff(lims)
    counts[rest] = np.diff(slims)
    out_lims = np.zeros(nq + 1, np.int64)
    np.cumsum(counts, out=out_lims[1:])
    out_D = np.empty(out_lims[-1], np.int32)
    out_I = np.empty(out_lims[-1], np.int64)
    scanned = np.zeros(nq, bool)
    scanned[rest] = True
    for q in np.flatnonzero(~scanned):
        out_D[out_lims[q]:out_lims[q + 1]] = D[lims[q]:lims[q + 1]]
        out_I[out_lims[q]:out_lims[q + 1]] = I[lims[q]:lims[q + 1]]
    for j, q in enumerate(rest):
        out_D[out_lims[q]:out_lims[q + 1]] = sD[slims[j]:slims[j + 1]]
        out_I[out_lims[q]:out_lims[q + 1]] = sI[slims[j]:slims[j + 1]]
    return out_lims, out_D, out_I
