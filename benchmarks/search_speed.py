"""Speed of hashx.HammingIndex against faiss IndexBinaryFlat, side by side in one process.

Usage::

    python benchmarks/search_speed.py                     # full grid (takes a while at 10M)
    python benchmarks/search_speed.py --quick             # 100k and 1M, 64 bits, 2 threads
    python benchmarks/search_speed.py --sizes 1000000 10000000 --bits 64 --threads 2 --repeats 5
    python benchmarks/search_speed.py --index mih         # the same grid with MultiIndexHammingIndex

For every (code kind, N, nbits, threads): Q queries (default 1000), k = 100,
exact top-k with hashx and with faiss ``IndexBinaryFlat`` in both of its modes
(``use_heap = True``: a heap per query; ``False``: its counting selection), all
at the same thread count (``faiss.omp_set_num_threads`` / ``threads=``).  Each
time is the median of ``--repeats`` runs after a warm-up call; the ratio is
faiss's better mode over hashx.  Every case checks that hashx and faiss return
identical distances (ids may differ only within ties: faiss does not order ties
by id).  Then the single-query latency (median over ``--single`` queries, one
``search`` call each) and, at 1M x 64 bits, the time per query of a full
ranking (``HammingIndex.rank``, with fresh arrays per chunk and with
``reuse=True``).

Code kinds: ``uniform`` random bytes, and ``clustered`` codes
``sign(labels @ W + noise)`` (24 labels, Gaussian ``W``), which hold many equal
codes and hence many ties, like the codes of a trained hashing model.  The
database and the queries share ``W`` (one hash function), so a query lands among
the database codes of its labels, as a real query does.

numpy's OpenBLAS is limited to one thread (``OPENBLAS_NUM_THREADS=1`` unless
set): its threads busy-wait for a while after the ``labels @ W`` product that
generates clustered codes and would otherwise take a core from the timed
searches that follow (neither hashx nor faiss's binary index uses BLAS).

Before anything else the script measures the machine's read bandwidth (the
median of several ``numpy.sum`` over a 1 GiB int64 array; numpy sums on one
thread) and, for comparison, a multi-threaded numba read at each thread count.
Each case prints its bytes / bandwidth bound: the time it takes to read the
database once (plus, for the full ranking, to write the ranking).

Every run first prints where it was measured: the CPU model, the vector
flags that decide how the scan is vectorised (AVX2, AVX-512 F/BW/VL,
VPOPCNTDQ, BITALG), numba's compile target (``NUMBA_CPU_NAME`` or the host)
and whether hashx asked LLVM for 512-bit vectors (on CPUs with VPOPCNTDQ, see
``hashx/search/_target.py``).

Output: a markdown table on stdout and a JSON file (``--out``, default
``bench-out/search_speed.json``) with the machine, the bandwidths and every
measured time.  On a shared machine the numbers are noisy: compare ratios
taken in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

# before numpy loads OpenBLAS (see the module docstring)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from _machine import cpu_id, cpu_model  # noqa: E402  (benchmarks/ is on sys.path when a script runs)

K = 100
TARGETS = {
    "batch_ratio_min": 3.0,          # hashx >= 3x faster than faiss's better mode (1M and 10M x 64, 2 threads)
    "single_over_bound_max": 1.5,    # single query at 10M x 64 within 1.5x of bytes / bandwidth
    "rank_ms_per_query_max": 2.0,    # full ranking at 1M x 64, 2 threads
}


# ------------------------------------------------------------------ machine
def machine() -> dict:
    model = cpu_model()
    import faiss
    import numba

    from hashx.search._target import compile_target

    return {
        "cpu": model,
        "cpu_id": cpu_id(),
        "cpu_vector_flags": cpu_vector_flags(),
        "numba_target": compile_target(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "numba_threads": numba.config.NUMBA_NUM_THREADS,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "faiss": faiss.__version__,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "unset"),
        "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


#: /proc/cpuinfo flags that decide how the scan is vectorised.
VECTOR_FLAGS = ("avx2", "avx512f", "avx512bw", "avx512vl", "avx512_vpopcntdq", "avx512_bitalg")


def cpu_vector_flags() -> list[str]:
    """The VECTOR_FLAGS this CPU reports (empty when /proc/cpuinfo is unavailable)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                return [f for f in VECTOR_FLAGS if f in flags]
    except OSError:
        pass
    return []


