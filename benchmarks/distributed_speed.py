"""Data-parallel training speed: seconds per SSAH epoch with 1 and 2 worker processes on this machine.

The MIRFlickr-size stand-in: 10,000 training pairs (``make_synthetic``: 4,096-d image
features, 1,386-d tags, 24 labels), 64 bits, SSAH's default settings (hidden width 4,096,
batch 128).  Validation runs only after the last epoch, so the timed epochs are training
alone.  One worker uses ``--threads`` torch threads; N workers use ``--threads // N`` each,
so every configuration uses the same cores.  Each configuration runs in fresh processes
(torch's elastic launcher is not needed for one machine: ``torch.multiprocessing`` with
the gloo backend, as ``hashx train --nproc`` uses).

Usage::

    python benchmarks/distributed_speed.py --epochs 3 --json benchmarks/results/distributed_speed.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.multiprocessing as mp


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank, world, port, args, out):
    import torch.distributed as dist

    from hashx.data import make_synthetic
    from hashx.data.split import Split
    from hashx.methods import configure
    from hashx.train import Distribution, train

    torch.set_num_threads(max(1, args.threads // world))
    if world > 1:
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world))
        dist.init_process_group("gloo", rank=rank, world_size=world)
    n = args.n_train + args.n_val
    ds = make_synthetic(n_items=n + 10, n_labels=24, image_dim=args.image_dim, text_dim=args.text_dim, seed=0)
    idx = np.arange(n + 10, dtype=np.int64)
    split = Split(protocol="speed", seed=0, query=idx[n:], retrieval=idx[:n], train=idx[:n], val=idx[:args.n_val])
    run, settings = configure("ssah", {"nbits": args.nbits, "epochs": args.epochs, "val_every": args.epochs})
    result = train(ds, split, out, method=settings, run=run,
                   distribution=Distribution.from_env() if world > 1 else None)
    if rank == 0:
        Path(out, "seconds.json").write_text(json.dumps([h["seconds"] for h in result.history]))
    if world > 1:
        dist.destroy_process_group()


def measure(world: int, args) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "run")
        mp.start_processes(_worker, args=(world, _free_port(), args, out), nprocs=world, start_method="spawn")
        return json.loads(Path(out, "seconds.json").read_text())


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-train", type=int, default=10000)
    p.add_argument("--n-val", type=int, default=200)
    p.add_argument("--image-dim", type=int, default=4096)
    p.add_argument("--text-dim", type=int, default=1386)
    p.add_argument("--nbits", type=int, default=64)
    p.add_argument("--epochs", type=int, default=3, help="epochs per configuration (the last includes validation)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--workers", default="1,2")
    p.add_argument("--json", default="bench-out/distributed_speed.json")
    args = p.parse_args(argv)
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model = next((line.split(":", 1)[1].strip() for line in cpu.splitlines() if line.startswith("Model name")), "?")
    rows = []
    for world in [int(w) for w in args.workers.split(",")]:
        t0 = time.perf_counter()
        seconds = measure(world, args)
        train_epochs = seconds[:-1] or seconds
        rows.append({"workers": world, "threads_per_worker": max(1, args.threads // world),
                     "epoch_seconds": seconds, "median_training_epoch_seconds": float(np.median(train_epochs)),
                     "wall_seconds": round(time.perf_counter() - t0, 1)})
        print(f"{world} worker(s) x {rows[-1]['threads_per_worker']} thread(s): epochs {['%.1f' % s for s in seconds]} "
              f"-> median training epoch {rows[-1]['median_training_epoch_seconds']:.1f} s", flush=True)
    base = rows[0]["median_training_epoch_seconds"]
    for r in rows:
        r["speed_up"] = base / r["median_training_epoch_seconds"]
    result = {"setting": {k: v for k, v in vars(args).items() if k != "json"}, "cpu": model,
              "cores": os.cpu_count(), "torch": torch.__version__, "python": platform.python_version(),
              "date": time.strftime("%Y-%m-%d"), "rows": rows}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=1))
    print("| workers | threads each | median epoch (s) | speed-up |\n|---|---|---|---|")
    for r in rows:
        print(f"| {r['workers']} | {r['threads_per_worker']} | {r['median_training_epoch_seconds']:.1f} | "
              f"{r['speed_up']:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
