"""Data-parallel training and encoding with torch.distributed (2 gloo workers on CPU)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from dist_testing import query_maps, run_workers, train_tiny_worker
from hashx.data import save_generic
from hashx.exceptions import HashxValueError
from hashx.methods import configure
from hashx.train import LAST_CHECKPOINT, Distribution, load_checkpoint, load_encoder, train
from method_testing import TINY_RUN, TINY_SETTINGS
from ssah_testing import tiny_dataset, tiny_split

torch.set_num_threads(1)
pytestmark = pytest.mark.slow


def test_shard_arithmetic():
    d = Distribution(rank=1, world_size=3)
    rows = np.arange(10, 20)
    assert d.bounds(10) == [0, 3, 6, 10]
    local, weight = d.shard(rows)
    assert local.tolist() == [13, 14, 15] and weight == pytest.approx(3 * 3 / 10)
    # a batch smaller than the world: an empty part becomes a stand-in item that counts for nothing
    parts = [Distribution(rank=r, world_size=3).shard(np.arange(5, 7)) for r in range(3)]
    assert [(p[0].tolist(), p[1]) for p in parts] == [([5], 0.0), ([5], 1.5), ([6], 1.5)]
    single = Distribution()
    assert single.shard(rows)[0] is rows and single.shard(rows)[1] == 1.0 and not single.active
    # the weights make the mean over ranks of the weighted part means the global mean
    values = np.arange(10.0)
    b = d.bounds(10)
    weights = [Distribution(rank=r, world_size=3).shard(rows)[1] for r in range(3)]
    assert np.mean([w * values[b[r]:b[r + 1]].mean() for r, w in enumerate(weights)]) == pytest.approx(values.mean())
    with pytest.raises(ValueError):
        Distribution(rank=3, world_size=3)


class _SimulatedRank(Distribution):
    """Rank ``rank`` of a simulated group: gather_batch returns the other ranks' given outputs (no processes)."""

    def __init__(self, *, rank, world_size, outputs):
        super().__init__(rank=rank, world_size=world_size)
        self.outputs = outputs

    def gather_batch(self, local, n):
        b = self.bounds(n)
        return torch.cat([self.outputs[r][:b[r + 1] - b[r]].detach() for r in range(self.world_size)])


def _coupled_loss(x):
    """A term that couples a batch's items: squared norm of the mean row plus a softmax over the rows."""
    return (x.mean(dim=0) ** 2).sum() - torch.log_softmax(x @ x.T, dim=1).diagonal().mean()


@pytest.mark.parametrize("n", [7, 1])
def test_live_batch_gradients_sum_to_the_single_process_gradient(n):
    # n=7: parts of 2, 2 and 3 rows; n=1: two ranks with an empty part (stand-in rows of weight 0)
    world, gen = 3, torch.Generator().manual_seed(0)
    inputs = torch.randn(n, 4, generator=gen)
    weight = torch.randn(4, 3, generator=gen, requires_grad=True)
    _coupled_loss(inputs @ weight).backward()
    expected, weight.grad = weight.grad.clone(), None
    ranks = [Distribution(rank=r, world_size=world) for r in range(world)]
    outputs = [ranks[r].shard(inputs)[0] @ weight for r in range(world)]
    total = torch.zeros_like(expected)
    for r in range(world):
        d = _SimulatedRank(rank=r, world_size=world, outputs=[o.detach() for o in outputs])
        local = d.shard(inputs)[0] @ weight
        full = d.live_batch(local, n)
        torch.testing.assert_close(full.detach(), (inputs @ weight).detach())  # every rank sees the global batch
        (world * _coupled_loss(full)).backward()  # what a rank's loss is
        total += weight.grad
        weight.grad = None
    torch.testing.assert_close(total / world, expected)  # what DistributedDataParallel's average makes of it
    single = Distribution()
    x = inputs @ weight
    assert single.live_batch(x, n) is x


