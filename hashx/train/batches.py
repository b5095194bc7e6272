"""The seeded batch order that exact resume relies on."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = ["seeded_batches"]


def seeded_batches(n: int, batch_size: int, *, seed: int, epoch: int, stage: int,
                   passes: int = 1) -> Iterator[np.ndarray]:
    """Batches of positions ``0..n-1`` in a seeded random order, ``passes`` times over.

    Pass ``p`` of stage ``stage`` in ``epoch`` uses the permutation drawn by
    ``numpy.random.default_rng([seed, epoch, stage, p])``; the order depends on
    nothing else, so a run resumed at an epoch boundary draws exactly the
    batches the uninterrupted run would have drawn.

    Parameters
    ----------
    n : int
        Number of items.
    batch_size : int
        Items per batch (the last batch of a pass may be smaller).
    seed, epoch, stage : int
        ``stage`` tells apart the stages of one epoch (e.g. SSAH trains its
        label, image and text networks in turn, each with its own order).
    passes : int, default=1

    Yields
    ------
    ndarray of shape (b,), dtype=int64
    """
    for p in range(passes):
        order = np.random.default_rng([seed, epoch, stage, p]).permutation(n)
        for start in range(0, n, batch_size):
            yield order[start:start + batch_size]