def describe_machine(info: dict) -> str:
    """One line: CPU model, its vector flags and what numba compiles for (printed above every table)."""
    target = info["numba_target"]
    ident = f"{info['cpu_id']}, " if info.get("cpu_id") else ""
    return (f"CPU: {info['cpu']} ({ident}{info['usable_cpus']} usable CPUs), flags {' '.join(info['cpu_vector_flags']) or '-'}; "
            f"numba target {target['cpu']} ({target['cpu_source']}), "
            f"{'512' if target['wide_vectors'] else 'LLVM-default'}-bit scan vectors"
            f"{'' if target['wide_vectors'] or not target.get('wide_pairs') else ' (512-bit for 2-word codes)'}"
            f"{' (2-word codes: explicit 256-bit lane form)' if target.get('lane_pairs') else ''}")


def read_bandwidth(threads_list, repeats=5) -> dict:
    """Bytes per second read by numpy.sum (1 thread) and by a numba parallel sum (per thread count)."""
    import numba
    from numba import njit, prange

    @njit(parallel=True, cache=False)
    def _psum(x):
        s = 0
        for i in prange(x.shape[0]):
            s += x[i]
        return s

    x = np.ones(1 << 27, dtype=np.int64)  # 1 GiB
    x.sum()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        x.sum()
        times.append(time.perf_counter() - t)
    out = {"numpy_sum": x.nbytes / float(np.median(times))}
    previous = numba.get_num_threads()
    for threads in threads_list:
        numba.set_num_threads(threads)
        _psum(x)
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            _psum(x)
            times.append(time.perf_counter() - t)
        out[f"numba_{threads}_threads"] = x.nbytes / float(np.median(times))
    numba.set_num_threads(previous)
    del x
    return out


