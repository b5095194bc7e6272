"""Running a function in N gloo worker processes, for the distributed tests (not a test module)."""

from __future__ import annotations

import json
import os
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _entry(rank, fn, world_size, port, args):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), LOCAL_RANK=str(rank),
                      WORLD_SIZE=str(world_size))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    try:
        fn(rank, *args)
    finally:
        dist.destroy_process_group()


def run_workers(fn, world_size: int, *args) -> None:
    """``fn(rank, *args)`` in ``world_size`` spawned processes of one gloo group; re-raises a worker's failure."""
    mp.start_processes(_entry, args=(fn, world_size, free_port(), args), nprocs=world_size, start_method="spawn",
                       join=True)


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
