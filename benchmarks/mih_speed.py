"""Speed of hashx.MultiIndexHammingIndex against hashx's linear scan and faiss IndexBinaryFlat.

Usage::

    python benchmarks/mih_speed.py                        # the issue-13 grid: 1M and 10M, 64 and 128 bits (~30 min)
    python benchmarks/mih_speed.py --quick                # 1M x 64, uniform codes, k = 10 (~2 min)
    python benchmarks/mih_speed.py --sizes 10000000 --bits 64 --kinds uniform --ks 10 --single 200
    python benchmarks/mih_speed.py --clock cpu            # one thread, CPU time: ratios on a busy machine

For every (code kind, N, nbits): the database and 1,000 queries (the code
generator of ``benchmarks/search_speed.py``: uniform random codes, the hard
case, and clustered codes ``sign(labels @ W + noise)`` as a trained model
makes them), then for every k:

* single queries (one ``search`` call per query, the median over
  ``--single`` queries; MIH and the scan take turns in 5 rounds of blocks
  of queries, each block after 10 untimed queries, so that a change in the
  machine's speed during the run, common on shared VMs, hits both alike, and
  the median over rounds of the ratio scan / MIH is reported beside the
  ratio of the medians; faiss runs after them, since its OpenMP threads
  spin on the cores for a while after each call) and a batch of ``--batch`` queries in one call (the
  median of ``--repeats`` runs after a warm-up), in ms per query, for
  ``MultiIndexHammingIndex`` (default ``m``), ``HammingIndex`` and faiss
  ``IndexBinaryFlat`` (its better mode of ``use_heap``), all with the same
  thread count;
* that MIH's distances and ids equal the linear scan's, for every query;
* how many queries MIH answered with its linear-scan fallback;
* the cost model's predicted speed-up (``predicted_speedup``) and what
  ``hashx.search.choose_index`` (``hashx search --index auto``) picks.

And per (kind, N, nbits): the table build time and the index's memory per
code (codes + tables).  Every time is measured side by side in one process;
on a shared machine compare the ratios, not the milliseconds.  The first line
says where it ran: CPU model, vector flags and numba's target.

Output: markdown tables on stdout and a JSON file (``--out``, default
``bench-out/mih_speed.json``) with the machine and every number.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as in search_speed.py

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_speed import describe_machine, machine, make_codes, single_latency, timed  # noqa: E402


def interleaved_latency(searches: dict, queries, count: int, rounds: int = 5, warmup: int = 10,
                        clock=time.perf_counter) -> dict:
    """Seconds of one ``search(one_query)`` call of every search, in alternating blocks of queries.

    The ``count`` queries are cut into ``rounds`` blocks; in each round every
    search answers the round's block, one query per call, the searches taking
    turns in a rotating order, so that a drift in the machine's speed, common
    on shared VMs, hits every search alike.  Each search runs a block back to
    back, as a server answering single queries would: a multi-index keeps its
    tables' offsets and page-table entries in cache from query to query, which
    a scan of the whole database evicts.  So before its block a search first
    answers ``warmup`` queries of the previous round's block, untimed.

    Returns
    -------
    dict
        name -> ndarray of shape (rounds, count // rounds), float64: each query's time, by round.
    """
    names = list(searches)
    per = max(1, count // rounds)
    blocks = [[queries[(r * per + i) % len(queries): (r * per + i) % len(queries) + 1] for i in range(per)]
              for r in range(rounds)]
    times = {name: np.empty((rounds, per)) for name in names}
    for r in range(rounds):
        for j in range(len(names)):
            name = names[(r + j) % len(names)]
            search = searches[name]
            for q in blocks[r - 1][:max(1, warmup)]:
                search(q)
            for i, q in enumerate(blocks[r]):
                t = clock()
                search(q)
                times[name][r, i] = clock() - t
    return times


class _FallbackCounter(logging.Handler):
    """Counts the queries MIH answered with its linear-scan fallback (from its debug log)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record):
        message = record.getMessage()
        if "scanned instead" in message:
            self.count += int(message.split(":", 1)[1].split(" of ")[0])


