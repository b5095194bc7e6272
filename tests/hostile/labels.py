"""Label files of an evaluation (hashx.data.read_label_files): a query file (.npy) and a database file
(.npz, variable ``labels``).  The reference decodes both with numpy and applies the rules of
hashx/data/label_files.py's docstring, written out again here: a 2-d 0/1 matrix, or a vector of
integers; vectors are one binary label when every value of both files is 0/1 and no matrix has more
than one column, else class ids 1..C one-hot over one shared C."""

from __future__ import annotations

import io

import numpy as np

from . import Family, Rejected, family
from .arrays import mutate_npz_member

Q, DB = "query.npy", "database.npz"


def _npy(x) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(x))
    return buf.getvalue()


def _npz(x) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, labels=np.asarray(x))
    return buf.getvalue()


def _pair(q, db) -> dict:
    return {Q: _npy(q), DB: _npz(db)}


def seeds():
    rng = np.random.default_rng(0)
    multi_q = (rng.random((6, 5)) < 0.4).astype(np.uint8)
    multi_db = (rng.random((9, 5)) < 0.4).astype(np.uint8)
    return [_pair(multi_q, multi_db), _pair(rng.integers(1, 9, 6), rng.integers(1, 11, (9, 1))),
            _pair(np.array([0, 1, 1, 0]), np.array([[1], [0], [1]]))]


def hostile():
    return [(label, _pair(q, db)) for label, q, db in (
        ("query ids 1..8, database ids 1..10 (issue 15)", np.arange(1, 9), np.arange(1, 11)[:, None]),
        ("one 0/1 column each (issue 15)", np.array([[0], [1], [1]]), np.array([1, 0, 0, 1])),
        ("ids against a 0/1 column", np.array([1, 2, 3]), np.array([[0], [1]])),
        ("ids against a multi-hot matrix", np.array([1, 4, 2]), np.eye(4, dtype=np.uint8)),
        ("an id beyond the matrix's columns", np.array([1, 5]), np.eye(4, dtype=np.uint8)),
        ("a 0 among class ids", np.array([0, 2, 3]), np.array([1, 2])),
        ("matrices of 3 and 4 columns", np.eye(3, dtype=np.uint8), np.eye(4, dtype=np.uint8)),
        ("matrix value 2", np.eye(3) * 2, np.eye(3)),
        ("matrix NaN", np.where(np.eye(3) > 0, np.nan, 0), np.eye(3)),
        ("ids 2.5", np.array([1.0, 2.5]), np.array([1, 2])),
        ("ids -1", np.array([-1, 2]), np.array([1, 2])),
        ("ids 1e9", np.array([1e9, 2]), np.array([1, 2])),
        ("ids Inf", np.array([np.inf, 2]), np.array([1, 2])),
        ("a 1 x 5 row vector of ids", np.array([[1, 2, 3, 2, 1]]), np.array([1, 2, 3])),
        ("3-d labels", np.zeros((2, 2, 2)), np.eye(2)),
        ("0-d labels", np.float64(1), np.eye(2)),
        ("empty query", np.zeros((0, 3), np.uint8), np.eye(3, dtype=np.uint8)),
        ("bool matrix", np.eye(3, dtype=bool), np.eye(3, dtype=np.uint8)),
        ("strings", np.array(["a", "b"]), np.array([1, 2])),
    )] + [("object array", {Q: _npy(np.eye(2)), DB: _npz_object()}),
          ("text renamed .npy", {Q: b"1,2,3\n", DB: _npz(np.eye(2))})]


def _npz_object() -> bytes:
    buf = io.BytesIO()
    np.savez(buf, labels=np.array([[1], [0, 1]], dtype=object), allow_pickle=True)
    return buf.getvalue()


def read(folder):
    from hashx.data import read_label_files

    return read_label_files(folder / Q, folder / DB, allow_unlabeled=True)


def _decode(folder):
    try:
        q = np.load(folder / Q, allow_pickle=False)
        with np.load(folder / DB, allow_pickle=False) as z:
            db = z["labels"]
    except Exception as exc:
        raise Rejected(f"numpy cannot read it ({type(exc).__name__})") from None
    if not isinstance(q, np.ndarray):
        raise Rejected("the query file is an archive")
    return q, db


def _kind(x):
    if x.dtype.kind not in "biuf":
        raise Rejected("not numeric")
    if x.ndim == 1 or (x.ndim == 2 and (x.shape[1] == 1 or x.shape[0] == 1)):
        v = x.reshape(-1).astype(np.float64)
        if not np.isfinite(v).all() or (v != np.round(v)).any() or (v < 0).any() or (v > 65536).any():
            raise Rejected("a label vector must hold 0/1 or class ids")
        return "vector", v.astype(np.int64)
    if x.ndim != 2 or ((x != 0) & (x != 1)).any():
        raise Rejected("not a 0/1 matrix")
    return "matrix", x.astype(np.uint8)


def reference(folder):
    parts = [_kind(x) for x in _decode(folder)]
    widths = {v.shape[1] for k, v in parts if k == "matrix"}
    if len(widths) > 1:
        raise Rejected("column counts differ")
    width = widths.pop() if widths else None
    ids = (width is not None and width > 1) or any(k == "vector" and v.size and v.max() > 1 for k, v in parts)
    if not ids:
        return tuple(v.reshape(-1, 1).astype(np.uint8) if k == "vector" else v for k, v in parts)
    if width is None:
        width = max((int(v.max()) for k, v in parts if k == "vector" and v.size), default=0)
    out = []
    for k, v in parts:
        if k == "matrix":
            out.append(v)
            continue
        if v.size and (v.min() < 1 or v.max() > width):
            raise Rejected("class id out of 1..C")
        one_hot = np.zeros((v.shape[0], width), np.uint8)
        for row, c in enumerate(v):  # an explicit loop: the obviously correct encoding
            one_hot[row, c - 1] = 1
        out.append(one_hot)
    return tuple(out)


def same(got, want):
    return all(g.dtype == w.dtype and g.shape == w.shape and np.array_equal(g, w) for g, w in zip(got, want))


family(Family("labels", Q, seeds, hostile, read, reference, same, names_variable=True))
family(Family("labels.npz", DB, seeds, hostile, read, reference, same, names_variable=True,
              mutator=mutate_npz_member))
