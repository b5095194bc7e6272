"""What a single query costs in Python around the search kernel: ``index.search`` against the bare kernel call.

Usage::

    python benchmarks/search_call_overhead.py                         # 10M x 64-bit codes, k = 10, 2 threads
    python benchmarks/search_call_overhead.py --n 1000000 --threads 1 --out bench-out/overhead.json

For ``MultiIndexHammingIndex`` (default ``m``) and ``HammingIndex`` on uniform
random codes (the generator of ``benchmarks/search_speed.py``), every query
is answered one at a time, in ``--passes`` passes over ``--queries`` queries:
once through ``index.search`` (validation, the word copy of the query, the
thread count, the plan, the kernel, the results) and once through the kernel
alone, called as the index calls it (same tables, masks, budget, threads and
parts; the thread count set outside the timing, where the index sets it in
every call), the two taking turns pass by pass.  A pass reads far more memory than
the caches hold, so no query finds the lines the other call loaded.  Reported:
each query's median over the passes, then the median over queries of
``search - kernel``: the Python around the kernel.  The same script runs on an
older checkout (it uses only the indexes' internal calls that existed there),
for before/after numbers side by side.

Output: one line per index and a JSON file (``--out``) with the machine and
every per-query median.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_speed import make_codes  # noqa: E402


def _machine() -> dict:
    try:
        from search_speed import describe_machine, machine

        info = machine()
        return {"info": info, "line": describe_machine(info)}
    except ImportError:  # faiss is optional here
        import platform

        return {"info": {"cpu": platform.processor()}, "line": f"CPU: {platform.processor()}"}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=10_000_000, help="database codes (default 10M)")
    p.add_argument("--nbits", type=int, default=64)
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--threads", type=int, default=2, help="threads of both indexes (default 2)")
    p.add_argument("--queries", type=int, default=300)
    p.add_argument("--passes", type=int, default=12, help="passes over the queries (default 12)")
    p.add_argument("--out", type=Path, default=Path("bench-out/search_call_overhead.json"))
    args = p.parse_args(argv)

    import numba

    import hashx
    from hashx.search import _mih_search, _topk
    from hashx.search._words import query_words

    numba.set_num_threads(args.threads)  # so that the indexes' own thread setting changes nothing
    machine = _machine()
    print(machine["line"])
    print(f"hashx at {Path(hashx.__file__).parent}, numba {numba.__version__}, {args.threads} threads")
    n, nbits, k = args.n, args.nbits, args.k
    db = make_codes("uniform", n, nbits, seed=n + nbits)
    queries = make_codes("uniform", args.queries, nbits, seed=n + nbits + 1)
    mih = hashx.MultiIndexHammingIndex(nbits, threads=args.threads)
    mih.add(db)
    mih.build()
    scan = hashx.HammingIndex(nbits, threads=args.threads)
    scan.add(db)

    store = mih._snapshot()
    tables = mih._tables_for(store)
    masks = mih._masks(tables)
    budget = mih._budget(store.n, 1)
    W = mih._words_per_code()
    mih_threads, parts = mih._plan(1, n, k)
    scan_threads = scan._call_threads(1, n)
    words = [query_words(queries[i:i + 1], nbits) for i in range(args.queries)]
    db_words = scan._snapshot().words(nbits)

    def mih_kernel(i):
        return _mih_search.knn_search(words[i], W, nbits, k, tables, masks, budget, nparts=parts)

    def scan_kernel(i):
        return _topk.topk_search(words[i], db_words, W, nbits, k, scan_threads)

    # (the kernel runs on the threads the index would give it: the index sets them per call)
    cases = {"MultiIndexHammingIndex": (lambda i: mih.search(queries[i:i + 1], k), mih_kernel, mih_threads),
             "HammingIndex": (lambda i: scan.search(queries[i:i + 1], k), scan_kernel, scan_threads)}
    results = {}
    for name, (search, kernel, kernel_threads) in cases.items():
        search(0)
        numba.set_num_threads(kernel_threads)
        kernel(0)
        numba.set_num_threads(args.threads)
        times = {"search": np.empty((args.passes, args.queries)), "kernel": np.empty((args.passes, args.queries))}
        for r in range(args.passes):
            order = ("search", "kernel") if r % 2 == 0 else ("kernel", "search")
            for what in order:
                call = search if what == "search" else kernel
                numba.set_num_threads(kernel_threads if what == "kernel" else args.threads)
                for i in range(args.queries):
                    t = time.perf_counter()
                    call(i)
                    times[what][r, i] = time.perf_counter() - t
                numba.set_num_threads(args.threads)
        per_query = {what: np.median(t, axis=0) for what, t in times.items()}
        overhead = per_query["search"] - per_query["kernel"]
        results[name] = {"search_us": 1e6 * per_query["search"], "kernel_us": 1e6 * per_query["kernel"],
                         "overhead_us": float(1e6 * np.median(overhead)),
                         "overhead_quartiles_us": [float(1e6 * np.percentile(overhead, q)) for q in (25, 75)]}
        r = results[name]
        print(f"{name:24s} search {np.median(r['search_us']):8.1f} us, kernel {np.median(r['kernel_us']):8.1f} us, "
              f"Python around the kernel {r['overhead_us']:6.1f} us (quartiles {r['overhead_quartiles_us'][0]:.1f}, "
              f"{r['overhead_quartiles_us'][1]:.1f})"
              + (f"  [threads {mih_threads}, parts {parts}]" if name.startswith("Multi") else ""), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    from hashx._atomic import atomic_write

    with atomic_write(args.out, "w") as f:
        json.dump({"machine": machine["info"], "settings": {k: str(v) for k, v in vars(args).items()},
                   "hashx_path": str(Path(hashx.__file__).parent), "seeds": "database n + nbits, queries n + nbits + 1",
                   "results": {name: {key: (value.tolist() if isinstance(value, np.ndarray) else value)
                                      for key, value in r.items()} for name, r in results.items()}}, f, indent=1)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
