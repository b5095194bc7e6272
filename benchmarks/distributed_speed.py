"""Data-parallel training speed: seconds per epoch with 1 and 2 worker processes on this machine.

The MIRFlickr-size stand-in: 10,000 training pairs (``make_synthetic``: 4,096-d image
features, 1,386-d tags, 24 labels), 64 bits, each method's default settings (SSAH: hidden
width 4,096), batch 128; ``--n-train`` scales the training set down.  Validation runs only
after the last epoch, so the timed epochs are training alone; the median of the epochs
between the first (which pays one-time costs: allocator growth, gloo's first collectives)
and the last (validation) is reported, with 3 or more epochs.  One worker uses ``--threads`` torch threads; N workers use
``--threads // N`` each, so every configuration uses the same cores.  Each configuration
runs in fresh processes (torch's elastic launcher is not needed for one machine:
``torch.multiprocessing`` with the gloo backend, as ``hashx train --nproc`` uses).  Every
worker reports its peak resident memory (``ru_maxrss``: torch and the data included).

Usage::

    python benchmarks/distributed_speed.py --methods ssah,two-tower --epochs 4 \
        --json benchmarks/results/distributed_speed.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import socket
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.multiprocessing as mp
from _machine import cpu_model  # noqa: E402  (benchmarks/ is on sys.path when a script runs)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank, world, port, args, method, threads, out):
    import torch.distributed as dist

    from hashx.data import make_synthetic
    from hashx.data.split import Split
    from hashx.methods import configure
    from hashx.train import Distribution, train

    torch.set_num_threads(threads)
    if world > 1:
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world))
        dist.init_process_group("gloo", rank=rank, world_size=world)
    n = args.n_train + args.n_val
    ds = make_synthetic(n_items=n + 10, n_labels=24, image_dim=args.image_dim, text_dim=args.text_dim, seed=0)
    idx = np.arange(n + 10, dtype=np.int64)
    split = Split(protocol="speed", seed=0, query=idx[n:], retrieval=idx[:n], train=idx[:n], val=idx[:args.n_val])
    run, settings = configure(method, {"nbits": args.nbits, "epochs": args.epochs, "val_every": args.epochs,
                                       "batch_size": args.batch_size})
    result = train(ds, split, out, method=settings, run=run,
                   distribution=Distribution.from_env() if world > 1 else None)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    Path(out, f"memory-{rank}.json").write_text(json.dumps(peak_mib))
    if rank == 0:
        Path(out, "seconds.json").write_text(json.dumps([h["seconds"] for h in result.history]))
    if world > 1:
        dist.destroy_process_group()


def machine() -> dict:
    """The machine and software of a benchmark run: ``lscpu`` model, cores, torch, Python, date (UTC)."""
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "torch": torch.__version__, "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def measure(world: int, threads: int, method: str, args) -> tuple[list[float], list[float]]:
    """Epoch seconds of one run with ``world`` workers of ``threads`` threads, and each worker's peak memory (MiB)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "run")
        mp.start_processes(_worker, args=(world, _free_port(), args, method, threads, out), nprocs=world,
                           start_method="spawn")
        memory = [json.loads(Path(out, f"memory-{r}.json").read_text()) for r in range(world)]
        return json.loads(Path(out, "seconds.json").read_text()), memory


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-train", type=int, default=10000)
    p.add_argument("--n-val", type=int, default=200)
    p.add_argument("--image-dim", type=int, default=4096)
    p.add_argument("--text-dim", type=int, default=1386)
    p.add_argument("--nbits", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--methods", default="ssah", help="comma-separated registered methods")
    p.add_argument("--epochs", type=int, default=3, help="epochs per configuration (the last includes validation)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--workers", default="1,2",
                   help="configurations: N (N workers, --threads // N threads each) or NxT (T threads each)")
    p.add_argument("--json", default="bench-out/distributed_speed.json")
    args = p.parse_args(argv)
    rows = []
    for method in args.methods.split(","):
        first = len(rows)
        for config in args.workers.split(","):
            world, _, each = config.partition("x")
            world = int(world)
            threads = int(each) if each else max(1, args.threads // world)
            t0 = time.perf_counter()
            seconds, memory = measure(world, threads, method, args)
            train_epochs = seconds[1:-1] if len(seconds) >= 3 else seconds
            rows.append({"method": method, "workers": world, "threads_per_worker": threads,
                         "epoch_seconds": seconds, "median_training_epoch_seconds": float(np.median(train_epochs)),
                         "peak_memory_mib_per_worker": [round(m, 1) for m in memory],
                         "wall_seconds": round(time.perf_counter() - t0, 1)})
            print(f"{method}, {world} worker(s) x {threads} thread(s): epochs {['%.1f' % s for s in seconds]} -> "
                  f"median training epoch {rows[-1]['median_training_epoch_seconds']:.1f} s, peak memory per worker "
                  f"{rows[-1]['peak_memory_mib_per_worker']} MiB", flush=True)
        base = rows[first]["median_training_epoch_seconds"]
        for r in rows[first:]:
            r["speed_up"] = base / r["median_training_epoch_seconds"]
    result = {"setting": {k: v for k, v in vars(args).items() if k != "json"}, "seeds": {"data": 0, "run": 0},
              **machine(), "command": "python benchmarks/distributed_speed.py " + " ".join(
                  argv if argv is not None else sys.argv[1:]), "rows": rows}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=1))
    print("| method | workers x threads | every epoch (s) | median epoch (s) | speed-up vs first row | peak memory per "
          "worker (MiB) |\n|---|---|---|---|---|---|")
    for r in rows:
        epochs = ", ".join(f"{s:.1f}" for s in r["epoch_seconds"])
        print(f"| {r['method']} | {r['workers']} x {r['threads_per_worker']} | {epochs} | "
              f"{r['median_training_epoch_seconds']:.1f} | {r['speed_up']:.2f}x | "
              f"{' / '.join(f'{m:.0f}' for m in r['peak_memory_mib_per_worker'])} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
