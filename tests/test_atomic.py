"""Tests of hashx._atomic.atomic_write."""

import os
import stat

import pytest

from hashx._atomic import atomic_write


def test_new_file_gets_default_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "f.txt", "w") as f:
            f.write("hello")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "f.txt").st_mode) == 0o644
    assert (tmp_path / "f.txt").read_text() == "hello"


def test_exception_inside_block_keeps_old_file_and_cleans_up(tmp_path):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_write(target, "wb") as f:
            f.write(b"new, half written")
            raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_rejects_unknown_mode(tmp_path):
    with pytest.raises(ValueError, match="'mode' parameter of atomic_write"):
        with atomic_write(tmp_path / "x", "a"):
            pass
