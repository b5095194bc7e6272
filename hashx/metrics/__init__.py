"""Retrieval metrics (placeholder: a simple, slow MAP@all until issue 3 lands)."""

import numpy as np

__all__ = ["mean_average_precision"]


def mean_average_precision(query_codes, db_codes, query_labels, db_labels, *, k=None, ties="index"):
    """MAP over the Hamming ranking (placeholder implementation, ties by index)."""
    q = np.unpackbits(query_codes, axis=1).astype(np.int32)
    d = np.unpackbits(db_codes, axis=1).astype(np.int32)
    dist = q.sum(1)[:, None] + d.sum(1)[None, :] - 2 * q @ d.T
    rel = (query_labels.astype(np.int64) @ db_labels.T.astype(np.int64)) > 0
    aps = []
    for i in range(q.shape[0]):
        order = np.argsort(dist[i], kind="stable")
        r = rel[i, order][: (k or len(order))]
        hits = np.cumsum(r)
        aps.append(float((hits[r] / (np.flatnonzero(r) + 1)).mean()) if r.any() else 0.0)
    return float(np.mean(aps))
