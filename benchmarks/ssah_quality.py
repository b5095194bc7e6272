"""Quality of SSAH and its ablations: MAP@all on the query set, mean +- std over seeds.

For every dataset x variant x code length x seed: train with ``hashx.train.train``
(model selected on the validation split, never on the query set), encode the
query and retrieval sets with the selected model, and report I->T and T->I
MAP@all (``hashx.metrics.mean_average_precision``, ties by index).

Variants (each a change of SSAH's settings on top of the defaults; see README):

    ssah                       the defaults: paper objective, alternating GAN updates
    no_adversarial             alignment="none" (no discriminator, no adversarial term)
    grl                        alignment="grl" (gradient-reversal layer instead of alternation)
    official_squared_pairwise  pairwise_loss="squared_nll" (official code's squared likelihood)
    official_detached_adv      alignment="gan_detached" (official code: no adversarial gradient)
    official_self_sign_quant   quantization="self_sign" (official code: each batch to its own sign)

Scale: the training set is a seeded subsample of the protocol's training set
(``--n-train``), ``--epochs`` epochs, hidden width ``--hidden-dim``; the query
and retrieval sets are the protocol's, in full.  Results are written after every
run (JSON + markdown), and a rerun skips the runs already in the JSON, so the
script can be stopped and continued.

Example::

    nohup python benchmarks/ssah_quality.py --out-dir /tmp/ssah_quality > /tmp/ssah_quality/log.txt 2>&1 &
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch

from hashx._atomic import atomic_write
from hashx.data.protocols import load_protocol
from hashx.data.split import Split
from hashx.experiments import resolve_method
from hashx.metrics import mean_average_precision
from hashx.methods import configure
from hashx.train import load_encoder, train

# The settings come from the library's named variants (hashx bench --methods uses the same ones);
# the names here are the column names of the published table.
VARIANTS = {name: resolve_method(library_name)[1] for name, library_name in {
    "ssah": "ssah",
    "no_adversarial": "ssah-noadv",
    "grl": "ssah-grl",
    "official_squared_pairwise": "ssah-squared",
    "official_detached_adv": "ssah-detached",
    "official_self_sign_quant": "ssah-selfsign",
}.items()}
DATASETS = {
    "synthetic": "synthetic (hashx.data.synthetic.make_synthetic defaults: 4,000 items, 24 labels, "
                 "512-d image features, 500-d tags; fully synthetic)",
    "mirflickr25k-synthimg": "MIRFlickr-25K stand-in: REAL labels (24) and tags (1,386-d), SYNTHETIC 4,096-d "
                             "image features (not CNN features of the real images; not MIRFlickr results)",
}


def subsample_split(split: Split, n_train: int | None, seed: int) -> Split:
    """The protocol's split with a seeded subsample of ``n_train`` training items (val = 10% of them)."""
    if n_train is None or n_train >= split.train.size:
        return split
    rng = np.random.default_rng([seed, 7])
    train_rows = np.sort(rng.choice(split.train, n_train, replace=False))
    val = np.sort(rng.choice(train_rows, max(1, n_train // 10), replace=False))
    return Split(protocol=split.protocol, seed=split.seed, query=split.query, retrieval=split.retrieval,
                 train=train_rows, val=val)


def evaluate(path, ds, split) -> dict:
    enc = load_encoder(path)
    q, r = split.query, split.retrieval
    qi, qt = enc.encode("image", ds.image_rows(q)), enc.encode("text", ds.text_rows(q))
    ri, rt = enc.encode("image", ds.image_rows(r)), enc.encode("text", ds.text_rows(r))
    lq, lr = ds.labels[q], ds.labels[r]
    digest = hashlib.sha256(b"".join(np.ascontiguousarray(c).tobytes() for c in (qi, qt, ri, rt))).hexdigest()
    return {
        "map_i2t": float(mean_average_precision(qi, rt, lq, lr)),
        "map_t2i": float(mean_average_precision(qt, ri, lq, lr)),
        "best_epoch": int(enc.metadata["epoch"]),
        "val_map_i2t": enc.metadata["metrics"]["val_map_i2t"],
        "val_map_t2i": enc.metadata["metrics"]["val_map_t2i"],
        "codes_sha256": digest,
    }


def _mean_std(values):
    a = np.asarray(values, dtype=np.float64)
    return float(a.mean()), float(a.std(ddof=1)) if a.size > 1 else 0.0


def markdown(results: dict, meta: dict) -> str:
    runs = results["runs"]
    lines = [
        "# SSAH quality (hashx benchmarks/ssah_quality.py)",
        "",
        f"MAP@all on the query set (ties by database index), mean +- std over seeds {meta['seeds']}; "
        "model selected by validation MAP (validation items querying the fit items), never on the query set.",
        "",
        f"Scale: training set = a seeded subsample of {meta['n_train']} items of the protocol's training set "
        f"(10% of them validation), {meta['epochs']} epochs, hidden width {meta['hidden_dim']} "
        f"(SSAH: 4096), batch {meta['batch_size']}; query and retrieval sets in full. "
        f"Other settings: hashx defaults (RunConfig, SSAHSettings). torch threads: {meta['threads']}. "
        "Preliminary: run on a shared 2-core CPU machine.",
        "",
    ]
    for name in meta["datasets"]:
        fits = sorted({(r["n_fit"], r["n_val"]) for r in runs if r["dataset"] == name})
        sizes = ", ".join(f"{f} fit + {v} validation" for f, v in fits)
        lines += [f"## {name}", "", f"Data: {DATASETS.get(name, name)}. Training items: {sizes}.", ""]
        header = "| variant | " + " | ".join(f"I->T {b}" for b in meta["bits"]) + " | " + \
                 " | ".join(f"T->I {b}" for b in meta["bits"]) + " | runs |"
        lines += [header, "|" + "---|" * (2 * len(meta["bits"]) + 2)]
        for variant in meta["variants"]:
            cells, count = [], 0
            for task in ("map_i2t", "map_t2i"):
                for b in meta["bits"]:
                    vals = [r[task] for r in runs if r["dataset"] == name and r["variant"] == variant
                            and r["nbits"] == b]
                    count += len(vals)
                    if vals:
                        m, s = _mean_std(vals)
                        cells.append(f"{m:.4f} +- {s:.4f}")
                    else:
                        cells.append("-")
            lines.append(f"| {variant} | " + " | ".join(cells) + f" | {count // 2} |")
        # paired differences against the ablation (same seed, same bits)
        lines += ["", "Paired difference SSAH - no_adversarial (same seed and bits; mean +- std over seeds):", ""]
        for task in ("map_i2t", "map_t2i"):
            parts = []
            for b in meta["bits"]:
                diffs = []
                for seed in meta["seeds"]:
                    a = [r[task] for r in runs if (r["dataset"], r["variant"], r["nbits"], r["seed"])
                         == (name, "ssah", b, seed)]
                    z = [r[task] for r in runs if (r["dataset"], r["variant"], r["nbits"], r["seed"])
                         == (name, "no_adversarial", b, seed)]
                    if a and z:
                        diffs.append(a[0] - z[0])
                if diffs:
                    m, s = _mean_std(diffs)
                    parts.append(f"{b} bits {m:+.4f} +- {s:.4f}")
            lines.append(f"- {task.replace('map_', '').replace('2', '->').upper()}: " + "; ".join(parts))
        same = []
        for r in runs:
            if r["dataset"] == name and r["variant"] == "official_detached_adv":
                twin = [z for z in runs if (z["dataset"], z["variant"], z["nbits"], z["seed"])
                        == (name, "no_adversarial", r["nbits"], r["seed"])]
                if twin:
                    same.append(twin[0]["codes_sha256"] == r["codes_sha256"])
        if same:
            lines.append(f"- official_detached_adv codes bit-identical to no_adversarial in {sum(same)} of "
                         f"{len(same)} paired runs.")
        secs = [r["train_seconds"] for r in runs if r["dataset"] == name]
        if secs:
            lines.append(f"- training time per run: median {np.median(secs):.0f} s (min {min(secs):.0f}, "
                         f"max {max(secs):.0f}).")
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out-dir", default="bench-out/ssah_quality")
    p.add_argument("--data-dir", default="/work/shared/data/mirflickr25k",
                   help="folder with mirflickr25k-lall.mat and -yall.mat")
    p.add_argument("--datasets", default="synthetic,mirflickr25k-synthimg")
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--bits", default="16,32,64")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--epochs", type=int, default=25)
    p.add_argument("--n-train", type=int, default=2000)
    p.add_argument("--hidden-dim", type=int, default=1024)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"datasets": args.datasets.split(","), "variants": args.variants.split(","),
            "bits": [int(b) for b in args.bits.split(",")], "seeds": [int(s) for s in args.seeds.split(",")],
            "epochs": args.epochs, "n_train": args.n_train, "hidden_dim": args.hidden_dim,
            "batch_size": args.batch_size, "threads": args.threads, "torch": torch.__version__}
    json_path = out / "ssah_quality.json"
    results = json.loads(json_path.read_text()) if json_path.exists() else {"runs": []}
    results["meta"] = meta
    done = {(r["dataset"], r["variant"], r["nbits"], r["seed"]) for r in results["runs"]}
    for name in meta["datasets"]:
        kw = {"data_dir": args.data_dir} if name != "synthetic" else {}
        ds, base_split = load_protocol(name, **kw)
        for seed in meta["seeds"]:
            split = subsample_split(base_split, args.n_train, seed)
            for nbits in meta["bits"]:
                for variant in meta["variants"]:
                    key = (name, variant, nbits, seed)
                    if key in done:
                        continue
                    run, settings = configure("ssah", {"nbits": nbits, "seed": seed, "epochs": args.epochs,
                                                       "hidden_dim": args.hidden_dim, "batch_size": args.batch_size,
                                                       **VARIANTS[variant]})
                    run_dir = out / "runs" / f"{name}-{variant}-{nbits}-{seed}"
                    shutil.rmtree(run_dir, ignore_errors=True)
                    t0 = time.perf_counter()
                    path = train(ds, split, run_dir, method=settings, run=run).best_checkpoint
                    seconds = time.perf_counter() - t0
                    row = {"dataset": name, "variant": variant, "nbits": nbits, "seed": seed,
                           "train_seconds": seconds, "n_fit": int(split.fit.size), "n_val": int(split.val.size),
                           **evaluate(path, ds, split)}
                    shutil.rmtree(run_dir, ignore_errors=True)
                    results["runs"].append(row)
                    done.add(key)
                    with atomic_write(json_path, "w") as f:
                        json.dump(results, f, indent=1)
                    with atomic_write(out / "ssah_quality.md", "w") as f:
                        f.write(markdown(results, meta))
                    print(f"{name} {variant} {nbits} bits seed {seed}: I->T {row['map_i2t']:.4f} "
                          f"T->I {row['map_t2i']:.4f} (best epoch {row['best_epoch']}, {seconds:.0f} s)",
                          flush=True)
    print(markdown(results, meta))
    return 0


if __name__ == "__main__":
    sys.exit(main())