def test_two_workers_train_the_single_process_objective(tmp_path):
    run_values = {**TINY_RUN, "epochs": 3}
    run, settings = configure("ssah", {**run_values, **{f"ssah.{k}": v for k, v in TINY_SETTINGS["ssah"].items()}})
    single = train(tiny_dataset(), tiny_split(), tmp_path / "single", method=settings, run=run)
    run_workers(train_tiny_worker, 2, str(tmp_path / "ddp"), "ssah", TINY_SETTINGS["ssah"], run_values)
    ddp = json.loads((tmp_path / "ddp" / "result.json").read_text())
    # the same global batches and objective: the loss curves agree up to float summation order
    assert len(ddp["history"]) == len(single.history) == 3
    for a, b in zip(single.history, ddp["history"]):
        assert a["losses"].keys() == b["losses"].keys()
        for name in a["losses"]:
            assert b["losses"][name] == pytest.approx(a["losses"][name], rel=1e-3, abs=1e-5), (a["epoch"], name)
    ckpt = load_checkpoint(tmp_path / "ddp" / "model-best.pt")  # rank 0 wrote a checkpoint that loads
    assert ckpt["run"]["nbits"] == 16 and not list((tmp_path / "ddp").glob("*.tmp"))
    for x, y in zip(query_maps(single.best_checkpoint), query_maps(tmp_path / "ddp" / "model-best.pt")):
        assert abs(x - y) <= 0.01, (x, y)


def _hashx(*args, **kw):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "hashx", *map(str, args)], env=env, capture_output=True, text=True,
                          **kw)


TRAIN = ["train", "--dataset", "synthetic", "--bits", "16", "--set", "hidden_dim=64", "--set", "feature_dim=32",
         "--set", "eval_batch_size=1024", "-q"]


