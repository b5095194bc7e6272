"""Fit time of the shallow baselines (CCA-ITQ, CMFH, SCM-seq, SCRATCH) against the training-set size.

Times the fit alone (the method's epochs until it converges, as the trainer runs
them; no validation, checkpoints or encoding) on a protocol's fit items and on
nested subsets of them, so that the growth with the training-set size shows.
Wall-clock and CPU seconds are both reported: on a shared machine the CPU
seconds (the fits use one BLAS thread by default) say what the fit costs, the
wall seconds what it took there.  ``--sparse-text`` hands the text over as a
scipy CSR matrix (MIRFlickr's tags are 0.3% non-zero).

Example::

    python benchmarks/shallow_fit_time.py --dataset mirflickr25k-synthimg \\
        --data-dir /work/shared/data/mirflickr25k --items train --fractions 0.25,0.5,1 --sparse-text \\
        --json fit_time.json
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import datetime, timezone

import numpy as np
import scipy.sparse as sp
import torch

from hashx.data import load_protocol
from hashx.data.dataset import CrossModalDataset
from hashx.methods import configure
from hashx.train import FitData
from _machine import cpu_model  # noqa: E402  (benchmarks/ is on sys.path when a script runs)

METHODS = ("cca-itq", "cmfh", "scm-seq", "scratch")


def machine() -> dict:
    return {"cpu": cpu_model(), "cores": os.cpu_count(), "load_average": os.getloadavg()}


def time_fit(method: str, dataset, rows: np.ndarray, nbits: int, seed: int) -> dict:
    run, settings = configure(method, {"nbits": nbits, "seed": seed, "epochs": 1})
    data = FitData(dataset, rows, device=torch.device("cpu"))
    built = settings.build(run=run, data=data, device=torch.device("cpu"))
    wall, cpu = time.perf_counter(), time.process_time()
    built.setup(data)
    epoch = 0
    while not built.converged():
        built.train_epoch(epoch, data)
        epoch += 1
    return {"method": method, "nbits": nbits, "n_fit": int(rows.size), "seed": seed,
            "wall_seconds": round(time.perf_counter() - wall, 3), "cpu_seconds": round(time.process_time() - cpu, 3),
            "steps": built.iteration}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mirflickr25k-synthimg")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--bits", default="32")
    parser.add_argument("--fractions", default="1", help="nested fractions of the fit items, e.g. 0.25,0.5,1")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sparse-text", action="store_true", help="pass the text as a scipy CSR matrix")
    parser.add_argument("--items", choices=("fit", "train"), default="fit",
                        help="time the fit on the split's fit items (train minus validation, what hashx train "
                             "fits on) or on the whole training set (e.g. MIRFlickr's 10,000)")
    parser.add_argument("--json", default=None, help="write the records here")
    args = parser.parse_args(argv)

    ds, split = load_protocol(args.dataset, args.data_dir)
    if args.sparse_text:
        ds = CrossModalDataset(image=ds.image, text=sp.csr_matrix(ds.text), labels=ds.labels, name=ds.name,
                               notes=ds.notes)
    order = np.random.default_rng(0).permutation(split.fit if args.items == "fit" else split.train)
    before = machine()
    records = []
    for fraction in (float(f) for f in args.fractions.split(",")):
        rows = np.sort(order[: max(2, int(round(fraction * order.size)))])
        for method in args.methods.split(","):
            for nbits in (int(b) for b in args.bits.split(",")):
                records.append(time_fit(method, ds, rows, nbits, args.seed))
                r = records[-1]
                print(f"{method:8s} {nbits:3d} bits n_fit={r['n_fit']:6d}: {r['wall_seconds']:7.1f} s wall, "
                      f"{r['cpu_seconds']:7.1f} s CPU, {r['steps']} step(s)", flush=True)
    after = machine()
    header = "| method | bits | fit items | wall s | CPU s | steps |"
    lines = [f"{args.dataset}{' (text as CSR)' if args.sparse_text else ''}: fit time (no validation)", "",
             header, "|---|---|---|---|---|---|"]
    lines += [f"| {r['method']} | {r['nbits']} | {r['n_fit']} | {r['wall_seconds']:.1f} | {r['cpu_seconds']:.1f} | "
              f"{r['steps']} |" for r in records]
    print("\n".join(lines))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"dataset": args.dataset, "sparse_text": args.sparse_text, "seed": args.seed,
                       "items": args.items, "n_items": int(order.size),
                       "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                       "machine_before": before, "machine_after": after, "torch_threads": torch.get_num_threads(),
                       "records": records}, f, indent=1)


if __name__ == "__main__":
    main()
