"""Speed before and after a change: the same benchmarks from two checkouts, run alternately in one session.

Issue 10 asks that the method plug-in architecture costs no speed. This script
takes two checkouts of hashx (``--before``, e.g. a ``git worktree`` of the commit
before the change, and ``--after``, the working tree), and runs, alternating
which goes first in each round so that machine noise hits both alike:

``train``  each checkout's own ``benchmarks/train_speed.py`` (seconds per SSAH epoch),
``eval``   each checkout's own ``benchmarks/eval_speed.py`` on MIRFlickr labels (MAP@all,
           MAP@k, P@k, PR-curve times), and
``bench``  ``hashx bench`` on the synthetic set, one epoch, timing the whole command
           and subtracting the ``train_seconds`` it records: the evaluation and
           bookkeeping time of a bench run.

It prints the medians and the median of the per-round ratios (before / after:
above 1 means the change is faster) and writes JSON.

Example::

    git worktree add --detach ../hashx-before 05339b3
    python benchmarks/before_after.py --before ../hashx-before --after . --rounds 3 \\
        --json benchmarks/results/before_after_issue10.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _env(checkout: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = f"{checkout}{os.pathsep}{checkout / 'cli'}"
    return env


def _run(checkout: Path, argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *argv], cwd=checkout, env=_env(checkout), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start


def measure_train(checkout: Path, out: Path, args) -> dict:
    path = out / "train.json"
    _run(checkout, ["benchmarks/train_speed.py", "--n-pairs", str(args.train_pairs), "--epochs", "2",
                    "--repeats", "1", "--json", str(path)])
    return {"train epoch (s)": json.loads(path.read_text())["epoch_seconds_median"]}


def measure_eval(checkout: Path, out: Path, args) -> dict:
    path = out / "eval.json"
    _run(checkout, ["benchmarks/eval_speed.py", "--datasets", "mirflickr", "--repeats", "3",
                    "--mirflickr-classic-queries", "20", "--data-dir", str(args.data_dir), "--json", str(path)])
    rows = json.loads(path.read_text())
    rows = rows["results"] if isinstance(rows, dict) and "results" in rows else rows
    found = {}
    for row in rows:
        for label, timing in row["hashx"].items():
            found[f"eval {label} (s)"] = timing["median_s"]
    return found


def measure_bench(checkout: Path, out: Path, args) -> dict:
    folder = out / "bench"
    code = ("import sys; from hashx_cli.main import main; sys.argv = ['hashx'] + sys.argv[1:]; main()")
    wall = _run(checkout, ["-c", code, "bench", "--dataset", "synthetic", "--methods", "ssah", "--bits", "16",
                           "--seeds", "1", "--set", "epochs=1", "--out", str(folder)])
    records = json.loads((folder / "results.json").read_text())
    records = records["runs"] if isinstance(records, dict) and "runs" in records else records
    train = max(float(r["train_seconds"]) for r in records)
    return {"bench run minus training (s)": wall - train}


MEASURES = {"train": measure_train, "eval": measure_eval, "bench": measure_bench}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="checkout of the commit before the change")
    parser.add_argument("--after", type=Path, default=Path("."), help="checkout after the change")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--train-pairs", type=int, default=2000)
    parser.add_argument("--data-dir", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data",
                        help="folder holding mirflickr25k/ (the labels the evaluation benchmark uses)")
    parser.add_argument("--parts", nargs="+", choices=sorted(MEASURES), default=sorted(MEASURES))
    parser.add_argument("--json", type=Path, default=Path("bench-out") / "before_after.json")
    args = parser.parse_args(argv)
    checkouts = {"before": args.before.resolve(), "after": args.after.resolve()}
    times: dict[str, dict[str, list[float]]] = {"before": {}, "after": {}}
    for r in range(args.rounds):
        order = ("before", "after") if r % 2 == 0 else ("after", "before")
        for part in args.parts:
            for which in order:
                with tempfile.TemporaryDirectory() as tmp:
                    for key, value in MEASURES[part](checkouts[which], Path(tmp), args).items():
                        times[which].setdefault(key, []).append(float(value))
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    rows = {}
    for key in times["after"]:
        before, after = np.array(times["before"][key]), np.array(times["after"][key])
        rows[key] = {"before_median": float(np.median(before)), "after_median": float(np.median(after)),
                     "median_ratio_before_over_after": float(np.median(before / after)),
                     "before": before.tolist(), "after": after.tolist()}
    print(f"{'measurement':<40}{'before':>10}{'after':>10}{'before/after':>14}")
    for key, row in rows.items():
        print(f"{key:<40}{row['before_median']:>10.3f}{row['after_median']:>10.3f}"
              f"{row['median_ratio_before_over_after']:>14.2f}")
    meta = {"checkouts": {k: str(v) for k, v in checkouts.items()},
            "commits": {k: subprocess.run(["git", "rev-parse", "HEAD"], cwd=v, capture_output=True,
                                          text=True).stdout.strip() for k, v in checkouts.items()},
            "rounds": args.rounds, "machine": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
