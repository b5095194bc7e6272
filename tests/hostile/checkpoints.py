"""Checkpoints (hashx.train.load_checkpoint).

The reference loads the file with ``torch.load(weights_only=True)`` and
accepts it only when its contents equal one of the checkpoints written by
:func:`hashx.train.checkpoint.save_checkpoint` for the seeds: any change of
content must be refused (the checkpoint's SHA-256), a change that leaves the
content equal (zip padding) may be accepted.
"""

from __future__ import annotations

import functools
import io
import pickle
import tempfile
import zipfile
from pathlib import Path

import torch

from . import Family, Rejected, family

NAME = "model.pt"


def _payload(kind: str, seed: int) -> dict:
    g = torch.Generator().manual_seed(seed)
    state = {"fc.weight": torch.randn(3, 4, generator=g), "fc.bias": torch.zeros(3),
             "steps": torch.tensor(7, dtype=torch.int64), "mask": torch.tensor([True, False])}
    payload = {"kind": kind, "run": {"method": "ssah", "nbits": 16, "seed": seed}, "method": {"name": "ssah",
               "settings": {"alignment": "gan"}}, "dims": {"image_dim": 4, "text_dim": 5, "n_labels": 3},
               "split_sha256": "ab" * 32, "dataset": "synthetic", "epoch": 1,
               "encoder": {"image": {"name": "image_mlp", "kwargs": {"in_dim": 4}, "state": state}},
               "metrics": {"val_i2t": 0.5}}
    if kind == "training":
        payload["training"] = {"optimizer": {"lr": 0.01, "buf": torch.ones(2, 2)}, "rng": torch.arange(5)}
    return payload


def _saved_bytes(payload: dict) -> bytes:
    from hashx.train.checkpoint import save_checkpoint

    with tempfile.TemporaryDirectory() as tmp:
        save_checkpoint(Path(tmp) / NAME, payload)
        return (Path(tmp) / NAME).read_bytes()


@functools.lru_cache(maxsize=1)
def _seed_bytes() -> tuple:
    return tuple(_saved_bytes(_payload(kind, seed)) for kind, seed in (("model", 0), ("training", 1)))


@functools.lru_cache(maxsize=1)
def _known() -> tuple:
    return tuple(torch.load(io.BytesIO(b), weights_only=True) for b in _seed_bytes())


def seeds():
    return [{NAME: b} for b in _seed_bytes()]


def folder_marked(data: bytes, member: bytes = b"archive/data.pkl") -> bytes:
    """``data`` (a zip) with the central-directory entry of ``member`` given all external attributes
    (the MS-DOS folder bit among them), as a fuzz mutation did."""
    raw = bytearray(data)
    at = raw.index(b"PK\x01\x02")
    while raw[at + 46:at + 46 + len(member)] != member:
        at = raw.index(b"PK\x01\x02", at + 4)
    raw[at + 38:at + 42] = b"\xff\xff\xff\xff"
    return bytes(raw)


def _torch_bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


class _Foreign:  # pickled by reference: weights_only must refuse it
    pass


def hostile():
    good = dict(_known()[0])
    cases = [
        ("empty file", {NAME: b""}),
        ("text file", {NAME: b"hello\n"}),
        ("a zip without torch data", {NAME: _zip({"a.txt": b"x"})}),
        ("a plain pickle of a foreign object", {NAME: pickle.dumps(_Foreign())}),
        ("torch.save of a foreign object", {NAME: _torch_bytes({"format": "hashx-checkpoint", "x": _Foreign()})}),
        ("a tensor, not a dict", {NAME: _torch_bytes(torch.zeros(3))}),
        ("no format entry", {NAME: _torch_bytes({"kind": "model"})}),
        ("checksum of another content", {NAME: _torch_bytes({**good, "epoch": 2})}),
        ("checksum not a string", {NAME: _torch_bytes({**good, "checksum": 5})}),
        ("data.pkl marked as a folder in the zip directory", {NAME: folder_marked(_seed_bytes()[0])}),
        ("format_version True", {NAME: _torch_bytes({**good, "format_version": True})}),
        ("format_version 99", {NAME: _torch_bytes({**good, "format_version": 99})}),
        ("format_version '2'", {NAME: _torch_bytes({**good, "format_version": "2"})}),
        ("format 1 without config", {NAME: _torch_bytes({**good, "format_version": 1})}),
        ("kind unknown", {NAME: _torch_bytes({**good, "kind": ["model"]})}),
        ("sparse tensor", {NAME: _torch_bytes({**good, "encoder": {"x": torch.eye(3).to_sparse()}})}),
        ("bfloat16 and complex tensors", {NAME: _torch_bytes({**good, "metrics": {
            "a": torch.ones(2, dtype=torch.bfloat16), "b": torch.ones(2, dtype=torch.complex64)}})}),
        ("nested lists 300 deep", {NAME: _torch_bytes({**good, "metrics": _nested(300)})}),
        ("lists nested 100,000 deep (a hand-made pickle)", {NAME: _with_pickle(_deep_pickle(100_000))}),
        ("non-string keys", {NAME: _torch_bytes({**good, 3: "x", (1, 2): "y"})}),
    ]
    return cases


def _nested(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


def _deep_pickle(depth: int) -> bytes:
    """A protocol-2 pickle of a checkpoint-shaped dict whose 'metrics' are lists nested ``depth`` deep
    (torch.save cannot write such nesting; the weights-only unpickler reads it without recursion)."""
    marker = "NESTED-LISTS-GO-HERE"
    entries = {"format": "hashx-checkpoint", "format_version": 2, "kind": "model", "hashx_version": "0.2.0",
               "run": {}, "method": {}, "dims": {}, "split_sha256": "", "epoch": 0, "encoder": {},
               "checksum": "0" * 64, "metrics": marker}
    raw = pickle.dumps(entries, protocol=2)
    encoded = b"X" + len(marker).to_bytes(4, "little") + marker.encode()
    assert raw.count(encoded) == 1
    return raw.replace(encoded, b"]" * depth + b"a" * (depth - 1))


def _with_pickle(pickle_bytes: bytes) -> bytes:
    """A torch zip checkpoint whose data.pkl is replaced by ``pickle_bytes`` (no tensors)."""
    src = zipfile.ZipFile(io.BytesIO(_torch_bytes({})))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for info in src.infolist():
            out.writestr(info, pickle_bytes if info.filename.endswith("data.pkl") else src.read(info))
    return buf.getvalue()


def _zip(members: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def read(folder):
    from hashx.train.checkpoint import load_checkpoint

    return load_checkpoint(folder / NAME)


def _equal(a, b) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.dtype == b.dtype
                and a.shape == b.shape and a.layout == b.layout and torch.equal(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def reference(folder):
    try:
        obj = torch.load(folder / NAME, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise Rejected(f"torch.load refuses it ({type(exc).__name__})") from None
    for known in _known():
        if _equal(obj, known):
            return known
    raise Rejected("its contents differ from every checkpoint hashx wrote")


def same(got, want):
    return _equal(got, want)


family(Family("checkpoint", NAME, seeds, hostile, read, reference, same))
