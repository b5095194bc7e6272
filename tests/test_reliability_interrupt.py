"""SIGINT while a file is being written (issue 15, item 4): the old file stays intact, no temporary
file is left, and the command prints one line and exits 1 (README, "Command line")."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from hashx._atomic import atomic_write
from hashx.train.checkpoint import load_checkpoint
from hashx_cli.main import cli

REPO = Path(__file__).resolve().parents[1]
TINY = ["--bits", "16", "--epochs", "1", "--set", "hidden_dim=64", "--set", "feature_dim=16", "-q"]


@pytest.fixture
def one_torch_thread():
    """One intra-op thread: torch's OpenMP workers spin while waiting, which on a busy shared machine makes
    an in-process training run several times slower (the `hashx` command avoids it, see its main.py)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


class _InterruptingFile:
    """A writable file object that raises KeyboardInterrupt (as a Ctrl-C would) after ``limit`` bytes."""

    def __init__(self, f, limit):
        self.f, self.limit, self.written = f, limit, 0

    def write(self, data):
        if self.written + len(data) > self.limit:
            raise KeyboardInterrupt
        self.written += len(data)
        return self.f.write(data)

    def flush(self):
        self.f.flush()


def test_keyboard_interrupt_in_the_block_keeps_the_old_file(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(path) as f:
            f.write(b"new, half")
            raise KeyboardInterrupt
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_torch_save_interrupted_is_reported_as_an_interruption(tmp_path):
    """torch.save turns a KeyboardInterrupt inside its writer into "RuntimeError: ... unexpected pos";
    atomic_write must still report the interruption (so the command says so instead of a traceback)."""
    path = tmp_path / "model.pt"
    torch.save({"w": torch.zeros(2)}, path)
    old = path.read_bytes()
    with pytest.raises(KeyboardInterrupt) as info:
        with atomic_write(path) as f:
            torch.save({"w": torch.randn(100_000)}, _InterruptingFile(f, 5000))
    assert isinstance(info.value.__cause__, RuntimeError)  # what torch raised, kept as the cause
    assert path.read_bytes() == old and [p.name for p in tmp_path.iterdir()] == ["model.pt"]


def test_train_interrupted_while_saving_a_checkpoint_prints_one_line(tmp_path, monkeypatch, one_torch_thread):
    real_save, calls = torch.save, []

    def interrupted_second_save(obj, f, *args, **kwargs):
        calls.append(1)
        target = _InterruptingFile(f, 3000) if len(calls) == 2 else f
        return real_save(obj, target, *args, **kwargs)

    monkeypatch.setattr(torch, "save", interrupted_second_save)
    result = CliRunner().invoke(cli, ["train", "--dataset", "digits-quadrants", *TINY, "--out", str(tmp_path / "run")])
    monkeypatch.undo()
    assert len(calls) == 2, "the interruption must land in the second checkpoint write"
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: interrupted (Ctrl-C)"), result.stderr
    files = sorted(p.name for p in (tmp_path / "run").rglob("*") if p.is_file())
    assert not [f for f in files if f.endswith(".tmp")], files
    written = list((tmp_path / "run").rglob("*.pt"))
    assert len(written) == 1, files  # the first checkpoint, complete; the interrupted one never appeared
    load_checkpoint(written[0])


@pytest.mark.slow
def test_a_real_sigint_during_training_prints_one_line(tmp_path):
    """The real thing: `hashx train` in its own process, SIGINT once the first checkpoint exists."""
    env = dict(os.environ, PYTHONPATH=f"{REPO}:{REPO / 'cli'}")
    out = tmp_path / "run"
    args = ["train", "--dataset", "digits-quadrants", "--bits", "16", "--epochs", "40", "--set", "hidden_dim=64",
            "--set", "feature_dim=16", "-q", "--out", str(out)]
    proc = subprocess.Popen([sys.executable, "-m", "hashx", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 240
    while not list(out.rglob("*.pt")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    lines = stderr.decode().strip().splitlines()
    assert proc.returncode == 1, stderr.decode()[-2000:]
    assert len(lines) == 1 and lines[0].startswith("Error: interrupted (Ctrl-C)"), stderr.decode()[-2000:]
    assert not list(out.rglob("*.tmp"))
    for ckpt in out.rglob("*.pt"):
        load_checkpoint(ckpt)
