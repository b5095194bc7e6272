"""Slow, obviously correct Hamming search: the oracle for hashx.search.

XOR + ``np.bitwise_count`` over the packed bytes gives the full distance
matrix; a stable sort on the distance orders each query's results by
(distance, id).  Used only by the tests; quadratic in memory on purpose.  Also makes the test
codes: uniform random bytes, and clustered codes with heavy ties.
"""

from __future__ import annotations

import numpy as np

__all__ = ["distance_matrix", "oracle_rank", "oracle_search", "oracle_range_search", "make_index", "INDEX_KINDS",
           "uniform_codes", "clustered_codes", "make_case", "NBITS", "KINDS"]

#: Every code length the engine is tested at.
NBITS = [16, 24, 32, 48, 64, 128, 256]
#: Kinds of test codes (see :func:`make_case`).
KINDS = ["uniform", "clustered"]


def distance_matrix(queries: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Hamming distances, int64 of shape (nq, n), from packed uint8 codes."""
    x = np.bitwise_xor(queries[:, None, :], codes[None, :, :])
    return np.bitwise_count(x).sum(axis=2, dtype=np.int64)


def oracle_rank(queries: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every query's full ranking: (D, I) of shape (nq, n), ties by ascending id."""
    dist = distance_matrix(queries, codes)
    order = np.argsort(dist, axis=1, kind="stable")
    return np.take_along_axis(dist, order, axis=1), order.astype(np.int64)


def oracle_search(queries: np.ndarray, codes: np.ndarray, k: int, nbits: int):
    """Top-k (D int32, I int64) of shape (nq, k), padded with nbits + 1 / -1 past n."""
    nq, n = queries.shape[0], codes.shape[0]
    D = np.full((nq, k), nbits + 1, dtype=np.int32)
    I = np.full((nq, k), -1, dtype=np.int64)
    if n:
        d, i = oracle_rank(queries, codes)
        m = min(k, n)
        D[:, :m] = d[:, :m]
        I[:, :m] = i[:, :m]
    return D, I


def oracle_range_search(queries: np.ndarray, codes: np.ndarray, radius: int):
    """(lims, D, I) in faiss's layout; each query's results ordered by (distance, id)."""
    lims = [0]
    Ds, Is = [], []
    if codes.shape[0]:
        d, i = oracle_rank(queries, codes)
    for q in range(queries.shape[0]):
        if codes.shape[0]:
            keep = d[q] <= radius
            Ds.append(d[q][keep])
            Is.append(i[q][keep])
        lims.append(lims[-1] + (int(keep.sum()) if codes.shape[0] else 0))
    D = np.concatenate(Ds).astype(np.int32) if Ds else np.zeros(0, np.int32)
    I = np.concatenate(Is).astype(np.int64) if Is else np.zeros(0, np.int64)
    return np.asarray(lims, dtype=np.int64), D, I


def uniform_codes(rng: np.random.Generator, n: int, nbits: int) -> np.ndarray:
    """Uniform random packed codes, uint8 of shape (n, nbits // 8)."""
    return rng.integers(0, 256, size=(n, nbits // 8), dtype=np.uint8)


def clustered_codes(rng: np.random.Generator, n: int, nbits: int, n_labels: int = 4,
                    noise: float = 0.3) -> np.ndarray:
    """Codes as a hashing model makes them: sign(labels @ W + noise), packed.

    Few labels and little noise give many identical codes, hence many ties.
    """
    labels = (rng.random((n, n_labels)) < 0.4).astype(np.float64)
    W = rng.standard_normal((n_labels, nbits))
    bits = labels @ W + noise * rng.standard_normal((n, nbits)) >= 0
    return np.packbits(bits, axis=1)


def make_case(kind: str, nbits: int, n: int, nq: int, seed: int):
    """(database, queries) of ``kind`` codes; two queries copy database codes (distance-0 ties)."""
    rng = np.random.default_rng(seed)
    make = uniform_codes if kind == "uniform" else clustered_codes
    codes = make(rng, n + nq, nbits)
    db, queries = codes[:n], codes[n:].copy()
    queries[: min(2, nq)] = db[[0, n // 2][: min(2, nq)]]
    return db, queries


#: The index classes every engine test runs against (see :func:`make_index`).
INDEX_KINDS = ["exact", "mih"]


def make_index(kind: str, nbits: int, **kwargs):
    """A HammingIndex (``"exact"``) or a MultiIndexHammingIndex (``"mih"``).

    The multi-index gets a budget of 50 linear scans per query, so that on the
    tests' small databases its queries take the multi-index path (with the
    default budget of one scan most would be answered by the scan it falls
    back to); results must be identical either way.
    """
    from hashx import HammingIndex, MultiIndexHammingIndex

    if kind == "exact":
        return HammingIndex(nbits, **kwargs)
    index = MultiIndexHammingIndex(nbits, **kwargs)
    index._budget_scale = 50.0
    return index
