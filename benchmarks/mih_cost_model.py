"""Calibrate the multi-index cost model (``hashx.search._mih_cost``) on this machine.

Usage::

    python benchmarks/mih_cost_model.py                      # 1M and 10M, 64 and 128 bits (~10 min quiet)
    python benchmarks/mih_cost_model.py --cases 1000000:64 --out bench-out/mih_cost.json

For every case (N codes of ``nbits`` bits, uniform random: the model's
case) and every k in 1, 10, 100: the CPU time per single query of the
linear scan (``HammingIndex``) and of ``MultiIndexHammingIndex`` with each
``m`` near the model's choice (budget lifted, so no query falls back to the
scan), one thread, median of ``--rounds`` rounds.  Then:

* for each candidate ``PROBE_UNITS``, the *regret* of the ``m`` the model
  would pick (its measured time over the best measured ``m``'s), per case:
  the constant is chosen where the regret is least;
* with the current ``PROBE_UNITS``, the implied ``MIH_UNIT_COST`` per case
  (MIH's time per unit of work over the scan's time per code), and the
  model's predicted speed-up against the measured one.

CPU time of the calling thread (numba runs the kernels in it at one thread),
so the ratios hold on a machine with other work on it, though memory
contention still inflates both sides.  The first line says where it ran.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_speed import describe_machine, machine, make_codes  # noqa: E402

CANDIDATE_PROBE_UNITS = (25, 40, 60, 80, 100, 150, 200, 400)


def step_counts(n: int, nbits: int, m: int, k: int) -> tuple[float, float]:
    """(probes, candidates) the model expects for one query (uniform codes)."""
    from hashx.search._mih_cost import kth_distance
    from hashx.search._mih_tables import substring_lengths

    lengths = substring_lengths(nbits, m)
    target = kth_distance(n, nbits, k)
    probes = candidates = 0.0
    r = 0
    while True:
        for j, s in enumerate(lengths):
            if r <= s:
                probes += math.comb(s, r)
                candidates += math.comb(s, r) * n / 2**s
            if m * r + j >= target:
                return probes, candidates
        r += 1


def units(n: int, nbits: int, m: int, k: int, probe_units: float) -> float:
    from hashx.search._mih_cost import code_units

    probes, candidates = step_counts(n, nbits, m, k)
    return probes * probe_units + candidates * code_units(nbits)


def cpu_ms_per_query(index, queries: np.ndarray, k: int, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.thread_time()
        for i in range(len(queries)):
            index.search(queries[i:i + 1], k)
        times.append((time.thread_time() - start) / len(queries) * 1e3)
    return float(np.median(times))


def measure(n: int, nbits: int, ms, ks, queries: int, rounds: int) -> list:
    import hashx

    db = make_codes("uniform", n, nbits, n + nbits)
    qs = make_codes("uniform", queries, nbits, n + nbits + 1)
    rows = []
    scan = hashx.HammingIndex(nbits, threads=1)
    scan.add(db)
    for k in ks:
        scan.search(qs[:2], k)
        rows.append({"n": n, "nbits": nbits, "m": 0, "k": k, "ms": cpu_ms_per_query(scan, qs, k, rounds)})
        print(json.dumps(rows[-1]), flush=True)
    for m in ms:
        index = hashx.MultiIndexHammingIndex(nbits, m=m, threads=1)
        index.add(db)
        index._budget_scale = math.inf  # measure MIH itself: no query falls back to the scan
        index.build()
        for k in ks:
            index.search(qs[:2], k)
            probes, candidates = step_counts(n, nbits, m, k)
            few = qs if probes < 50_000 else qs[: max(10, len(qs) // 4)]  # the slowest m are sampled less
            rows.append({"n": n, "nbits": nbits, "m": m, "k": k, "ms": cpu_ms_per_query(index, few, k, rounds),
                         "probes": probes, "candidates": candidates})
            print(json.dumps(rows[-1]), flush=True)
    return rows


def report(rows: list) -> list:
    from hashx.search._mih_cost import (CACHED_SCAN_BYTES, CACHED_SCAN_FACTOR, MIH_UNIT_COST, default_m,
                                        predicted_speedup)
    from hashx.search._mih_search import PROBE_UNITS
    from hashx.search._words import row_bytes

    ms_of = {(r["n"], r["nbits"], r["m"], r["k"]): r["ms"] for r in rows}
    cases = sorted({(r["n"], r["nbits"], r["k"]) for r in rows})
    lines = ["## Regret of the model's m, per PROBE_UNITS", "",
             "The measured time of the m the model picks over the best measured m (1.00: it picks the best).", "",
             "| PROBE_UNITS | max | mean | " + " | ".join(f"{n:.0e} x {b} k={k}" for n, b, k in cases) + " |",
             "|" + "---|" * (3 + len(cases))]
    for pu in CANDIDATE_PROBE_UNITS:
        regrets = []
        for n, nbits, k in cases:
            tried = [m for (nn, b, m, kk) in ms_of if (nn, b, kk) == (n, nbits, k) and m > 0]
            pick = min(tried, key=lambda m: (units(n, nbits, m, k, pu), m))
            regrets.append(ms_of[n, nbits, pick, k] / min(ms_of[n, nbits, m, k] for m in tried))
        lines.append(f"| {pu} | {max(regrets):.2f} | {np.mean(regrets):.3f} | "
                     + " | ".join(f"{x:.2f}" for x in regrets) + " |")
    lines += ["", f"## With PROBE_UNITS = {PROBE_UNITS:g} and MIH_UNIT_COST = {MIH_UNIT_COST:g}", "",
              "| N | bits | k | scan ms | best m | its ms | default m | measured speed-up (default m) | "
              "predicted | implied MIH_UNIT_COST |", "|" + "---|" * 10]
    for n, nbits, k in cases:
        scan = ms_of[n, nbits, 0, k]
        tried = [m for (nn, b, m, kk) in ms_of if (nn, b, kk) == (n, nbits, k) and m > 0]
        best = min(tried, key=lambda m: ms_of[n, nbits, m, k])
        dm = default_m(n, nbits)
        cached = CACHED_SCAN_FACTOR if n * row_bytes(nbits) <= CACHED_SCAN_BYTES else 1.0
        per_scan_unit = scan / (n * row_bytes(nbits) / 8 * cached)
        implied = ms_of[n, nbits, best, k] / units(n, nbits, best, k, PROBE_UNITS) / per_scan_unit
        measured = f"{scan / ms_of[n, nbits, dm, k]:.2f}x" if (n, nbits, dm, k) in ms_of else "(m not measured)"
        predicted = predicted_speedup(n, nbits, dm, k)
        lines.append(f"| {n:,} | {nbits} | {k} | {scan:.3f} | {best} | {ms_of[n, nbits, best, k]:.3f} | {dm} | "
                     f"{measured} | {predicted:.2f}x | {implied:.2f} |")
    return lines


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cases", nargs="+", default=["1000000:64", "10000000:64", "1000000:128", "10000000:128"],
                   help="N:NBITS pairs")
    p.add_argument("--spread", type=int, default=2, help="m from the model's choice minus this to plus this")
    p.add_argument("--queries", type=int, default=100, help="single queries timed per round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--out", default="bench-out/mih_cost_model.json")
    args = p.parse_args(argv)
    from hashx.search._mih_cost import default_m, m_range

    info = machine()
    print(describe_machine(info), flush=True)
    rows = []
    for case in args.cases:
        n, nbits = (int(x) for x in case.split(":"))
        centre = default_m(n, nbits)
        ms = [m for m in range(centre - args.spread, centre + args.spread + 1) if m in m_range(nbits)]
        rows += measure(n, nbits, ms, (1, 10, 100), args.queries, args.rounds)
    lines = report(rows)
    print("\n".join(lines))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"machine": info, "command": " ".join([sys.executable, *sys.argv]),
                                          "date": time.strftime("%Y-%m-%d"), "rows": rows}, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
