"""Data-parallel training against one process: loss curves and MAP of 1 and 2 gloo workers, every method.

For each registered method that supports distribution, the same run (seed, global batch,
epochs) is trained once in one process and once by 2 worker processes (gloo, CPU), on a
small seeded synthetic set (``make_synthetic``: ``--n-items`` items, 64-d image features,
32-d tags, 10 labels; 60 query items, 80 validation items, the rest trained on).  Reported
per method: the largest absolute and relative difference of any logged loss term in any
epoch, and the query MAP (image->text, text->image) of both runs' selected models with
their difference.  The batch size is odd by default, so the two workers' parts differ in
size (unequal shard weights).

Usage::

    python benchmarks/distributed_match.py --epochs 5 --json benchmarks/results/distributed_match.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.multiprocessing as mp
from distributed_speed import _free_port, machine


def _problem(args):
    from hashx.data import make_synthetic
    from hashx.data.split import Split

    n = args.n_items
    ds = make_synthetic(n_items=n, n_labels=10, image_dim=64, text_dim=32, seed=0)
    idx = np.random.default_rng(0).permutation(n)
    query, rest = np.sort(idx[:60]), np.sort(idx[60:])
    split = Split(protocol="match", seed=0, query=query, retrieval=rest, train=rest, val=np.sort(rest[:80]))
    return ds, split


def _train(method, args, out, distribution=None):
    from hashx.methods import configure
    from hashx.train import train

    run, settings = configure(method, {"nbits": args.nbits, "epochs": args.epochs, "batch_size": args.batch_size,
                                       "seed": args.seed})
    ds, split = _problem(args)
    return train(ds, split, out, method=settings, run=run, distribution=distribution)


def _worker(rank, world, port, args, methods, out):
    import torch.distributed as dist

    from hashx.train import Distribution

    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        for method in methods:
            result = _train(method, args, str(Path(out, method)), Distribution.from_env())
            if rank == 0:
                Path(out, method, "history.json").write_text(json.dumps(list(result.history)))
    finally:
        dist.destroy_process_group()


def _query_maps(checkpoint, args):
    from hashx.metrics import mean_average_precision
    from hashx.train import load_encoder

    ds, split = _problem(args)
    enc = load_encoder(checkpoint)
    q, db = ds.subset(split.query), ds.subset(split.retrieval)
    return (mean_average_precision(enc.encode("image", q.image), enc.encode("text", db.text), q.labels, db.labels),
            mean_average_precision(enc.encode("text", q.text), enc.encode("image", db.image), q.labels, db.labels))


def main(argv=None) -> int:
    from hashx.methods import get_method, list_methods

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-items", type=int, default=700)
    p.add_argument("--nbits", type=int, default=32)
    p.add_argument("--batch-size", type=int, default=63)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--methods", default=None, help="comma-separated; default: every method that distributes")
    p.add_argument("--json", default="bench-out/distributed_match.json")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    methods = (args.methods.split(",") if args.methods else
               [m for m in list_methods() if get_method(m).supports_distribution])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        mp.start_processes(_worker, args=(2, _free_port(), args, methods, str(Path(tmp, "two"))), nprocs=2,
                           start_method="spawn")
        for method in methods:
            single = _train(method, args, str(Path(tmp, "one", method)))
            two = json.loads(Path(tmp, "two", method, "history.json").read_text())
            abs_diff = rel_diff = 0.0
            for a, b in zip(single.history, two):
                for name, x in a["losses"].items():
                    d = abs(b["losses"][name] - x)
                    abs_diff, rel_diff = max(abs_diff, d), max(rel_diff, d / max(abs(x), 1e-12))
            one_map = _query_maps(single.best_checkpoint, args)
            two_map = _query_maps(Path(tmp, "two", method, "model-best.pt"), args)
            rows.append({"method": method, "epochs": len(two), "max_abs_loss_diff": abs_diff,
                         "max_rel_loss_diff": rel_diff, "map_one_process": list(one_map),
                         "map_two_workers": list(two_map),
                         "max_map_diff": max(abs(x - y) for x, y in zip(one_map, two_map))})
    result = {"setting": {k: v for k, v in vars(args).items() if k != "json"}, **machine(),
              "command": "python benchmarks/distributed_match.py " + " ".join(argv if argv is not None else
                                                                            sys.argv[1:]),
              "rows": rows}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=1))
    print("| method | max abs loss diff | max rel loss diff | MAP i->t 1 / 2 workers | MAP t->i 1 / 2 workers "
          "| max MAP diff |\n|---|---|---|---|---|---|")
    for r in rows:
        (a1, b1), (a2, b2) = r["map_one_process"], r["map_two_workers"]
        print(f"| {r['method']} | {r['max_abs_loss_diff']:.1e} | {r['max_rel_loss_diff']:.1e} | {a1:.4f} / {a2:.4f} "
              f"| {b1:.4f} / {b2:.4f} | {r['max_map_diff']:.4f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
