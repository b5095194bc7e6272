"""Methods and SSAH variants on the real-data proxies: paired differences, model choice on validation.

Runs :func:`hashx.experiments.run_benchmark` (the engine of ``hashx bench``) for every proxy x
method x bits x seed, two single-threaded jobs at a time, each (proxy, method) in its own folder
``OUT/<proxy>/<method>/`` (``results.json`` + runs; an interrupted run resumes), then writes the
tables:

* MAP@all (query set) mean +- std over seeds, per proxy, direction and bits;
* paired differences (same proxy, bits and seed) of each variant against a reference
  (``--baseline``, e.g. ``ssah-noadv``), with their standard deviation and the number of
  positive pairs;
* the same with the *validation* MAP (validation items querying the training items), which is
  what any choice of default is made on -- never the query set.

Proxies: ``digits-halves``, ``digits-quadrants``, ``wiki-like``, ``synthetic`` and
``mirflickr25k-synthimg`` (real MIRFlickr tags and labels, SYNTHETIC image features; its shipped
split with the training set cut to ``--mir-train`` items, seeded, because SSAH's cost grows with
the square of the training-set size).

Usage::

    python benchmarks/real_data.py run --out bench-out/real-data --methods ssah-noadv,ssah-gan \\
        --bits 16,32,64 --seeds 5 --jobs 2
    python benchmarks/real_data.py table --out bench-out/real-data --baseline ssah-noadv \\
        > benchmarks/results/real_data.md
    # runs from several folders (some made under older defaults), each row naming exactly what it takes:
    python benchmarks/real_data.py table --picks benchmarks/results/real-data-grid.picks --baseline ssah
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from _machine import cpu_model  # noqa: E402  (benchmarks/ is on sys.path when a script runs)
from bench_summary import CURVES  # noqa: E402

PROXIES = ("digits-halves", "digits-quadrants", "wiki-like", "synthetic", "mirflickr25k-synthimg")
DEFAULT_SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _split_for(proxy: str, data_dir, mir_train: int):
    from hashx.data import load_protocol
    from hashx.data.protocols import default_val_size
    from hashx.data.split import Split

    kw = {"data_dir": str(Path(data_dir) / "mirflickr25k")} if proxy == "mirflickr25k-synthimg" else {}
    ds, split = load_protocol(proxy, **kw)
    if proxy == "mirflickr25k-synthimg" and mir_train < split.train.size:
        rng = np.random.default_rng(0)
        train = np.sort(rng.choice(split.train, size=mir_train, replace=False))
        val = np.sort(rng.choice(train, size=default_val_size(mir_train), replace=False))
        split = Split(protocol=f"{split.protocol}-train{mir_train}", seed=0, query=split.query,
                      retrieval=split.retrieval, train=train, val=val).validate(len(ds))
    return ds, split


def _job(args):
    proxy, method, bits, seeds, out, data_dir, mir_train, epochs, db_codes = args
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)
    from hashx.experiments import run_benchmark

    ds, split = _split_for(proxy, data_dir, mir_train)
    t0 = time.perf_counter()
    run_benchmark(ds, split, protocol=proxy, methods=[method], bits=bits, seeds=seeds,
                  out_dir=Path(out) / proxy / method, epochs=epochs, db_codes=db_codes)
    return proxy, method, time.perf_counter() - t0


def run(args) -> int:
    methods = [m for m in args.methods.split(",") if m]
    proxies = [p for p in args.proxies.split(",") if p]
    bits = [int(b) for b in args.bits.split(",")]
    jobs = [(p, m, bits, args.seeds, args.out, args.data_dir, args.mir_train, args.epochs, args.db_codes)
            for p in proxies for m in methods]
    meta = Path(args.out) / "meta.json"
    meta.parent.mkdir(parents=True, exist_ok=True)
    info = {"command": " ".join([sys.executable, *sys.argv]), "date": time.strftime("%Y-%m-%d"),
            "cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version(),
            "mir_train": args.mir_train, "seeds": list(range(args.seeds)), "jobs": args.jobs}
    from filelock import FileLock
    from hashx._atomic import atomic_write

    with FileLock(str(meta) + ".lock"):  # two `run`s started into one folder at once, as results.json is
        previous = json.loads(meta.read_text()) if meta.exists() else {}
        with atomic_write(meta, "w") as f:
            json.dump({**previous, **{k: v for k, v in info.items() if k not in previous}, "last": info}, f, indent=1)
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        for proxy, method, seconds in pool.map(_job, jobs):
            print(f"{proxy:24s} {method:18s} done in {seconds / 60:.1f} min", flush=True)
    return 0


def _feature_records(path: Path) -> list:
    """The records of one ``results.json`` (none if it does not exist) whose retrieval set was coded
    from its features, read by hashx's own reader: a damaged file is refused with its name."""
    from hashx.exceptions import DataFormatError
    from hashx.experiments import read_records

    try:
        return [r for r in read_records(path) if r.get("db_codes", "features") == "features"]
    except DataFormatError as exc:
        raise SystemExit(str(exc)) from None


