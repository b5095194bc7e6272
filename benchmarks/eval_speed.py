"""Speed of hashx.metrics against the classic per-query MAP loop, at the NUS-WIDE and MIRFlickr protocol sizes.

Usage::

    python benchmarks/eval_speed.py                      # both datasets, table + JSON
    python benchmarks/eval_speed.py --datasets nuswide --repeats 7 --json bench-out/eval_speed.json

Protocols (64-bit codes):

* NUS-WIDE TC-21: 2,100 queries x 193,734 database items, 21 labels.  Labels:
  the real official 81-concept tables (``hashx.data.nuswide``), restricted to
  the 195,834 images with one of the 21 most frequent concepts; a seeded
  permutation picks the queries.
* MIRFlickr-25K: 2,000 queries x 18,015 database items, 24 labels: the real
  ``LAll`` matrix; a seeded permutation picks the queries.

Codes are correlated with the labels: ``sign(labels @ W + noise)`` with
Gaussian ``W`` (labels x bits) and Gaussian noise, packed with
:func:`hashx.pack_codes`, so MAP lands in the range papers report.

The classic loop is the field's evaluation code, written here from its
description: per query, ``0.5 * (nbits - B_q @ B_db.T)`` on +-1 codes, an
argsort, and AP from the ranked relevance.  It is timed on a subset of the
queries (``--classic-queries``) and scaled linearly to all queries (its cost
is the same for every query); hashx is timed on all queries (median of
``--repeats`` runs after one warm-up run that compiles or loads the numba
kernels).  On the timed subset, the classic loop with a *stable* sort must give
the same MAP as hashx with ``ties="index"``; the default (unstable) sort is
also shown, to see how much arbitrary tie breaking moves the number.

Memory: the process's resident set size before the hashx runs, and its peak
during them (the kernel's peak counter VmHWM is reset just before, through
``/proc/self/clear_refs``), plus the peak of the whole run (``ru_maxrss``).

``retrieval_report`` (``--parts report``): the current one-scan report against
a copy, kept in this file and labelled as the baseline, of the composition it
replaced (one public metric call per number, each validating the inputs and
scanning the database again), default ``ks`` and ``curve_ks``, both tie
rules.  The two run alternately in the same process (the order flips every
repeat), after one warm-up call each; the table gives the medians and the
median of the per-repeat ratios, and checks that both give the same dict.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numba
import numpy as np
import scipy.io

import hashx
from hashx._atomic import atomic_write
from hashx._validation import check_int
from hashx.metrics import mean_average_precision, pr_curve, precision_at_k, precision_within_radius, retrieval_report
from hashx.metrics.report import CURVE_KS, DEFAULT_KS

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
NBITS = 64


def _max_rss_mib() -> float:
    """Peak resident set size of the whole run so far (MiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _status_mib(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS counter (VmHWM) so that a phase's own peak can be read (Linux >= 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def load_labels(name: str, data_dir: Path) -> tuple[np.ndarray, str]:
    """Real label matrix of the protocol's image set, and a description of its source."""
    if name == "nuswide":
        from hashx.data.nuswide import read_nuswide_concepts, select_top_concepts

        labels, concepts, _ = read_nuswide_concepts(data_dir / "nuswide")
        _, sub = select_top_concepts(labels, concepts, 21)
        return sub, "NUS-WIDE official 81-concept tables, top-21 concepts (hashx.data.nuswide)"
    mat = scipy.io.loadmat(data_dir / "mirflickr25k" / "mirflickr25k-lall.mat")
    return np.ascontiguousarray(mat["LAll"], dtype=np.uint8), "MIRFlickr-25K LAll (mirflickr25k-lall.mat)"


PROTOCOLS = {
    # name: (n_query, n_db)
    "nuswide": (2100, 193734),
    "mirflickr": (2000, 18015),
}


def make_problem(name: str, data_dir: Path, *, seed: int, noise: float):
    labels, source = load_labels(name, data_dir)
    n_query, n_db = PROTOCOLS[name]
    if labels.shape[0] != n_query + n_db:
        raise SystemExit(f"{name}: expected {n_query + n_db} labelled images, got {labels.shape[0]}")
    rng = np.random.default_rng(seed)
    order = rng.permutation(labels.shape[0])
    labels = labels[order]
    weights = rng.standard_normal((labels.shape[1], NBITS))
    real = labels.astype(np.float64) @ weights + noise * rng.standard_normal((labels.shape[0], NBITS))
    signs = hashx.binarize(real)
    codes = hashx.pack_codes(signs)
    return {
        "name": name,
        "source": source,
        "query_codes": codes[:n_query],
        "db_codes": codes[n_query:],
        "query_signs": signs[:n_query],
        "db_signs": signs[n_query:],
        "query_labels": labels[:n_query],
        "db_labels": labels[n_query:],
    }


def classic_map(query_signs, db_signs, query_labels, db_labels, *, stable: bool):
    """The field's per-query loop (queries with no relevant item count as 0, as in hashx)."""
    nbits = query_signs.shape[1]
    b_q = query_signs.astype(np.float64)
    b_db = db_signs.astype(np.float64)
    l_db = db_labels.astype(np.float64)
    aps = np.zeros(b_q.shape[0])
    for i in range(b_q.shape[0]):
        relevant = (l_db @ query_labels[i].astype(np.float64)) > 0
        n_relevant = int(relevant.sum())
        if n_relevant == 0:
            continue
        hamming = 0.5 * (nbits - b_db @ b_q[i])
        order = np.argsort(hamming, kind="stable") if stable else np.argsort(hamming)
        positions = np.flatnonzero(relevant[order]) + 1.0
        aps[i] = np.mean(np.arange(1, n_relevant + 1) / positions)
    return float(aps.mean())


def report_before_one_scan(query_codes, db_codes, query_labels, db_labels, *, ks=DEFAULT_KS, ties="index",
                           radius=2, curve_ks=CURVE_KS) -> dict:
    """BASELINE, timing only: ``retrieval_report`` as it was composed before the one-scan kernel.

    A verbatim copy of its former body (hashx at commit 05339b3): one public
    metric call per number, each of which validates the four arrays again and
    scans the whole database again (MAP@all, one MAP@k per cut-off, P@k, the PR
    curve, the radius precision).
    """
    ks = [check_int(k, "ks", caller="retrieval_report", min_value=1) for k in ks]
    args = (query_codes, db_codes, query_labels, db_labels)
    precision, recall = pr_curve(*args)
    curve_ks = [check_int(k, "curve_ks", caller="retrieval_report", min_value=1) for k in curve_ks]
    p_at = np.atleast_1d(precision_at_k(*args, ks + curve_ks, ties=ties))
    return {
        "map": mean_average_precision(*args, ties=ties),
        "map_at": {k: mean_average_precision(*args, k=k, ties=ties) for k in ks},
        "precision_at": {k: float(p) for k, p in zip(ks, p_at[: len(ks)])},
        "precision_within_radius": float(precision_within_radius(*args, radius=radius)),
        "radius": int(radius),
        "ties": ties,
        "pr_curve": {"radius": list(range(len(precision))), "precision": [float(p) for p in precision],
                     "recall": [float(r) for r in recall]},
        "precision_curve": {"k": curve_ks, "precision": [float(p) for p in p_at[len(ks):]]},
    }


def _report_difference(a: dict, b: dict) -> float:
    """Largest absolute difference between the numbers of two reports (0.0 when equal)."""
    pairs = [(a["map"], b["map"]), (a["precision_within_radius"], b["precision_within_radius"])]
    pairs += [(a["map_at"][k], b["map_at"][k]) for k in a["map_at"]]
    pairs += [(a["precision_at"][k], b["precision_at"][k]) for k in a["precision_at"]]
    for key, part in (("pr_curve", "precision"), ("pr_curve", "recall"), ("precision_curve", "precision")):
        pairs += list(zip(a[key][part], b[key][part]))
    return float(max(abs(x - y) for x, y in pairs))


def time_report(inputs, repeats: int) -> dict:
    """retrieval_report (one scan) against the baseline composition, alternating, for both tie rules."""
    rows = {}
    for ties in ("index", "average"):
        before = report_before_one_scan(*inputs, ties=ties)
        after = retrieval_report(*inputs, ties=ties)
        times = {"before": [], "after": []}
        for r in range(repeats):
            order = ("before", "after") if r % 2 == 0 else ("after", "before")
            for which in order:
                fn = report_before_one_scan if which == "before" else retrieval_report
                start = time.perf_counter()
                fn(*inputs, ties=ties)
                times[which].append(time.perf_counter() - start)
        ratios = np.array(times["before"]) / np.array(times["after"])
        rows[ties] = {
            "before_median_s": float(np.median(times["before"])),
            "after_median_s": float(np.median(times["after"])),
            "median_ratio": float(np.median(ratios)),
            "before_runs_s": times["before"],
            "after_runs_s": times["after"],
            "identical": before == after,
            "max_abs_difference": _report_difference(before, after),
            "map": after["map"],
        }
    return rows


def _median_time(fn, repeats: int):
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), times, result


def run_dataset(name: str, args) -> dict:
    problem = make_problem(name, args.data_dir, seed=args.seed, noise=args.noise)
    qc, dc, ql, dl = problem["query_codes"], problem["db_codes"], problem["query_labels"], problem["db_labels"]
    result = {
        "dataset": name,
        "labels": problem["source"],
        "n_query": int(qc.shape[0]),
        "n_db": int(dc.shape[0]),
        "nbits": NBITS,
        "n_labels": int(ql.shape[1]),
    }
    if "metrics" in args.parts:
        result.update(time_metrics(problem, args))
    if "report" in args.parts:
        load_before = os.getloadavg()
        result["report"] = time_report((qc, dc, ql, dl), args.repeats)
        result["report_load_average_before_after"] = [load_before, os.getloadavg()]
    return result


def time_metrics(problem: dict, args) -> dict:
    """The individual metrics and the classic loop (the issue-3 rows)."""
    qc, dc, ql, dl = problem["query_codes"], problem["db_codes"], problem["query_labels"], problem["db_labels"]
    name = problem["name"]
    inputs = (qc, dc, ql, dl)
    rss_before_hashx = _status_mib("VmRSS")
    peak_reset = _reset_peak_rss()

    start = time.perf_counter()
    mean_average_precision(*inputs)
    first_call = time.perf_counter() - start

    rows = {}
    map_index_time, map_index_runs, map_index = _median_time(lambda: mean_average_precision(*inputs), args.repeats)
    rows["MAP@all ties=index"] = (map_index_time, map_index)
    mean_average_precision(*inputs, ties="average")
    t, _, map_average = _median_time(lambda: mean_average_precision(*inputs, ties="average"), args.repeats)
    rows["MAP@all ties=average"] = (t, map_average)
    for k in (50, 1000):
        t, _, v = _median_time(lambda k=k: mean_average_precision(*inputs, k=k), args.repeats)
        rows[f"MAP@{k} ties=index"] = (t, v)
    ks = [1, 10, 100, 1000, 5000]
    precision_at_k(*inputs, ks)
    t, _, v = _median_time(lambda: precision_at_k(*inputs, ks), args.repeats)
    rows["P@{1,10,100,1000,5000}"] = (t, float(v[-1]))
    t, _, v = _median_time(lambda: pr_curve(*inputs), args.repeats)
    rows["PR curve (radius 0..64): P(r=16)"] = (t, float(v[0][16]))
    peak_hashx = _status_mib("VmHWM") if peak_reset else _max_rss_mib()

    # Classic loop on a subset of the queries, scaled linearly.
    n_sub = min(args.classic_queries[name], qc.shape[0])
    sub = slice(0, n_sub)
    sub_args = (problem["query_signs"][sub], problem["db_signs"], ql[sub], dl)
    start = time.perf_counter()
    classic_stable = classic_map(*sub_args, stable=True)
    classic_time = time.perf_counter() - start
    classic_scaled = classic_time * qc.shape[0] / n_sub
    classic_unstable = classic_map(*sub_args, stable=False)
    hashx_sub = mean_average_precision(qc[sub], dc, ql[sub], dl)
    hashx_sub_average = mean_average_precision(qc[sub], dc, ql[sub], dl, ties="average")

    return {
        "hashx_first_call_s": first_call,
        "hashx": {label: {"median_s": t, "value": v} for label, (t, v) in rows.items()},
        "hashx_map_all_runs_s": map_index_runs,
        "classic": {
            "queries_timed": n_sub,
            "time_s": classic_time,
            "scaled_to_all_queries_s": classic_scaled,
            "map_subset_stable_sort": classic_stable,
            "map_subset_default_sort": classic_unstable,
        },
        "hashx_map_subset_ties_index": hashx_sub,
        "hashx_map_subset_ties_average": hashx_sub_average,
        "map_abs_diff_vs_classic_stable": abs(hashx_sub - classic_stable),
        "speedup_map_all": classic_scaled / map_index_time,
        "rss_mib_before_hashx": rss_before_hashx,
        "peak_rss_mib_during_hashx": peak_hashx,
        "peak_rss_is_phase_only": peak_reset,
        "max_rss_mib_whole_run": _max_rss_mib(),
    }


def print_table(results: list[dict]) -> None:
    for r in results:
        print(f"\n== {r['dataset']}: {r['n_query']} queries x {r['n_db']} items, {r['nbits']} bits, "
              f"{r['n_labels']} labels ({r['labels']})")
        if "hashx" in r:
            print_metrics_table(r)
        if "report" in r:
            print_report_table(r)


def print_metrics_table(r: dict) -> None:
    print(f"{'what':<42}{'seconds':>10}{'value':>12}")
    for label, row in r["hashx"].items():
        print(f"{'hashx ' + label:<42}{row['median_s']:>10.3f}{row['value']:>12.5f}")
    c = r["classic"]
    print(f"{'classic loop MAP@all (scaled from ' + str(c['queries_timed']) + ' q)':<42}"
          f"{c['scaled_to_all_queries_s']:>10.2f}{'':>12}")
    print(f"speedup of hashx MAP@all over the classic loop: {r['speedup_map_all']:.1f}x "
          f"(hashx first call incl. compile/load: {r['hashx_first_call_s']:.2f} s)")
    print(f"MAP on the {c['queries_timed']} timed queries: classic stable sort {c['map_subset_stable_sort']:.12f}, "
          f"hashx ties=index {r['hashx_map_subset_ties_index']:.12f} (|diff| "
          f"{r['map_abs_diff_vs_classic_stable']:.1e}); classic default sort {c['map_subset_default_sort']:.6f}; "
          f"hashx ties=average {r['hashx_map_subset_ties_average']:.6f}")
    phase = "during the hashx runs" if r["peak_rss_is_phase_only"] else "of the run up to the hashx runs"
    print(f"memory: RSS {r['rss_mib_before_hashx']:.0f} MiB before hashx, "
          f"peak {r['peak_rss_mib_during_hashx']:.0f} MiB {phase}; "
          f"whole-run peak {r['max_rss_mib_whole_run']:.0f} MiB")


def print_report_table(r: dict) -> None:
    print(f"retrieval_report, default ks {list(DEFAULT_KS)} and curve_ks ({len(CURVE_KS)} cut-offs), radius 2; "
          "before = the former composition (BASELINE copy in this script), after = one scan")
    print(f"{'ties':<10}{'before s':>10}{'after s':>10}{'before/after':>14}  same dict   max |diff|   MAP@all")
    for ties, row in r["report"].items():
        print(f"{ties:<10}{row['before_median_s']:>10.3f}{row['after_median_s']:>10.3f}{row['median_ratio']:>13.2f}x"
              f"  {'yes' if row['identical'] else 'NO':<10}{row['max_abs_difference']:>11.1e}{row['map']:>10.5f}")
    before, after = r["report_load_average_before_after"]
    print(f"load average (1, 5, 15 min) before: {before[0]:.2f} {before[1]:.2f} {before[2]:.2f}; "
          f"after: {after[0]:.2f} {after[1]:.2f} {after[2]:.2f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", choices=sorted(PROTOCOLS), default=["nuswide", "mirflickr"])
    parser.add_argument("--data-dir", type=Path, default=DATA, help="folder holding nuswide/ and mirflickr25k/")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per measurement (median reported)")
    parser.add_argument("--nuswide-classic-queries", type=int, default=150)
    parser.add_argument("--mirflickr-classic-queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--noise", type=float, default=2.0, help="std of the noise added before the sign")
    parser.add_argument("--json", type=Path, default=Path("bench-out") / "eval_speed.json")
    parser.add_argument("--parts", nargs="+", choices=["metrics", "report"], default=["metrics", "report"],
                        help="metrics: the individual metrics and the classic loop; report: retrieval_report "
                             "before/after the one-scan kernel")
    args = parser.parse_args(argv)
    args.classic_queries = {"nuswide": args.nuswide_classic_queries, "mirflickr": args.mirflickr_classic_queries}

    results = [run_dataset(name, args) for name in args.datasets]
    print_table(results)
    report = {
        "benchmark": "eval_speed",
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "cpus": __import__("os").cpu_count(),
            "numba_threads": numba.get_num_threads(),
            "numba_threading_layer": numba.config.THREADING_LAYER,
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "numba": numba.__version__,
            "hashx": hashx.__version__,
        },
        "settings": {"repeats": args.repeats, "seed": args.seed, "noise": args.noise, "nbits": NBITS,
                     "parts": args.parts},
        "results": results,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(args.json, "w") as f:
        json.dump(report, f, indent=2)
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