def run_case(kind, n, nbits, args, counter):
    import faiss

    from hashx import HammingIndex, MultiIndexHammingIndex
    from hashx.search import choose_index

    db = make_codes(kind, n, nbits, seed=n + nbits)
    queries = make_codes(kind, max(args.batch, args.single), nbits, seed=n + nbits + 1)
    scan = HammingIndex(nbits, threads=args.threads)
    scan.add(db)
    mih = MultiIndexHammingIndex(nbits, m=args.m, threads=args.threads)
    mih.add(db)
    t = time.perf_counter()
    mih.build()
    build_s = time.perf_counter() - t
    flat = faiss.IndexBinaryFlat(nbits)
    flat.add(db)
    faiss.omp_set_num_threads(args.threads)
    case = {"kind": kind, "n": n, "nbits": nbits, "threads": args.threads, "m": mih.num_tables,
            "build_s": build_s, "bytes_per_code": mih.nbytes / n, "table_bytes_per_code": (mih.nbytes - db.nbytes) / n,
            "ks": []}
    batch = queries[: args.batch]
    for k in args.ks:
        row = {"k": k, "auto_single": choose_index(n, nbits, k), "auto_batch": choose_index(n, nbits, k, nq=args.batch),
               "predicted_single": mih.predicted_speedup(k), "predicted_batch": mih.predicted_speedup(k, args.batch)}
        pick = 1 if args.clock == "wall" else 2  # timed() returns (result, wall, cpu)
        counter.count = 0
        out = timed(lambda: mih.search(batch, k), args.repeats)
        (D, I), row["mih_batch_s"] = out[0], out[pick]
        row["mih_batch_fallbacks"] = counter.count // (args.repeats + 1)
        out = timed(lambda: scan.search(batch, k), args.repeats)
        (D2, I2), row["scan_batch_s"] = out[0], out[pick]
        row["identical"] = bool(np.array_equal(D, D2) and np.array_equal(I, I2))
        faiss_times = {}
        for mode, heap in (("heap", True), ("count", False)):
            flat.use_heap = heap
            out = timed(lambda: flat.search(batch, k), args.repeats)
            faiss_times[mode] = out[pick]
            row["identical"] &= bool(np.array_equal(out[0][0], D))
        row["faiss_batch_s"] = min(faiss_times.values())
        flat.use_heap = faiss_times["heap"] <= faiss_times["count"]
        single = queries[: args.single]
        counter.count = 0
        clock = time.perf_counter if args.clock == "wall" else time.thread_time
        times = interleaved_latency({"mih": lambda q: mih.search(q, k), "scan": lambda q: scan.search(q, k)},
                                    single, args.single, clock=clock)
        row["mih_single_fallbacks"] = counter.count  # (the untimed warm-up calls count too)
        for name, t in times.items():
            row[f"{name}_single_s"] = float(np.median(t))
        # faiss last, on its own: its OpenMP runtime is not numba's, and its threads spin a while after each
        # call, on the cores the next search would use
        row["faiss_single_s"], _ = single_latency(lambda q: flat.search(q, k), single, args.single, clock)
        by_round = np.median(times["scan"], axis=1) / np.median(times["mih"], axis=1)
        row["single_round_ratios"] = [float(x) for x in by_round]
        row["single_paired_ratio"] = float(np.median(by_round))
        for q in range(0, args.single, max(1, args.single // 10)):  # identical one by one too
            a, b = mih.search(single[q:q + 1], k), scan.search(single[q:q + 1], k)
            row["identical"] &= bool(all(np.array_equal(x, y) for x, y in zip(a, b)))
        case["ks"].append(row)
        print(f"  {kind:9s} N={n:>11,} bits={nbits:3d} k={k:3d}: single mih {1e3 * row['mih_single_s']:.3f} / "
              f"scan {1e3 * row['scan_single_s']:.3f} / faiss {1e3 * row['faiss_single_s']:.3f} ms; batch "
              f"{1e3 * row['mih_batch_s'] / args.batch:.4f} / {1e3 * row['scan_batch_s'] / args.batch:.4f} / "
              f"{1e3 * row['faiss_batch_s'] / args.batch:.4f} ms/q; identical {row['identical']}", flush=True)
    return case


def table(cases, batch) -> str:
    lines = ["| kind | N | bits | m | build s | bytes/code | k | 1 query: MIH / scan / faiss ms | MIH vs scan "
             "(by round) | "
             f"batch of {batch}: MIH / scan / faiss ms/q | MIH vs scan | model (1 / batch) | fallbacks (1 / batch) | "
             "auto (1 / batch) | identical |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in cases:
        for r in c["ks"]:
            lines.append(
                f"| {c['kind']} | {c['n']:,} | {c['nbits']} | {c['m']} | {c['build_s']:.1f} | "
                f"{c['bytes_per_code']:.0f} | {r['k']} | {1e3 * r['mih_single_s']:.3f} / {1e3 * r['scan_single_s']:.3f} / "
                f"{1e3 * r['faiss_single_s']:.3f} | {r['scan_single_s'] / r['mih_single_s']:.1f}x "
                f"({r['single_paired_ratio']:.1f}x) | "
                f"{1e3 * r['mih_batch_s'] / batch:.4f} / {1e3 * r['scan_batch_s'] / batch:.4f} / "
                f"{1e3 * r['faiss_batch_s'] / batch:.4f} | {r['scan_batch_s'] / r['mih_batch_s']:.1f}x | "
                f"{r['predicted_single']:.1f}x / {r['predicted_batch']:.1f}x | {r['mih_single_fallbacks']} / "
                f"{r['mih_batch_fallbacks']} | {r['auto_single']} / {r['auto_batch']} | "
                f"{'yes' if r['identical'] else '**NO**'} |")
    return "\n".join(lines)


def growth(cases) -> list[str]:
    """How MIH's and the scan's single-query times grow from the smallest N to the largest."""
    out = []
    keyed = {(c["kind"], c["nbits"], r["k"], c["n"]): r for c in cases for r in c["ks"]}
    sizes = sorted({c["n"] for c in cases})
    if len(sizes) < 2:
        return out
    a, z = sizes[0], sizes[-1]
    for kind, nbits, k in sorted({(c["kind"], c["nbits"], r["k"]) for c in cases for r in c["ks"]}):
        if (kind, nbits, k, a) in keyed and (kind, nbits, k, z) in keyed:
            ra, rz = keyed[(kind, nbits, k, a)], keyed[(kind, nbits, k, z)]
            out.append(f"{kind} {nbits}-bit k={k}: N x{z / a:.0f} -> single query MIH x"
                       f"{rz['mih_single_s'] / ra['mih_single_s']:.1f}, scan x{rz['scan_single_s'] / ra['scan_single_s']:.1f}")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="1M x 64 uniform codes, k = 10, 1 repeat")
    p.add_argument("--sizes", type=int, nargs="+", default=None, help="database sizes (default 1M 10M)")
    p.add_argument("--bits", type=int, nargs="+", default=None, help="code lengths (default 64 128)")
    p.add_argument("--ks", type=int, nargs="+", default=None, help="neighbours per query (default 1 10 100)")
    p.add_argument("--kinds", nargs="+", default=None, choices=["uniform", "clustered"])
    p.add_argument("--m", type=int, default=None, help="tables of the multi-index (default: its own choice)")
    p.add_argument("--threads", type=int, default=2, help="threads for every index (default 2)")
    p.add_argument("--batch", type=int, default=1000, help="queries per batch call (default 1000)")
    p.add_argument("--single", type=int, default=None, help="single-query calls timed per case (default 100)")
    p.add_argument("--repeats", type=int, default=None, help="timed batch runs, median reported (default 3)")
    p.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                   help="wall: elapsed time (default; needs a quiet machine); cpu: CPU time of one thread, with "
                        "--threads 1 and OMP_WAIT_POLICY=PASSIVE forced, for ratios on a machine shared with "
                        "other work (memory-bandwidth contention still inflates them)")
    p.add_argument("--out", type=Path, default=Path("bench-out/mih_speed.json"), help="JSON output path")
    args = p.parse_args(argv)
    if args.clock == "cpu":
        if "numba" in sys.modules or "faiss" in sys.modules:
            raise SystemExit("--clock cpu must be set before numba and faiss are imported")
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"  # no spinning thread's time in the process's CPU time
        args.threads = 1
    quick = args.quick
    args.sizes = args.sizes or ([1_000_000] if quick else [1_000_000, 10_000_000])
    args.bits = args.bits or ([64] if quick else [64, 128])
    args.ks = args.ks or ([10] if quick else [1, 10, 100])
    args.kinds = args.kinds or (["uniform"] if quick else ["uniform", "clustered"])
    args.single = args.single or (30 if quick else 100)
    args.repeats = args.repeats or (1 if quick else 3)

    info = machine()
    print(describe_machine(info))
    print(f"numba {info['numba']}, faiss {info['faiss']}, {args.threads} threads for every index, "
          f"OMP_WAIT_POLICY {info['omp_wait_policy']}, load average "
          f"{tuple(round(x, 2) for x in info['load_average_at_start'] or ())}")
    counter = _FallbackCounter()
    log = logging.getLogger("hashx.search.multi_index")
    log.setLevel(logging.DEBUG)
    log.addHandler(counter)
    cases = []
    for kind in args.kinds:
        for n in args.sizes:
            for nbits in args.bits:
                cases.append(run_case(kind, n, nbits, args, counter))
    print()
    print(f"Clock: {args.clock}. Single queries: median of {args.single} one-query calls, MIH and the scan "
          "taking turns in 5 rounds of blocks of queries (10 untimed first); batch: "
          f"{args.batch} queries in one call, median of {args.repeats} runs. MIH vs scan = scan time / MIH time "
          "(same threads; in brackets the median over the 5 rounds of each round's ratio); model = the cost "
          "model's predicted speed-up for uniform codes; fallbacks = queries MIH answered by its linear scan; "
          "auto = what choose_index picks.")
    print()
    print(table(cases, args.batch))
    lines = growth(cases)
    if lines:
        print()
        print("Growth with N:")
        for line in lines:
            print("  " + line)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    from hashx._atomic import atomic_write

    with atomic_write(args.out, "w") as f:
        json.dump({"machine": info, "settings": {k: (str(v) if isinstance(v, Path) else v)
                                                 for k, v in vars(args).items()},
                   "seeds": "database seed n + nbits, queries n + nbits + 1 (see search_speed.make_codes)",
                   "cases": cases, "growth": lines}, f, indent=2)
    print(f"\nwrote {args.out}")
    return 0 if all(r["identical"] for c in cases for r in c["ks"]) else 1


if __name__ == "__main__":
    sys.exit(main())
