"""Running a function in N gloo worker processes, for the distributed tests (not a test module)."""

from __future__ import annotations

import faulthandler
import gc
import json
import os
import socket
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def torchrun_env(rank: int, world_size: int, port: int) -> dict:
    """The variables torchrun sets for worker ``rank`` of a one-machine group listening on ``port``."""
    return {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": str(rank), "LOCAL_RANK": str(rank),
            "WORLD_SIZE": str(world_size)}


def _entry(rank, fn, world_size, port, args):
    # A worker that aborts prints every thread's Python stack (CI keeps it), so an abort says where it came from.
    faulthandler.enable(all_threads=True)
    os.environ.update(torchrun_env(rank, world_size, port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    try:
        fn(rank, *args)
    finally:
        gc.collect()  # tensors and work objects of the finished steps go while the group is alive
        dist.destroy_process_group()
    # The work is done, and the parent checks it from the files written.  A worker aborted in CI, rarely, with
    # "terminate called without an active exception" from torch's C++ side (twice in CI; once in about 50 runs
    # of these tests on a loaded 2-core machine); the teardown that finalising the interpreter runs is the
    # likeliest place (pytorch/pytorch#109478, #179291).  Workers leave without it;
    # test_workers_destroy_the_process_group_before_the_interpreter_exits covers hashx's own exit path.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def run_workers(fn, world_size: int, *args) -> None:
    """``fn(rank, *args)`` in ``world_size`` spawned processes of one gloo group; re-raises a worker's failure."""
    mp.start_processes(_entry, args=(fn, world_size, free_port(), args), nprocs=world_size, start_method="spawn",
                       join=True)


def query_maps(checkpoint):
    """Query MAP (image->text, text->image) of a tiny-data checkpoint against the retrieval items."""
    from hashx.metrics import mean_average_precision
    from hashx.train import load_encoder
    from ssah_testing import tiny_dataset, tiny_split

    ds, split = tiny_dataset(), tiny_split()
    enc = load_encoder(checkpoint)
    q, db = ds.subset(split.query), ds.subset(split.retrieval)
    return (mean_average_precision(enc.encode("image", q.image), enc.encode("text", db.text), q.labels, db.labels),
            mean_average_precision(enc.encode("text", q.text), enc.encode("image", db.image), q.labels, db.labels))


def train_tiny_worker(rank, out_dir, method, settings, run_values):
    """Train the tiny dataset with ``method`` under ``Distribution.from_env()``; rank 0 writes result.json."""
    from hashx.methods import configure
    from hashx.train import Distribution, train
    from ssah_testing import tiny_dataset, tiny_split

    run, st = configure(method, {**run_values, **{f"{method}.{k}": v for k, v in settings.items()}})
    result = train(tiny_dataset(), tiny_split(), out_dir, method=st, run=run,
                   distribution=Distribution.from_env())
    if rank == 0:
        with open(os.path.join(out_dir, "result.json"), "w") as f:
            json.dump({"history": list(result.history), "best_epoch": result.best_epoch}, f)



def epoch_with_gradients(method, data) -> tuple[dict, list]:
    """Train epoch 0 of a built method, recording the gradients each optimiser steps with.

    Returns ``(the epoch's logged losses, [{"<optimiser>/<group>/<index>": gradient} per step])``,
    every optimiser's steps (the networks', a discriminator stage's) in the order they ran, each
    read after the step's backward pass (and, under DDP or a manual all-reduce, after averaging).
    """
    grads = []
    for name, (opt, _) in method.optimizers.items():
        def recording_step(*args, _name=name, _opt=opt, _step=opt.step, **kwargs):
            grads.append({f"{_name}/{g}/{i}": p.grad.detach().clone() for g, group in enumerate(_opt.param_groups)
                          for i, p in enumerate(group["params"]) if p.grad is not None})
            return _step(*args, **kwargs)

        opt.step = recording_step
    return method.train_epoch(0, data), grads


def first_epoch_worker(rank, out_path, method, run_values):
    """Epoch 0 of the tiny method ``method`` as one rank of the group; rank 0 saves losses and gradients."""
    from hashx.train import Distribution
    from method_testing import build_method

    built, data = build_method(method, **run_values)
    built.distribute(Distribution.from_env())
    stats, grads = epoch_with_gradients(built, data)
    if rank == 0:
        torch.save({"stats": stats, "grads": grads}, out_path)


def check_two_workers_match_one_process(method, out_dir, run_values, *, rtol=1e-4, atol=1e-6):
    """Epoch 0 of the tiny ``method`` in one process and under 2 gloo workers: the same step, the same losses.

    Every optimiser step's gradient (after DDP's averaging; every optimiser's, a discriminator
    stage's included) and every logged loss term must agree up to float summation order: the
    data-parallel run optimises the one-process objective on the same global batches.
    """
    import pathlib

    import pytest

    from method_testing import build_method

    built, data = build_method(method, **run_values)
    stats, grads = epoch_with_gradients(built, data)
    out = pathlib.Path(out_dir) / "rank0.pt"
    run_workers(first_epoch_worker, 2, str(out), method, run_values)
    ddp = torch.load(out)
    assert ddp["stats"].keys() == stats.keys()
    for name, value in stats.items():
        assert ddp["stats"][name] == pytest.approx(value, rel=rtol, abs=atol), name
    assert len(ddp["grads"]) == len(grads)
    for step, (one, two) in enumerate(zip(grads, ddp["grads"])):
        assert one.keys() == two.keys()
        for name in one:
            assert torch.allclose(two[name], one[name], rtol=rtol, atol=atol), (step, name)
def train_each_worker(rank, out_dir, methods, run_values):
    """:func:`train_tiny_worker` for each of ``methods`` (with its TINY_SETTINGS) in ``out_dir/<method>``:
    one launch of the workers for all of them."""
    from method_testing import TINY_SETTINGS

    for method in methods:
        train_tiny_worker(rank, os.path.join(out_dir, method), method, TINY_SETTINGS[method], run_values)
