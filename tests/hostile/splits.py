"""Split files (hashx.data.Split.load), JSON and .npz.

The reference decodes the file with ``json`` / ``numpy`` and applies the
documented rules: format ``hashx-split`` version 1, four 1-d integer index
lists whose SHA-256 (part name in ASCII, then the indices as little-endian
int64, for query, retrieval, train, val) equals the stored one, sizes (when
stored) that match, distinct non-negative indices, query and retrieval
disjoint, train within retrieval, val within train.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
from pathlib import Path

import numpy as np

from hashx.data import Split

from . import Family, Rejected, family
from .arrays import mutate_npz_member

PARTS = ("query", "retrieval", "train", "val")


def _split(seed=3) -> Split:
    rng = np.random.default_rng(seed)
    perm = rng.permutation(30)
    return Split(protocol="files", seed=seed, query=perm[:5], retrieval=perm[5:], train=perm[5:20], val=perm[5:8])


def _sha(parts: dict) -> str:
    h = hashlib.sha256()
    for part in PARTS:
        h.update(part.encode("ascii"))
        h.update(np.asarray(parts[part], dtype="<i8").tobytes())
    return h.hexdigest()


def _saved(split: Split, suffix: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"split{suffix}"
        split.save(path)
        return path.read_bytes()


def _json_bytes(meta: dict, parts: dict) -> bytes:
    return json.dumps({**meta, **parts}).encode()


def _meta(parts, **over):
    meta = {"format": "hashx-split", "version": 1, "protocol": "files", "seed": 3,
            "sizes": {p: len(parts[p]) for p in PARTS}, "sha256": _sha(parts)}
    meta.update(over)
    return meta


def _npz_bytes(meta, parts) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, meta=np.array(json.dumps(meta)), **{p: np.asarray(v) for p, v in parts.items()})
    return buf.getvalue()


def _hostile(suffix):
    base = {p: getattr(_split(), p).tolist() for p in PARTS}
    name = f"split{suffix}"
    enc = _json_bytes if suffix == ".json" else _npz_bytes
    cases = []
    for label, parts in (
        ("query overlaps retrieval", {**base, "query": base["query"] + [base["retrieval"][0]]}),
        ("negative index", {**base, "val": [-1]}),
        ("duplicate index", {**base, "train": base["train"] + [base["train"][0]]}),
        ("val outside train", {**base, "val": [base["query"][0]]}),
        ("empty parts", {p: [] for p in PARTS}),
        ("huge index", {**base, "val": [2**62]}),
    ):
        cases.append((label, {name: enc(_meta(parts), parts)}))
    cases.append(("sha of other indices", {name: enc(_meta(base, sha256="0" * 64), base)}))
    cases.append(("unknown version", {name: enc(_meta(base, version=2), base)}))
    cases.append(("not a split", {name: enc({"format": "other"}, base)}))
    cases.append(("sizes disagree", {name: enc(_meta(base, sizes={p: 1 for p in PARTS}), base)}))
    if suffix == ".json":
        fractional = {**base, "val": [base["val"][0] + 0.5]}
        boolean = {**base, "val": [True]}
        cases += [
            ("fractional index with the sha of its floor", {name: _json_bytes(_meta({**base, "val": [base["val"][0]]}),
                                                                              fractional)}),
            ("boolean index with the sha of 1", {name: _json_bytes(_meta({**base, "val": [1]}), boolean)}),
            ("index 1e30", {name: _json_bytes(_meta(base), {**base, "val": [1e30]})}),
            ("index list of lists", {name: _json_bytes(_meta(base), {**base, "val": [[1]]})}),
            ("deeply nested", {name: b"[" * 100000 + b"]" * 100000}),
            ("not utf-8", {name: b"\xff\xfe{}"}),
            ("a JSON list", {name: b"[1, 2]"}),
        ]
    else:
        cases += [
            ("float index array", {name: _npz_bytes(_meta(base), {**base, "val": np.array(base["val"], float)})}),
            ("2-d index array", {name: _npz_bytes(_meta(base), {**base, "val": np.array([base["val"]])})}),
            ("meta not JSON", {name: _npz_bytes("{not json", base)}),
            ("text renamed .npz", {name: b"query,retrieval\n1,2\n"}),
        ]
    return cases


def _reference(folder, suffix):
    path = folder / f"split{suffix}"
    try:
        if suffix == ".json":
            meta = json.loads(path.read_bytes().decode("utf-8"))
            if not isinstance(meta, dict):
                raise Rejected("not an object")
            parts = {}
            for p in PARTS:
                values = meta.pop(p)
                if not isinstance(values, list) or not all(type(v) is int and abs(v) < 2**63 for v in values):
                    raise Rejected(f"'{p}' is not a list of integers")
                parts[p] = np.array([int(v) for v in values], dtype=np.int64)
        else:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"][()]))
                parts = {p: np.asarray(z[p]) for p in PARTS}
            for p, x in parts.items():
                if x.ndim != 1 or (x.size and x.dtype.kind not in "iu"):
                    raise Rejected(f"'{p}' is not a 1-d integer array")
                parts[p] = x.astype(np.int64)
    except Rejected:
        raise
    except Exception as exc:
        raise Rejected(f"undecodable ({type(exc).__name__})") from None
    if not isinstance(meta, dict) or meta.get("format") != "hashx-split" or meta.get("version") != 1:
        raise Rejected("format or version")
    if meta.get("sha256") != _sha(parts):
        raise Rejected("sha256")
    if "sizes" in meta and meta["sizes"] != {p: int(parts[p].shape[0]) for p in PARTS}:
        raise Rejected("sizes")
    for p in PARTS:
        if parts[p].size and (parts[p].min() < 0 or np.unique(parts[p]).size != parts[p].size):
            raise Rejected(f"{p} has negative or repeated indices")
    q, r, t, v = (set(parts[p].tolist()) for p in PARTS)
    if q & r or not t <= r or not v <= t:
        raise Rejected("invariants")
    try:
        return str(meta["protocol"]), int(meta["seed"]), parts
    except (KeyError, TypeError, ValueError):
        raise Rejected("protocol or seed") from None


def _same(got, want):
    protocol, seed, parts = want
    return (got.protocol == protocol and got.seed == seed
            and all(np.array_equal(getattr(got, p), parts[p]) for p in PARTS))


for _suffix in (".json", ".npz"):
    family(Family(
        f"split{_suffix}", f"split{_suffix}",
        seeds=(lambda s=_suffix: [{f"split{s}": _saved(_split(seed), s)} for seed in (3, 4)]),
        hostile=(lambda s=_suffix: _hostile(s)),
        read=(lambda folder, s=_suffix: Split.load(folder / f"split{s}")),
        reference=(lambda folder, s=_suffix: _reference(folder, s)),
        same=_same,
        mutator=None if _suffix == ".json" else mutate_npz_member,
    ))