def _records(out: Path) -> list:
    return [r for path in sorted(out.glob("*/*/results.json")) for r in _feature_records(path)]


def _fmt(values) -> str:
    return "–" if not values else f"{np.mean(values):.4f} ± {np.std(values):.4f}" if len(values) > 1 else f"{values[0]:.4f}"


def _paired(by: dict, proxy: str, method: str, baseline: str, bits: int, key: str, flip: bool) -> str:
    """``mean ± std (positive/pairs)`` of ``method`` minus ``baseline`` (or the reverse when ``flip``),
    paired by seed, on one proxy and code length; "–" when no pair exists."""
    diffs = [(-1 if flip else 1) * (v[key] - by[(proxy, baseline, bits, s)][key])
             for (p, m, b, s), v in by.items()
             if p == proxy and m == method and b == bits and (p, baseline, b, s) in by and key in v]
    if not diffs:
        return "–"
    return f"{np.mean(diffs):+.4f} ± {np.std(diffs):.4f} ({sum(d > 0 for d in diffs)}/{len(diffs)})"


def _renames(entries) -> dict:
    """``["FOLDER:OLD=NEW", ...]`` as ``{FOLDER: {OLD: NEW}}`` (folders as given to ``--out``)."""
    renames = defaultdict(dict)
    for entry in entries or ():
        folder, sep, pair = entry.rpartition(":")
        old, eq, new = pair.partition("=")
        if not (sep and eq and folder and old and new):
            raise SystemExit(f"--rename expects FOLDER:OLD=NEW (a folder given to --out, a method name in it and "
                             f"the name to show); got {entry!r}.")
        renames[str(Path(folder))][old] = new
    return renames


def _seed_list(text: str, where: str) -> list:
    """``"0-4"`` or ``"0,2,3"`` (or a mix) as a sorted list of seeds."""
    seeds = set()
    for part in text.split(","):
        first, dash, last = part.partition("-")
        if not (first.isdigit() and (last.isdigit() if dash else True)) or (dash and int(last) < int(first)):
            raise SystemExit(f"{where}: SEEDS must look like 0-4 or 0,1,2; got {text!r}.")
        seeds.update(range(int(first), int(last) + 1) if dash else [int(first)])
    return sorted(seeds)


def _read_picks(path: str) -> list:
    """The rows ``FOLDER PROXY METHOD BITS SEEDS [NAME]`` of a picks file (``#`` starts a comment).

    Each row takes the runs of one method, proxy and code length from one run folder, under NAME
    when given: how runs made in several folders, some of them under defaults that have since
    changed, are put in one table without mixing them up."""
    picks = []
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        where = f"{path}, line {number}"
        if len(fields) not in (5, 6):
            raise SystemExit(f"{where}: expected FOLDER PROXY METHOD BITS SEEDS [NAME]; got {line.strip()!r}.")
        folder, proxy, method, bits, seeds = fields[:5]
        if proxy not in PROXIES:
            raise SystemExit(f"{where}: PROXY must be one of {', '.join(PROXIES)}; got {proxy!r}.")
        if not bits.isdigit():
            raise SystemExit(f"{where}: BITS must be a whole number; got {bits!r}.")
        picks.append({"folder": folder, "proxy": proxy, "method": method, "bits": int(bits),
                      "seeds": _seed_list(seeds, where), "name": fields[5] if len(fields) == 6 else method,
                      "where": where})
    if not picks:
        raise SystemExit(f"--picks {path}: no rows (expected FOLDER PROXY METHOD BITS SEEDS [NAME]).")
    return picks


