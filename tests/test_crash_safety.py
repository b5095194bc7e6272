"""SIGKILL at any moment (first epoch, in the middle of a checkpoint write, at random): resume ends
bit-identical to an uninterrupted run, at most one epoch is lost per kill, no temporary file is left.
The same for hashx encode and hashx bench."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from hashx.train import LAST_CHECKPOINT, load_checkpoint
from method_testing import all_tensors

pytestmark = pytest.mark.slow
DRIVER = Path(__file__).parent / "crash_driver.py"
TRAIN = ["train", "--dataset", "synthetic", "--bits", "16", "--epochs", "4", "--set", "hidden_dim=64",
         "--set", "feature_dim=32", "--set", "eval_batch_size=1024", "-q"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(
    [str(Path(__file__).parent), *filter(None, [os.environ.get("PYTHONPATH")])])}


def _driver(log, kill_at, *args, **kw):
    return subprocess.Popen([sys.executable, str(DRIVER), str(log), str(kill_at), "--", *map(str, args)],
                            env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True, **kw)


def _epochs_started(log) -> list[int]:
    return [int(line.split()[1]) for line in Path(log).read_text().splitlines() if line.startswith("epoch")] \
        if Path(log).exists() else []


def _state(run_dir):
    ckpt = load_checkpoint(run_dir / LAST_CHECKPOINT)
    return ckpt, dict(all_tensors(ckpt["training"]["method"]))


def test_training_killed_three_ways_resumes_bit_identical(tmp_path):
    straight = _driver(tmp_path / "straight.log", 0, *TRAIN, "--out", tmp_path / "straight")
    assert straight.wait(timeout=900) == 0, straight.stderr.read().decode()[-2000:]
    out, log = tmp_path / "killed", tmp_path / "killed.log"
    run_dir = out / "ssah-16bits"
    # 1. in the middle of the first checkpoint write (the end of epoch 0): nothing valid on disk yet
    p = _driver(log, 1, *TRAIN, "--out", out)
    assert p.wait(timeout=900) == -signal.SIGKILL
    assert not (run_dir / LAST_CHECKPOINT).exists() and list(run_dir.glob(".*.tmp"))  # a half-written temporary
    # 2. in the middle of the third checkpoint write, after a resume
    p = _driver(log, 3, *TRAIN, "--out", out, "--resume")
    assert p.wait(timeout=900) == -signal.SIGKILL
    started = _epochs_started(log)[-1]
    assert load_checkpoint(run_dir / LAST_CHECKPOINT)["epoch"] >= started - 1  # at most one epoch lost
    # 3. from outside, at a random moment of the next epoch
    p = _driver(log, 0, *TRAIN, "--out", out, "--resume")
    before = len(_epochs_started(log))
    deadline = time.time() + 600
    while len(_epochs_started(log)) == before and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(random.Random(0).uniform(0.0, 1.0))
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    started = _epochs_started(log)[-1]
    assert load_checkpoint(run_dir / LAST_CHECKPOINT)["epoch"] >= started - 1
    # resume to the end: the same state and codes as the uninterrupted run, no temporary file left
    p = _driver(log, 0, *TRAIN, "--out", out, "--resume")
    assert p.wait(timeout=900) == 0, p.stderr.read().decode()[-2000:]
    (a, ta), (b, tb) = _state(tmp_path / "straight" / "ssah-16bits"), _state(run_dir)
    assert a["epoch"] == b["epoch"] == 3 and ta.keys() == tb.keys()
    for key in ta:
        assert np.array_equal(ta[key].numpy(), tb[key].numpy()), key
    assert (tmp_path / "straight" / "ssah-16bits" / "model-best.pt").read_bytes() != b""
    assert not list(run_dir.glob(".*.tmp")) and not list(out.glob(".*.tmp"))


def _hashx(*args):
    return subprocess.run([sys.executable, "-m", "hashx", *map(str, args)], env=ENV, capture_output=True, text=True)


def test_encode_killed_leaves_no_partial_file_and_reruns_identically(tmp_path):
    r = _hashx(*TRAIN[:5], "--epochs", "1", *TRAIN[7:], "--out", tmp_path / "run")
    assert r.returncode == 0, r.stderr[-2000:]
    r = _hashx("data", "export", "--dataset", "synthetic", "--out", tmp_path / "data")
    assert r.returncode == 0, r.stderr[-2000:]
    args = ["encode", "--checkpoint", tmp_path / "run" / "ssah-16bits" / "model-best.pt", "--modality", "text",
            "--input", tmp_path / "data" / "retrieval.npz", "-q"]
    assert _hashx(*args, "--out", tmp_path / "ref.hxc").returncode == 0
    for delay in (0.5, 1.5, 3.0):
        p = subprocess.Popen([sys.executable, "-m", "hashx", *map(str, args), "--out", str(tmp_path / "codes.hxc")],
                             env=ENV, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        target = tmp_path / "codes.hxc"
        assert not target.exists() or target.read_bytes() == (tmp_path / "ref.hxc").read_bytes()
        target.unlink(missing_ok=True)
    assert _hashx(*args, "--out", tmp_path / "codes.hxc").returncode == 0
    assert (tmp_path / "codes.hxc").read_bytes() == (tmp_path / "ref.hxc").read_bytes()
    assert not list(tmp_path.glob(".*.tmp"))


def test_bench_killed_mid_run_resumes_to_the_same_records(tmp_path):
    bench = ["bench", "--dataset", "synthetic", "--methods", "ssah,ssah-noadv", "--bits", "8", "--seeds", "1",
             "--epochs", "3", "--set", "hidden_dim=64", "--set", "feature_dim=32", "-q"]
    straight = _driver(tmp_path / "s.log", 0, *bench, "--out", tmp_path / "straight")
    assert straight.wait(timeout=900) == 0, straight.stderr.read().decode()[-2000:]
    log = tmp_path / "k.log"
    p = _driver(log, 5, *bench, "--out", tmp_path / "killed")  # inside the second run's checkpoints
    assert p.wait(timeout=900) == -signal.SIGKILL
    p = _driver(log, 0, *bench, "--out", tmp_path / "killed")
    assert p.wait(timeout=900) == 0, p.stderr.read().decode()[-2000:]

    def maps(path):
        return sorted((r["method"], r["direction"], r["map"]) for r in json.loads(path.read_text()))

    assert maps(tmp_path / "killed" / "results.json") == maps(tmp_path / "straight" / "results.json")
    assert not list((tmp_path / "killed").rglob(".*.tmp"))
