"""Start-up overhead of `hashx search` on a 1M-code database (issue 6, acceptance 4).

Runs the real command (`python -m hashx search ...`, a fresh process each time)
and compares its wall time with the time the search itself takes inside an
already warm process.  The difference is the command's overhead: Python
start-up, imports (no torch on this path: checked), opening and checksumming
the code files, loading the cached numba kernels, printing.

    python benchmarks/cli_overhead.py --n 1000000 --queries 10 --repeats 7 --json bench-out/cli_overhead.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import hashx
from hashx.codefile import load_codes, save_codes


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1_000_000, help="database codes")
    p.add_argument("--nbits", type=int, default=64)
    p.add_argument("--queries", type=int, default=10)
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        db_path, q_path = Path(tmp) / "db.hxc", Path(tmp) / "q.hxc"
        save_codes(db_path, rng.integers(0, 256, (args.n, args.nbits // 8), dtype=np.uint8), args.nbits)
        save_codes(q_path, rng.integers(0, 256, (args.queries, args.nbits // 8), dtype=np.uint8), args.nbits)
        cmd = [sys.executable, "-m", "hashx", "search", "--database", str(db_path), "--queries", str(q_path),
               "-k", str(args.k)]
        subprocess.run(cmd, check=True, capture_output=True)  # warm the numba cache and the page cache

        walls = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            walls.append(time.perf_counter() - t0)

        probe = ("import sys; from hashx_cli.main import main\n"
                 "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
                 "print('TORCH_IMPORTED' if 'torch' in sys.modules else 'NO_TORCH', file=sys.stderr)")
        out = subprocess.run([sys.executable, "-c", probe] + cmd[3:], check=True, capture_output=True, text=True)
        torch_imported = "TORCH_IMPORTED" in out.stderr

        t0 = time.perf_counter()
        start = subprocess.run([sys.executable, "-c", "pass"], check=True)
        python_start = time.perf_counter() - t0
        del start

        index = hashx.HammingIndex.load(db_path)
        queries = load_codes(q_path).codes
        index.search(queries, args.k)
        searches = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            index.search(queries, args.k)
            searches.append(time.perf_counter() - t0)

    wall, search = statistics.median(walls), statistics.median(searches)
    result = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "n": args.n, "nbits": args.nbits, "queries": args.queries, "k": args.k, "repeats": args.repeats,
        "command_wall_s": wall, "search_in_process_s": search, "overhead_s": wall - search,
        "bare_python_start_s": python_start, "torch_imported": torch_imported,
    }
    print(f"hashx search, {args.n:,} x {args.nbits}-bit codes, {args.queries} queries, k={args.k} "
          f"(median of {args.repeats}):")
    print(f"  command wall time      {wall * 1e3:8.1f} ms")
    print(f"  search in a warm process {search * 1e3:6.1f} ms")
    print(f"  overhead               {(wall - search) * 1e3:8.1f} ms  (bare `python -c pass`: {python_start * 1e3:.0f} ms)")
    print(f"  torch imported         {torch_imported}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