# -------------------------------------------------------------------- codes
def make_codes(kind: str, n: int, nbits: int, seed: int) -> np.ndarray:
    """``n`` packed codes; clustered codes of one ``nbits`` share ``W`` whatever the seed."""
    rng = np.random.default_rng(seed)
    if kind == "uniform":
        return rng.integers(0, 256, size=(n, nbits // 8), dtype=np.uint8)
    W = np.random.default_rng(nbits).standard_normal((24, nbits)).astype(np.float32)
    out = np.empty((n, nbits // 8), dtype=np.uint8)
    for a in range(0, n, 1 << 20):  # chunks keep the float intermediate small
        z = min(n, a + (1 << 20))
        labels = (rng.random((z - a, 24)) < 0.15).astype(np.float32)
        noise = rng.standard_normal((z - a, nbits), dtype=np.float32)
        out[a:z] = np.packbits(labels @ W + 0.5 * noise >= 0, axis=1)
    return out


def timed(fn, repeats: int):
    """Median wall and CPU (all threads) seconds of ``fn()`` over ``repeats`` runs, after a warm-up."""
    result = fn()
    walls, cpus = [], []
    for _ in range(repeats):
        c, t = time.process_time(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return result, float(np.median(walls)), float(np.median(cpus))


def single_latency(search, queries, count, clock=time.perf_counter):
    """Median seconds (of ``clock``: wall by default) of one ``search(one_query)`` call, over ``count`` queries."""
    search(queries[:1])
    times = []
    for i in range(count):
        t = clock()
        search(queries[i % len(queries): i % len(queries) + 1])
        times.append(clock() - t)
    return float(np.median(times)), float(np.percentile(times, 10))


# ----------------------------------------------------------------- the runs
def run_case(kind, n, nbits, threads, args, bandwidth):
    import faiss

    from hashx import HammingIndex, MultiIndexHammingIndex

    db = make_codes(kind, n, nbits, seed=n + nbits)
    queries = make_codes(kind, args.queries, nbits, seed=n + nbits + 1)
    index = {"exact": HammingIndex, "mih": MultiIndexHammingIndex}[args.index](nbits, threads=threads)
    index.add(db)
    build = time.perf_counter()
    if args.index == "mih":
        index.build()
    build = time.perf_counter() - build
    flat = faiss.IndexBinaryFlat(nbits)
    flat.add(db)
    faiss.omp_set_num_threads(threads)

    (D, I), t_hashx, c_hashx = timed(lambda: index.search(queries, K), args.repeats)
    row = {"kind": kind, "n": n, "nbits": nbits, "threads": threads, "queries": args.queries, "k": K,
           "index": args.index, "build_s": build, "db_bytes": int(db.nbytes), "hashx_s": t_hashx,
           "hashx_cpu_s": c_hashx}
    same = True
    for mode, heap in (("faiss_heap", True), ("faiss_count", False)):
        flat.use_heap = heap
        (fd, fi), t, c = timed(lambda: flat.search(queries, K), args.repeats)
        row[f"{mode}_s"], row[f"{mode}_cpu_s"] = t, c
        same &= bool(np.array_equal(fd, D))
    row["distances_identical"] = same
    best = min(row["faiss_heap_s"], row["faiss_count_s"])
    row["ratio"] = best / t_hashx
    row["cpu_ratio"] = min(row["faiss_heap_cpu_s"], row["faiss_count_cpu_s"]) / c_hashx
    row["bound_s"] = db.nbytes / bandwidth["numpy_sum"]

    if args.single:
        row["single_hashx_s"], row["single_hashx_p10_s"] = single_latency(lambda q: index.search(q, K), queries,
                                                                          args.single)
        flat.use_heap = row["faiss_heap_s"] <= row["faiss_count_s"]
        row["single_faiss_s"], _ = single_latency(lambda q: flat.search(q, K), queries, args.single)
        row["single_bound_numpy_s"] = db.nbytes / bandwidth["numpy_sum"]
        row["single_bound_threads_s"] = db.nbytes / bandwidth[f"numba_{threads}_threads"]

    if args.rank and n == 1_000_000 and nbits == 64 and args.index == "exact":
        rank_q = queries[: args.rank]
        _, t, c = timed(lambda: [None for _ in index.rank(rank_q)], max(1, args.repeats // 2))
        row["rank_ms_per_query"] = 1e3 * t / len(rank_q)
        row["rank_cpu_ms_per_query"] = 1e3 * c / len(rank_q)
        # the same with reuse=True: chunks refill the same arrays (no fresh pages to fault in)
        _, t, c = timed(lambda: [None for _ in index.rank(rank_q, reuse=True)], max(1, args.repeats // 2))
        row["rank_reuse_ms_per_query"] = 1e3 * t / len(rank_q)
        row["rank_reuse_cpu_ms_per_query"] = 1e3 * c / len(rank_q)
        # read the database once and write D (2 bytes) + I (8 bytes) per code
        row["rank_bound_ms_per_query"] = 1e3 * (db.nbytes + 10 * n) / bandwidth["numpy_sum"]
    return row


def fmt_ms(s):
    return "-" if s is None else f"{1e3 * s:.2f}"


def table(rows) -> str:
    lines = ["| kind | N | bits | thr | hashx ms | faiss heap ms | faiss count ms | ratio | cpu ratio | D equal |"
             " bound ms | 1q hashx ms | 1q faiss ms | 1q bound ms (numpy / numba) | rank ms/q (fresh / reuse) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        rank = (f"{r['rank_ms_per_query']:.2f} / {r['rank_reuse_ms_per_query']:.2f}"
                if "rank_ms_per_query" in r else "-")
        lines.append(
            f"| {r['kind']} | {r['n']:,} | {r['nbits']} | {r['threads']} | {fmt_ms(r['hashx_s'])} | "
            f"{fmt_ms(r['faiss_heap_s'])} | {fmt_ms(r['faiss_count_s'])} | {r['ratio']:.2f} | "
            f"{r['cpu_ratio']:.2f} | {'yes' if r['distances_identical'] else '**NO**'} | "
            f"{fmt_ms(r['bound_s'])} | {fmt_ms(r.get('single_hashx_s'))} | {fmt_ms(r.get('single_faiss_s'))} | "
            f"{fmt_ms(r.get('single_bound_numpy_s'))} / {fmt_ms(r.get('single_bound_threads_s'))} | {rank} |")
    return "\n".join(lines)


def verdicts(rows) -> list[str]:
    out = []
    for r in rows:
        if r["nbits"] != 64 or r["threads"] != 2:
            continue
        where = f"{r['kind']} {r['n']:,} x 64, 2 threads"
        if r["n"] in (1_000_000, 10_000_000):
            ok = r["ratio"] >= TARGETS["batch_ratio_min"]
            out.append(f"batch {where}: faiss_best / hashx = {r['ratio']:.2f} (target >= 3): "
                       f"{'met' if ok else 'MISSED'}")
        if r["n"] == 10_000_000 and "single_hashx_s" in r:
            x = r["single_hashx_s"] / r["single_bound_numpy_s"]
            ok = x <= TARGETS["single_over_bound_max"]
            out.append(f"single query {where}: {fmt_ms(r['single_hashx_s'])} ms = {x:.2f}x the numpy-bandwidth "
                       f"bound ({r['single_hashx_s'] / r['single_bound_threads_s']:.2f}x the {r['threads']}-thread "
                       f"bound) (target <= 1.5x): {'met' if ok else 'MISSED'}")
        if "rank_ms_per_query" in r:
            ok = r["rank_ms_per_query"] <= TARGETS["rank_ms_per_query_max"]
            ok_reuse = r["rank_reuse_ms_per_query"] <= TARGETS["rank_ms_per_query_max"]
            out.append(f"full ranking {where}: {r['rank_ms_per_query']:.2f} ms/query with fresh arrays, "
                       f"{r['rank_reuse_ms_per_query']:.2f} with reuse=True (target <= 2): "
                       f"{'met' if ok else 'MISSED'} / {'met' if ok_reuse else 'MISSED'}")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="100k and 1M codes, 64 bits, 2 threads, 1 repeat")
    p.add_argument("--sizes", type=int, nargs="+", default=None, help="database sizes (default 100k 1M 10M)")
    p.add_argument("--bits", type=int, nargs="+", default=None, help="code lengths (default 32 64 128)")
    p.add_argument("--threads", type=int, nargs="+", default=None, help="thread counts (default 1 2)")
    p.add_argument("--kinds", nargs="+", default=None, choices=["uniform", "clustered"])
    p.add_argument("--repeats", type=int, default=None, help="timed runs per measurement, median reported (default 3)")
    p.add_argument("--queries", type=int, default=1000, help="queries per batch (default 1000)")
    p.add_argument("--single", type=int, default=None, help="single-query calls timed per case (default 100; 0: skip)")
    p.add_argument("--rank", type=int, default=50, help="queries fully ranked at 1M x 64 (0: skip)")
    p.add_argument("--index", choices=["exact", "mih"], default="exact",
                   help="the hashx index timed: HammingIndex (linear scan, default) or MultiIndexHammingIndex "
                        "(its tables built before timing; see benchmarks/mih_speed.py for its own grid)")
    p.add_argument("--omp-wait-policy", choices=["default", "passive", "active"], default="default",
                   help="set OMP_WAIT_POLICY for numba's and faiss's OpenMP runtimes before they start "
                        "(default: leave the environment alone); 'passive' helps on a machine whose cores "
                        "other processes are using")
    p.add_argument("--out", type=Path, default=Path("bench-out/search_speed.json"), help="JSON output path")
    args = p.parse_args(argv)
    if args.omp_wait_policy != "default":
        if "numba" in sys.modules or "faiss" in sys.modules:
            raise SystemExit("--omp-wait-policy must be set before numba and faiss are imported")
        os.environ["OMP_WAIT_POLICY"] = args.omp_wait_policy.upper()
    quick = args.quick
    args.sizes = args.sizes or ([100_000, 1_000_000] if quick else [100_000, 1_000_000, 10_000_000])
    args.bits = args.bits or ([64] if quick else [32, 64, 128])
    args.threads = args.threads or ([2] if quick else [1, 2])
    args.kinds = args.kinds or ["uniform", "clustered"]
    args.repeats = args.repeats or (1 if quick else 3)
    args.single = (30 if quick else 100) if args.single is None else args.single

    info = machine()
    bandwidth = read_bandwidth(args.threads)
    import numba

    info["numba_threading_layer"] = numba.threading_layer()
    print(describe_machine(info))
    print(f"machine: {info['cpu']}, {info['usable_cpus']} usable CPUs, numba {info['numba']} "
          f"({info['numba_threading_layer']} threading layer), faiss {info['faiss']}, "
          f"OMP_WAIT_POLICY {info['omp_wait_policy']}, "
          f"load average {tuple(round(x, 2) for x in info['load_average_at_start'] or ())}")
    print("read bandwidth: " + ", ".join(f"{k} {v / 1e9:.1f} GB/s" for k, v in bandwidth.items()))
    rows = []
    for kind in args.kinds:
        for n in args.sizes:
            for nbits in args.bits:
                for threads in args.threads:
                    row = run_case(kind, n, nbits, threads, args, bandwidth)
                    rows.append(row)
                    print(f"  {kind:9s} N={n:>10,} bits={nbits:3d} threads={threads}: "
                          f"hashx {fmt_ms(row['hashx_s'])} ms, faiss heap {fmt_ms(row['faiss_heap_s'])} / "
                          f"count {fmt_ms(row['faiss_count_s'])} ms, ratio {row['ratio']:.2f}, "
                          f"D equal {row['distances_identical']}", flush=True)
    print()
    print(f"hashx index: {args.index}. Q = {args.queries} queries, k = {K}; times are medians of {args.repeats} runs (ms); ratio = faiss "
          "better mode / hashx (wall); cpu ratio = the same with CPU time of all threads; bound = database "
          "bytes / numpy read bandwidth; 1q = one query per call (median).")
    print()
    print(table(rows))
    print()
    for line in verdicts(rows):
        print(line)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    from hashx._atomic import atomic_write

    with atomic_write(args.out, "w") as f:
        json.dump({"machine": info, "bandwidth_bytes_per_s": bandwidth, "targets": TARGETS,
                   "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                   "cases": rows, "verdicts": verdicts(rows)}, f, indent=2)
    print(f"\nwrote {args.out}")
    return 0 if all(r["distances_identical"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