def _picked_records(picks: list) -> list:
    """The records each pick names, renamed; refuses a pick whose folder lacks one of its seeds."""
    records = []
    for pick in picks:
        results = Path(pick["folder"]) / pick["proxy"] / pick["method"] / "results.json"
        found = [r for r in _feature_records(results)
                 if r.get("protocol") == pick["proxy"] and r["bits"] == pick["bits"] and r["seed"] in pick["seeds"]]
        missing = sorted(set(pick["seeds"]) - {r["seed"] for r in found})
        if missing:
            raise SystemExit(f"{pick['where']}: {results} has no {pick['bits']}-bit run of seed(s) {missing}.")
        records += [{**r, "method": pick["name"]} for r in found]
    return records


def _records_for(args) -> tuple:
    """(run folders, records, renames, picks) from ``--picks`` or from ``--out`` with ``--rename``."""
    if bool(args.out) == bool(args.picks):
        raise SystemExit("table: give the run folders (--out) or a picks file (--picks), one of the two.")
    if not args.out:
        picks = _read_picks(args.picks)
        if args.rename:
            raise SystemExit("table: --rename applies to --out folders; with --picks, name runs in its NAME column.")
        return [Path(f) for f in dict.fromkeys(p["folder"] for p in picks)], _picked_records(picks), {}, picks
    outs = [Path(o) for o in args.out]
    renames = _renames(args.rename)
    unknown = set(renames) - {str(o) for o in outs}
    if unknown:
        raise SystemExit(f"--rename names folders not given to --out: {sorted(unknown)}; --out: {args.out}.")
    records = [{**r, "method": renames[str(o)].get(r["method"], r["method"])} if str(o) in renames else r
               for o in outs for r in _records(o)]
    return outs, records, renames, None


def _seed_counts(by: dict, proxies: list, methods: list, bits: list) -> list:
    """Markdown: how many seeds each method has (both directions) per proxy and code length."""
    lines = ["## Seeds per cell", "", "Runs with both directions measured, per method, proxy and code length "
             "(– where there are none).", "",
             "| method | " + " | ".join(f"{p} {b}" for p in proxies for b in bits) + " |",
             "|" + "---|" * (1 + len(proxies) * len(bits))]
    for m in methods:
        counts = [sum(1 for (pp, mm, bb, _), v in by.items() if (pp, mm, bb) == (p, m, b) and "i2t" in v and "t2i" in v)
                  for p in proxies for b in bits]
        lines.append(f"| {m} | " + " | ".join(str(c) if c else "–" for c in counts) + " |")
    return lines + [""]


