"""The long run of the hostile-input corpus: >= 10,000 inputs per hashx file reader (issue 15).

For every reader family of ``tests/hostile`` (code files, checkpoints, split files, results.json,
settings files, generic .npz / .h5 dense and CSR, MATLAB v5 and v7.3, label files), the inputs are
the family's valid seeds, its hand-written hostile cases, then seeded random damage of the seeds
(truncations, bit flips, overwritten / inserted / deleted / repeated bytes, integer fields set to
extreme values, damaged ``.npy`` members re-zipped with valid CRCs) until ``--inputs`` inputs.

Each input is judged in a worker process (``tests/hostile.judge``: the hashx reader against an
independent reference reading), so that a hard crash (a signal such as SIGSEGV, exit 139) or a hang
(no answer within ``--timeout`` seconds) is counted instead of ending the run; the worker is then
restarted.  Printed table: inputs tried, clear errors, accepted-correct, unclear errors (a hashx
error not naming the file), crashes (a traceback, a MemoryError or a signal), silent wrong answers,
hangs; the JSON adds one example detail per kind of failure.

    python benchmarks/fuzz_readers.py --inputs 10000 --seed 0 --json bench-out/fuzz_readers.json
    PYTHONPATH=/path/to/old/checkout:/path/to/old/checkout/cli python benchmarks/fuzz_readers.py ...  # "before"

The hashx under test is whichever ``import hashx`` finds (the worker inherits the environment).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import random
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from _machine import cpu_model  # noqa: E402  (benchmarks/ is on sys.path when a script runs)

TESTS = Path(__file__).resolve().parents[1] / "tests"
COLUMNS = ("clear_error", "accepted_correct", "unclear_error", "crash", "silent_wrong", "hang")


# -- the worker: judges one input per line of stdin ----------------------------------------------
def worker() -> None:
    import warnings

    sys.path.insert(0, str(TESTS))
    warnings.simplefilter("ignore")
    from hostile import FAMILIES, judge

    _fallbacks(FAMILIES)
    print("ready", flush=True)
    for line in sys.stdin:
        job = json.loads(line)
        outcome, detail = judge(FAMILIES[job["family"]], Path(job["folder"]))
        print(json.dumps({"outcome": outcome, "detail": detail[:300]}), flush=True)


def _fallbacks(families) -> None:
    """For a hashx without read_label_files (before issue 15): the labels families use what `hashx eval`
    did then, one read_modality call per file."""
    import hashx.data

    if hasattr(hashx.data, "read_label_files"):
        return

    def old_eval_labels(folder):
        return (hashx.data.read_modality(folder / "query.npy", "labels", allow_unlabeled=True),
                hashx.data.read_modality(folder / "database.npz", "labels", allow_unlabeled=True))

    for name in ("labels", "labels.npz"):
        families[name].read = old_eval_labels


class Worker:
    def __init__(self):
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen([sys.executable, __file__, "--worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
        assert self.proc.stdout.readline().strip() == "ready", "the worker did not start"

    def judge(self, family: str, folder: Path, timeout: float) -> tuple[str, str]:
        self.proc.stdin.write(json.dumps({"family": family, "folder": str(folder)}) + "\n")
        self.proc.stdin.flush()
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            self.proc.kill()
            self.proc.wait()
            self.start()
            return "hang", f"no answer within {timeout} s"
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait()
            self.start()
            return "crash", f"the process died (exit {code})"
        answer = json.loads(line)
        return answer["outcome"], answer["detail"]

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


# -- the run -------------------------------------------------------------------------------------
def inputs(fam, n: int, seed: int):
    """Yield (kind, label, files): the seeds, the hostile cases, then damaged seeds, ``n`` in all (at least
    the seeds and hostile cases)."""
    seeds = fam.seeds()
    fixed = [("seed", f"seed {i}", files) for i, files in enumerate(seeds)]
    fixed += [("hostile", label, files) for label, files in fam.hostile()]
    yield from fixed
    rng = random.Random(f"{fam.name}:{seed}")
    for i in range(len(fixed), n):
        files = rng.choice(seeds)
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            files = fam.mutate(files, rng)
        yield "mutation", f"mutation {i}", files


def machine() -> str:
    return f"{cpu_model()}, {os.cpu_count()} cores"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--inputs", type=int, default=10_000, help="inputs per reader family (default 10,000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random damage")
    p.add_argument("--families", default=None, help="comma-separated subset (default: all)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds before an input counts as a hang")
    p.add_argument("--json", default=None, help="write the counts and examples here")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker()

    sys.path.insert(0, str(TESTS))
    import hashx
    from hostile import FAMILIES, write_input

    names = args.families.split(",") if args.families else sorted(FAMILIES)
    results, started = {}, time.time()
    work = Path(tempfile.mkdtemp(prefix="hashx-fuzz-"))
    runner = Worker()
    try:
        for name in names:
            counts, examples, t0 = collections.Counter(), {}, time.time()
            for i, (kind, label, files) in enumerate(inputs(FAMILIES[name], args.inputs, args.seed)):
                folder = write_input(work / f"{name}-{i}", files)
                outcome, detail = runner.judge(name, folder, args.timeout)
                counts[outcome] += 1
                if outcome not in ("clear_error", "accepted_correct"):
                    examples.setdefault(f"{outcome}: {detail[:80]}", f"{kind} [{label}]: {detail}")
                shutil.rmtree(folder, ignore_errors=True)
            results[name] = {"counts": {c: counts.get(c, 0) for c in COLUMNS}, "inputs": sum(counts.values()),
                             "seconds": round(time.time() - t0, 1), "examples": examples}
            print(f"{name}: {results[name]['inputs']} inputs, {dict(counts)}, {results[name]['seconds']} s",
                  file=sys.stderr, flush=True)
            if args.json:  # after every family, so a long run that stops early keeps what it measured
                _write(args.json, {"meta": _meta(hashx, args, started), "results": results})
    finally:
        runner.close()
        shutil.rmtree(work, ignore_errors=True)

    header = "| reader | inputs | clear errors | accepted, correct | unclear errors | crashes | silent wrong | hangs |"
    print(header)
    print("|" + "---|" * 8)
    total = collections.Counter()
    for name, r in results.items():
        c = r["counts"]
        total.update(c)
        total["inputs"] += r["inputs"]
        print(f"| {name} | {r['inputs']:,} | " + " | ".join(f"{c[k]:,}" for k in COLUMNS) + " |")
    print(f"| **all** | {total['inputs']:,} | " + " | ".join(f"{total[k]:,}" for k in COLUMNS) + " |")
    meta = _meta(hashx, args, started)
    print(f"\n{meta}")
    if args.json:
        _write(args.json, {"meta": meta, "results": results})


def _meta(hashx, args, started) -> dict:
    return {"hashx_version": hashx.__version__, "hashx_path": str(Path(hashx.__file__).parent), "machine": machine(),
            "python": platform.python_version(), "date": time.strftime("%Y-%m-%d"), "seed": args.seed,
            "inputs_per_reader": args.inputs, "timeout_s": args.timeout, "seconds": round(time.time() - started)}


def _write(path, payload) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(payload, indent=1))


if __name__ == "__main__":
    main()