def test_killed_mid_epoch_resumes_under_two_workers(tmp_path):
    out = tmp_path / "run"
    args = [sys.executable, "-m", "hashx", *TRAIN, "--epochs", "4", "--nproc", "2", "--out", str(out)]
    proc = subprocess.Popen(args, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    last = out / "ssah-16bits" / LAST_CHECKPOINT
    deadline = time.time() + 600
    while not last.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert last.exists(), proc.stderr.read().decode()[-2000:]
    epoch0 = load_checkpoint(last)["epoch"]
    seconds = load_checkpoint(last)["training"]["trainer"]["history"][-1]["seconds"]
    time.sleep(max(0.3, seconds / 2))  # inside the next epoch
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert load_checkpoint(last)["epoch"] < 3
    r = _hashx(*TRAIN, "--epochs", "4", "--nproc", "2", "--out", out, "--resume")
    assert r.returncode == 0, r.stderr[-3000:]
    ckpt = load_checkpoint(last)
    history = ckpt["training"]["trainer"]["history"]
    assert [h["epoch"] for h in history] == [0, 1, 2, 3] and ckpt["training"]["trainer"]["finished"]
    assert epoch0 >= 0 and load_encoder(out / "ssah-16bits" / "model-best.pt").nbits == 16
    assert not list((out / "ssah-16bits").glob(".*.tmp"))


def test_sharded_encoding_is_byte_identical(tmp_path):
    ds, split = tiny_dataset(n=300), tiny_split(n=300, n_query=40, n_train=200, n_val=20)
    run, settings = configure("ssah", {**TINY_RUN, "epochs": 1, **{f"ssah.{k}": v for k, v in
                                                                   TINY_SETTINGS["ssah"].items()}})
    result = train(ds, split, tmp_path / "run", method=settings, run=run)
    save_generic(tmp_path / "data.npz", ds)
    for modality in ("image", "text"):
        one = _hashx("encode", "--checkpoint", result.best_checkpoint, "--modality", modality, "--input",
                     tmp_path / "data.npz", "--batch-size", "37", "--out", tmp_path / f"one-{modality}.hxc", "-q")
        two = _hashx("encode", "--checkpoint", result.best_checkpoint, "--modality", modality, "--input",
                     tmp_path / "data.npz", "--batch-size", "37", "--nproc", "2", "--out",
                     tmp_path / f"two-{modality}.hxc", "-q")
        assert one.returncode == 0 and two.returncode == 0, (one.stderr[-2000:], two.stderr[-2000:])
        assert (tmp_path / f"one-{modality}.hxc").read_bytes() == (tmp_path / f"two-{modality}.hxc").read_bytes()


def _spawn_workers(script, *argv):
    """Two ``python -c script *argv`` processes with the environment torchrun gives its workers."""
    from dist_testing import free_port, torchrun_env

    port = free_port()
    return [subprocess.Popen([sys.executable, "-c", script, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env={**os.environ, **torchrun_env(rank, 2, port)})
            for rank in range(2)]


_EXIT_PROBE = """
import atexit, sys
import torch.distributed as dist
atexit.register(lambda: print("initialized at exit:", dist.is_initialized(), flush=True))  # runs last
from hashx.train import Distribution
d = Distribution.from_env()
d.barrier()
print("rank", d.rank, "of", d.world_size, flush=True)
"""


def test_workers_destroy_the_process_group_before_the_interpreter_exits():
    # a worker that exits with its gloo group alive can abort in gloo's threads ("terminate called without
    # an active exception"); the group from_env made is destroyed by an exit handler while Python is whole
    workers = _spawn_workers(_EXIT_PROBE)
    for rank, worker in enumerate(workers):
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err[-2000:]
        assert f"rank {rank} of 2" in out and "initialized at exit: False" in out, (out, err[-2000:])


_CLI_EXIT_PROBE = """
import atexit, sys
atexit.register(lambda: print("interpreter teardown", flush=True))
from hashx.train import Distribution
from hashx_cli.main import main
Distribution.from_env().barrier()
main(sys.argv[1:])
"""


@pytest.mark.parametrize("argv, code", [(["--version"], 0), (["train", "--no-such-option"], 2)],
                         ids=["success", "usage-error"])
def test_a_worker_whose_command_succeeds_leaves_without_interpreter_teardown(argv, code):
    # where gloo's threads can abort the process after the work is done; a failing command exits normally
    for worker in _spawn_workers(_CLI_EXIT_PROBE, *argv):
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == code, err[-2000:]
        if code == 0:
            assert "hashx, version" in out and "interpreter teardown" not in out, (out, err[-2000:])
        else:
            assert "No such option" in err and "interpreter teardown" in out, (out, err[-2000:])


@pytest.mark.parametrize("alignment", ["gan", "projection", "wgan_gp"])
def test_every_adversarial_alignment_keeps_the_single_process_step(alignment, tmp_path):
    # every discriminator step's averaged gradient is one process's: the penalty's per-item draws are made
    # for the global batch and its second-order gradient bypasses DDP's wrapper; batches of 17 make unequal
    # parts and a 1-item last batch.  The tolerance allows for Adam amplifying float-order differences over
    # the epoch's steps (the errors fixed were 10^3-10^4 times larger).
    from dist_testing import check_two_workers_match_one_process

    check_two_workers_match_one_process("ssah", tmp_path, {"batch_size": 17, "alignment": alignment},
                                        rtol=1e-3, atol=1e-5)


def test_instance_noise_refuses_data_parallel_training():
    # its scale is the whole batch's RMS, which a rank's part does not know: refused, not trained wrongly
    from hashx.alignment import create_alignment

    noisy = create_alignment("gan", feature_dim=8, weight=1.0, lr=1e-3, instance_noise=1.0)
    with pytest.raises(HashxValueError, match="'instance_noise' parameter of GANAlignment must be 0 .*got 1.0"):
        noisy.distribute(Distribution(rank=0, world_size=2))
    noisy.distribute(Distribution())  # one process: fine
