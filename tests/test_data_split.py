"""Split files: .json and .npz round trips, checksums, corrupted and edited files."""

import json
import os
import zipfile

import numpy as np
import pytest

from hashx.data import Split
from hashx.exceptions import DataFormatError, HashxValueError


def _split():
    return Split(protocol="toy", seed=7, query=np.array([0, 4], dtype=np.int64),
                 retrieval=np.array([1, 2, 3, 5, 6], dtype=np.int64), train=np.array([1, 3, 5, 6], dtype=np.int64),
                 val=np.array([3], dtype=np.int64))


def test_sha256_by_hand():
    import hashlib

    s = _split()
    h = hashlib.sha256()
    for part, values in (("query", [0, 4]), ("retrieval", [1, 2, 3, 5, 6]), ("train", [1, 3, 5, 6]), ("val", [3])):
        h.update(part.encode())
        for v in values:
            h.update(int(v).to_bytes(8, "little", signed=True))
    assert s.sha256 == h.hexdigest()
    assert s.fit.tolist() == [1, 5, 6]


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_round_trip(tmp_path, suffix):
    s = _split()
    path = s.save(tmp_path / f"s{suffix}")
    t = Split.load(path)
    assert (t.protocol, t.seed, t.sha256) == (s.protocol, s.seed, s.sha256)
    for part in ("query", "retrieval", "train", "val"):
        assert getattr(t, part).dtype == np.int64
        np.testing.assert_array_equal(getattr(t, part), getattr(s, part))
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]  # atomic: no leftovers
    assert os.stat(path).st_mode & 0o044  # readable by others, like any new file (umask allowing)


def test_json_is_deterministic_and_readable(tmp_path):
    a = _split().save(tmp_path / "a.json").read_bytes()
    b = _split().save(tmp_path / "b.json").read_bytes()
    assert a == b
    meta = json.loads(a)
    assert meta["format"] == "hashx-split" and meta["sha256"] == _split().sha256 and meta["query"] == [0, 4]


def test_edited_json_is_detected(tmp_path):
    path = _split().save(tmp_path / "s.json")
    text = path.read_text()
    path.write_text(text.replace('"query": [0,4]', '"query": [0,2]'))
    with pytest.raises(DataFormatError, match=r"s\.json.*corrupted or was edited"):
        Split.load(path)
    meta = json.loads(text)
    meta["sizes"]["val"] = 2
    path.write_text(json.dumps(meta))
    with pytest.raises(DataFormatError, match=r"s\.json.*sizes"):
        Split.load(path)
    path.write_text(text[: len(text) // 2])  # truncated
    with pytest.raises(DataFormatError, match=r"s\.json.*could not be read"):
        Split.load(path)


def test_edited_npz_is_detected(tmp_path):
    path = _split().save(tmp_path / "s.npz")
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["train"] = np.array([1, 3, 5, 2], dtype=np.int64)
    np.savez(path, **arrays)
    with pytest.raises(DataFormatError, match=r"s\.npz.*corrupted or was edited"):
        Split.load(path)
    data = bytearray(_split().save(tmp_path / "t.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF  # flip bits inside the compressed payload
    (tmp_path / "t.npz").write_bytes(bytes(data))
    with pytest.raises(DataFormatError, match=r"t\.npz"):
        Split.load(tmp_path / "t.npz")


def test_not_a_split_file(tmp_path):
    (tmp_path / "x.json").write_text('{"format": "other"}')
    with pytest.raises(DataFormatError, match=r"x\.json.*could not be read|x\.json.*not a hashx split"):
        Split.load(tmp_path / "x.json")
    with zipfile.ZipFile(tmp_path / "y.npz", "w") as z:
        z.writestr("a.npy", b"junk")
    with pytest.raises(DataFormatError, match=r"y\.npz"):
        Split.load(tmp_path / "y.npz")
    with pytest.raises(DataFormatError, match="does not exist"):
        Split.load(tmp_path / "none.json")


def test_future_version_is_refused(tmp_path):
    path = _split().save(tmp_path / "s.json")
    meta = json.loads(path.read_text())
    meta["version"] = 99
    path.write_text(json.dumps(meta))
    with pytest.raises(DataFormatError, match="version 99"):
        Split.load(path)


def test_invalid_splits_are_refused(tmp_path):
    s = _split()
    bad = Split("toy", 0, np.array([0, 1]), s.retrieval, s.train, s.val)  # query overlaps retrieval
    with pytest.raises(HashxValueError, match="'query' and 'retrieval' overlap"):
        bad.save(tmp_path / "b.json")
    with pytest.raises(HashxValueError, match="'train' must be a subset of 'retrieval'"):
        Split("toy", 0, s.query, s.retrieval, np.array([1, 4]), np.array([1])).validate()
    with pytest.raises(HashxValueError, match="'val' must be a subset of 'train'"):
        Split("toy", 0, s.query, s.retrieval, s.train, np.array([2])).validate()
    with pytest.raises(HashxValueError, match="index 6, but the dataset has 5"):
        s.validate(n_items=5)
    with pytest.raises(HashxValueError, match="repeated"):
        Split("toy", 0, s.query, s.retrieval, np.array([1, 1]), np.array([1])).validate()
    with pytest.raises(HashxValueError, match=r"\.json or \.npz"):
        s.save(tmp_path / "s.txt")