def table(args) -> int:
    outs, records, renames, picks = _records_for(args)
    folder_metas = [_meta(o) for o in outs]  # {} where a folder has no meta.json
    metas = [m for m in folder_metas if m]
    meta = metas[0] if metas else {}
    flip = args.difference == "baseline-minus-variant"
    wanted = args.methods.split(",") if args.methods else None
    by = defaultdict(dict)  # (proxy, method, bits, seed) -> {"i2t", "t2i", "val", "epoch"}
    for r in records:
        if r["direction"] in ("image->text", "text->image"):
            key = (r["protocol"], r["method"], r["bits"], r["seed"])
            slot = "i2t" if r["direction"] == "image->text" else "t2i"
            if slot in by[key] and (wanted is None or r["method"] in wanted):
                raise SystemExit(f"Two runs of {key[1]!r} on {key[0]}, {key[2]} bits, seed {key[3]} in the folders "
                                 f"{[str(o) for o in outs]}: give one of them another name (--rename "
                                 f"FOLDER:{key[1]}=NEW, or NAME in --picks) or leave a folder out.")
            by[key][slot] = r["map"]
            by[key]["val"] = r["val_map"]
            by[key]["epoch"] = r["best_epoch"]
            by[key]["seconds"] = r["train_seconds"]
    methods = list(dict.fromkeys(k[1] for k in sorted(by, key=lambda k: (k[0], k[1]))))
    if wanted:
        methods = [m for m in wanted if m in methods]
    elif picks:  # the picks file's order
        methods = list(dict.fromkeys(p["name"] for p in picks))
    proxies = [p for p in PROXIES if any(k[0] == p and k[1] in methods for k in by)]
    bits = sorted({k[2] for k in by})
    if picks:  # many folders: name them, their commands are in the JSON
        runs = metas + [m["last"] for m in metas if "last" in m]  # each folder's first and last command
        where = (f"Runs: {len(picks)} picks from {len(outs)} run folders (`--picks {args.picks}`; each folder's "
                 f"commands are in the JSON); machines: {', '.join(sorted({m.get('cpu', '?') for m in runs}))}; "
                 f"dates: {', '.join(sorted({m.get('date', '?') for m in runs}))}. MAP@all")
    else:
        commands = "; ".join(f"`{m.get('command', '?')}` (last: `{m.get('last', {}).get('command', '?')}`)"
                             for m in metas)
        where = (f"Commands: {commands or '?'}; machine: {meta.get('cpu', '?')}, {meta.get('cores', '?')} cores; "
                 f"date: {meta.get('date', '?')}; seeds {meta.get('seeds', '?')}. MAP@all")
    lines = [f"# Real-data proxies: {', '.join(proxies)}", "",
             f"{where} on the query set (ties by index), the retrieval set "
             f"coded from its features. `mirflickr25k-synthimg` has SYNTHETIC image features (real tags and "
             f"labels) and {meta.get('mir_train', '?')} training items; never MIRFlickr results.", ""]
    for proxy in proxies:
        lines += [f"## {proxy}", "", "| method | " + " | ".join(f"{d} {b}" for d in ("I→T", "T→I", "val") for b in bits)
                  + " | best epoch | train s |", "|" + "---|" * (3 * len(bits) + 3)]
        for m in methods:
            vals = [v for (p, mm, b, s), v in by.items() if p == proxy and mm == m]
            if not vals:
                continue
            cells = [_fmt([v[d] for (p, mm, b, s), v in by.items() if p == proxy and mm == m and b == bb and d in v])
                     for d in ("i2t", "t2i", "val") for bb in bits]
            lines.append(f"| {m} | " + " | ".join(cells) + f" | {np.median([v['epoch'] for v in vals]):.0f} | "
                         f"{np.median([v['seconds'] for v in vals]):.0f} |")
        lines.append("")
    lines += _seed_counts(by, proxies, methods, bits)
    if args.baseline:
        order = f"{args.baseline} minus the method" if flip else f"the method minus {args.baseline}"
        higher = args.baseline if flip else "the method"
        for what, keys in (("query-set MAP@all", ("i2t", "t2i")), ("validation MAP (what choices are made on)", ("val",))):
            lines += [f"## Paired differences against {args.baseline}: {what}", "",
                      f"{order[0].upper() + order[1:]}, same proxy, bits and seed: mean ± std over seeds, "
                      f"one row per code length; in brackets, pairs where {higher} is higher / pairs.", "",
                      "| method | " + " | ".join(f"{p} {k}" for p in proxies for k in keys) + " |",
                      "|" + "---|" * (1 + len(proxies) * len(keys))]
            for m in methods:
                if m == args.baseline:
                    continue
                for bb in bits:
                    cells = [_paired(by, p, m, args.baseline, bb, k, flip) for p in proxies for k in keys]
                    if all(c == "–" for c in cells):
                        continue
                    lines.append(f"| {m} ({bb} bits) | " + " | ".join(cells) + " |")
            lines.append("")
    print("\n".join(lines))
    if args.json:
        Path(args.json).write_text(json.dumps({
            "folders": [{"out": str(o), "meta": m, **({"renamed": renames[str(o)]} if str(o) in renames else {})}
                        for o, m in zip(outs, folder_metas)],
            **({"picks": [{k: v for k, v in p.items() if k != "where"} for p in picks]} if picks else {}),
            "records": [{k: v for k, v in r.items() if k not in CURVES} for r in records]}, indent=1))
    return 0


