"""Keeping torch's thread count where it is when numba starts its OpenMP threads.

numba's OpenMP threading layer sets the calling thread's OpenMP default
(``omp_set_num_threads``) when it starts its thread pool, and torch's
parallel regions follow that default: a process whose torch ran on one
thread (``OMP_NUM_THREADS=1``) would train on two after its first validation
(the metrics are numba kernels).  Matrix products would then sum in another
order, and an uninterrupted run and a resumed one (whose first epochs run
before any validation) would not give the same bits.  So, once per process,
hashx starts numba's pool itself and then gives torch back the thread count
it had: when :mod:`hashx.train` is imported, and before the first parallel
kernel if torch is loaded by then.  Later numba calls leave it alone.  This
module never imports torch itself.
"""

from __future__ import annotations

import sys

__all__ = ["pin_torch_threads"]

_pinned = False


def pin_torch_threads() -> None:
    """Start numba's thread pool, then restore torch's intra-op thread count (once; a no-op without torch)."""
    global _pinned
    if _pinned:
        return
    torch = sys.modules.get("torch")
    if torch is None:
        return
    threads = torch.get_num_threads()
    import numba

    numba.get_num_threads()  # starts numba's pool, which moves the OpenMP default
    torch.set_num_threads(threads)
    _pinned = True
