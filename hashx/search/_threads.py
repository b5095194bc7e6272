"""Per-call numba thread count (imports numba only when a call needs it)."""

from __future__ import annotations

import contextlib

from .._torch_threads import pin_torch_threads

__all__ = ["SMALL_WORK_BYTES", "call_threads", "max_threads", "numba_threads"]

#: Below this many bytes of work (queries x codes x bytes per code), a call
#: runs on one thread: waking the others would cost more than they save.
SMALL_WORK_BYTES = 1 << 22


def call_threads(nq: int, n: int, bytes_per_code: int, threads: int) -> int:
    """Threads worth using for ``nq`` queries over ``n`` codes: 1 for small calls, else ``threads``."""
    return 1 if nq * n * bytes_per_code < SMALL_WORK_BYTES else threads


def max_threads() -> int:
    """The most threads numba can use in this process (``NUMBA_NUM_THREADS``)."""
    import numba

    return int(numba.config.NUMBA_NUM_THREADS)


@contextlib.contextmanager
def numba_threads(threads: int | None):
    """Run the body with ``threads`` numba threads (all when None), then restore.

    numba's thread count is thread-local, so concurrent calls from several
    Python threads do not disturb each other.  Every parallel search kernel
    runs inside this, so torch's thread count is pinned first
    (:mod:`hashx._torch_threads`: numba's OpenMP pool would otherwise move it
    when it starts; a no-op when torch is not loaded, and torch is never
    imported here).
    """
    pin_torch_threads()
    import numba

    wanted = max_threads() if threads is None else int(threads)
    previous = numba.get_num_threads()
    if previous == wanted:  # nothing to set or restore (setting costs ~20 us a call)
        yield wanted
        return
    numba.set_num_threads(wanted)
    try:
        yield wanted
    finally:
        numba.set_num_threads(previous)