def restore(args) -> int:
    """Rebuild the run folders of a ``table --picks ... --json`` file from its records.

    Run folders are not committed (they hold models); the table's JSON holds every record it
    used. Written back under each pick's folder and method (its name undone), they let a later
    ``run --seeds N`` into the same folder run only the seeds that are missing, so a committed
    grid can be extended on another machine. Records come back without their curves (the JSON
    leaves them out), which ``table`` does not use."""
    from hashx._atomic import atomic_write
    from hashx.experiments.runner import _add_records, _record_key

    try:
        saved = json.loads(Path(args.json).read_text())
        picks, records, folders = saved["picks"], saved["records"], saved["folders"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SystemExit(f"restore: --json {args.json} is not a table written with --picks and --json ({exc!r}).")
    root = Path(args.to)
    wanted = defaultdict(list)  # results.json -> records to put back
    for pick in picks:
        found = [r for r in records if r.get("protocol") == pick["proxy"] and r["method"] == pick["name"]
                 and r["bits"] == pick["bits"] and r["seed"] in pick["seeds"]]
        missing = sorted(set(pick["seeds"]) - {r["seed"] for r in found})
        if missing:
            raise SystemExit(f"restore: {args.json} has no {pick['bits']}-bit record of {pick['name']!r} on "
                             f"{pick['proxy']} for seed(s) {missing}, which its picks name.")
        path = root / pick["folder"] / pick["proxy"] / pick["method"] / "results.json"
        wanted[path] += [{**r, "method": pick["method"]} for r in found]
    written = 0
    for path, new in wanted.items():
        on_disk = {_record_key(r): r["map"] for r in _feature_records(path)}
        clash = [r for r in new if on_disk.get(_record_key(r), r["map"]) != r["map"]]
        if clash:
            raise SystemExit(f"restore: {path} already holds another result for {clash[0]['method']} "
                             f"{clash[0]['bits']} bits seed {clash[0]['seed']}; restore into an empty folder "
                             f"(--to) or move it away.")
        fresh = [r for r in new if _record_key(r) not in on_disk]
        path.parent.mkdir(parents=True, exist_ok=True)
        _add_records(path, fresh)
        written += len(fresh)
    for folder in folders:
        meta = root / folder["out"] / "meta.json"
        if folder.get("meta") and not meta.exists() and meta.parent.exists():
            with atomic_write(meta, "w") as f:
                json.dump(folder["meta"], f, indent=1)
    print(f"restored {written} records of {len(picks)} picks into {len(wanted)} results files under {root}/")
    return 0


def _meta(out: Path) -> dict:
    return json.loads((out / "meta.json").read_text()) if (out / "meta.json").exists() else {}


def plot(args) -> int:
    from hashx.experiments import plot_benchmark_curves

    records = [r for o in args.out for r in _records(Path(o))]
    bits = None if args.bits is None else {int(b) for b in args.bits.split(",")}
    for proxy in [p for p in PROXIES if any(r["protocol"] == p for r in records)]:
        chosen = [r for r in records if r["protocol"] == proxy and (bits is None or r["bits"] in bits)]
        for path in plot_benchmark_curves(chosen, Path(args.to) / proxy):
            print(path)
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--out", required=True)
    r.add_argument("--methods", required=True)
    r.add_argument("--proxies", default=",".join(PROXIES))
    r.add_argument("--bits", default="16,32,64")
    r.add_argument("--seeds", type=int, default=5)
    r.add_argument("--epochs", type=int, default=None, help="override every run's epochs (default: its own)")
    r.add_argument("--jobs", type=int, default=2)
    r.add_argument("--mir-train", type=int, default=2000)
    r.add_argument("--db-codes", choices=("features", "learned"), default="features",
                   help="hashx bench --db-codes; a finished run's model is reused for the other choice")
    r.add_argument("--data-dir", default=os.environ.get("HASHX_SHARED_DATA", str(DEFAULT_SHARED)))
    t = sub.add_parser("table")
    t.add_argument("--out", nargs="+", default=None, help="one or more run folders (or --picks)")
    t.add_argument("--picks", default=None, metavar="FILE",
                   help="rows FOLDER PROXY METHOD BITS SEEDS [NAME] ('#' comments; SEEDS like 0-4 or 0,2): "
                        "exactly these runs, each under NAME when given, in place of --out")
    t.add_argument("--baseline", default=None)
    t.add_argument("--difference", choices=("variant-minus-baseline", "baseline-minus-variant"),
                   default="variant-minus-baseline", help="the sign of the paired differences")
    t.add_argument("--methods", default=None, help="comma-separated, in table order (default: all)")
    t.add_argument("--rename", nargs="*", default=None, metavar="FOLDER:OLD=NEW",
                   help="show method OLD of run folder FOLDER as NEW (e.g. runs of a default that has since "
                        "changed); two runs with one name, proxy, length and seed are refused")
    t.add_argument("--json", default=None, help="also write the records (without curves) and each folder's "
                   "commands here")
    f = sub.add_parser("plot", help="PR and precision@k figures per proxy (mean over seeds)")
    f.add_argument("--out", required=True, nargs="+", help="one or more run folders")
    f.add_argument("--to", required=True, help="folder for <proxy>/pr-*.png and pk-*.png")
    f.add_argument("--bits", default=None, help="comma-separated bit lengths (default: all)")
    s = sub.add_parser("restore", help="rebuild the run folders of a `table --picks --json` file from its records")
    s.add_argument("--json", required=True, help="a table's JSON written with --picks")
    s.add_argument("--to", default=".", help="the folder that the picks' run folders are relative to")
    args = p.parse_args(argv)
    return {"run": run, "table": table, "plot": plot, "restore": restore}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
