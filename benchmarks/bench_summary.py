"""Summarise ``hashx bench`` results: the MAP table with each method's training time, and the records without curves.

``hashx bench`` writes ``results.json`` (one record per method, bits, seed and
direction, with PR and precision curves) and a MAP table.  This script prints,
per protocol, the same MAP@all table (mean ± std over seeds) with two more
columns: the median ``train_seconds`` of a run (training with validation and
checkpoints, as ``hashx bench`` timed it) and its range, and the database-code
choice.  ``--json`` writes the records trimmed of their curves (small enough to
commit).

Example::

    python benchmarks/bench_summary.py bench-syn/results.json bench-syn-learned/results.json \\
        --json benchmarks/results/shallow-baselines.json
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict

import numpy as np

DIRECTIONS = ("image->text", "text->image")
CURVES = ("pr_curve", "precision_curve", "precision_within_radius")


def summary_table(records: list) -> str:
    """Markdown: rows = (method, database codes), columns = direction x bits, then training seconds."""
    maps, seconds = defaultdict(list), defaultdict(dict)
    rows, bits = [], sorted({r["bits"] for r in records})
    for r in records:
        key = (r["method"], r.get("db_codes", "features"))
        rows += [key] if key not in rows else []
        if r["direction"] in DIRECTIONS:
            maps[key, r["direction"], r["bits"]].append(r["map"])
        seconds[key][r["bits"], r["seed"]] = r["train_seconds"]
    seeds = sorted({r["seed"] for r in records})
    first = records[0]
    arrows = {"image->text": "I→T", "text->image": "T→I"}
    header = (["method", "database"] + [f"{arrows[d]} {b}" for d in DIRECTIONS for b in bits]
              + ["seeds", "train s (median)", "train s (min-max)"])
    lines = [f"{first['dataset']} ({first['protocol']}): MAP@all, mean ± std over seeds {seeds[0]}..{seeds[-1]} "
             f"(fewer where the seeds column says so); training seconds per run (fit + validation + checkpoints, "
             f"all bit lengths)", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for key in rows:
        cells = [key[0], key[1]]
        for d in DIRECTIONS:
            for b in bits:
                v = maps.get((key, d, b))
                cells.append("–" if not v else f"{v[0]:.4f}" if len(v) == 1
                             else f"{np.mean(v):.4f} ± {np.std(v):.4f}")
        t = list(seconds[key].values())
        n_seeds = len({seed for _, seed in seconds[key]})
        cells += [str(n_seeds), f"{np.median(t):.1f}", f"{min(t):.1f}-{max(t):.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", help="results.json files written by hashx bench")
    parser.add_argument("--json", default=None, help="write all records, without curves, here")
    args = parser.parse_args(argv)
    records = []
    for path in args.results:
        with open(path, encoding="utf-8") as f:
            records += json.load(f)
    by_protocol = defaultdict(list)
    for r in records:
        by_protocol[r["protocol"]].append(r)
    print("\n".join(summary_table(recs) for recs in by_protocol.values()))
    if args.json:
        trimmed = [{k: v for k, v in r.items() if k not in CURVES} for r in records]
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(trimmed, f, indent=1)


if __name__ == "__main__":
    main()
