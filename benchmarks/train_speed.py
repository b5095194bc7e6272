"""SSAH training speed: seconds per epoch and the fraction of the machine's matmul FLOP/s reached.

Setting (issue 5): 10,000 training pairs, 4,096-d image features, 1,386-d tags
(24 labels, from ``hashx.data.synthetic.make_synthetic``), 64 bits, the default
settings (hidden width 4,096, batch 128, one pass per network per epoch,
alternating GAN alignment).

1. Matmul peak: the best FLOP/s of ``torch.mm`` over square (2048^3) and
   training-shaped products (batch 128 against 8,316 x 4,096 etc.), median of
   ``--repeats`` timings each, in this process and thread count.
2. FLOPs of an epoch: one epoch run under ``torch.utils.flop_counter.FlopCounterMode``,
   which counts the matrix products (mm, addmm, bmm, convolutions) of the
   forward *and* backward passes, i.e. exactly the "forward+backward matmul FLOPs".
3. Seconds per epoch: the median of ``--epochs`` timed epochs (uninstrumented),
   training only (no validation, no checkpoint).

Fraction = (FLOPs per epoch / seconds per epoch) / matmul peak.

Example::

    python benchmarks/train_speed.py --json bench-out/train_speed.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from hashx.data.synthetic import make_synthetic
from hashx.methods import configure
from hashx.train import FitData


def matmul_peak(repeats: int) -> dict:
    shapes = {"2048x2048x2048": (2048, 2048, 2048), "128x8316x4096": (128, 8316, 4096),
              "128x4096x4096": (128, 4096, 4096), "8316x128x4096 (weight grad)": (8316, 128, 4096)}
    out = {}
    for name, (m, k, n) in shapes.items():
        a, b = torch.randn(m, k), torch.randn(k, n)
        torch.mm(a, b)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            torch.mm(a, b)
            times.append(time.perf_counter() - t0)
        out[name] = 2.0 * m * k * n / float(np.median(times))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n-pairs", type=int, default=10000)
    p.add_argument("--image-dim", type=int, default=4096)
    p.add_argument("--text-dim", type=int, default=1386)
    p.add_argument("--nbits", type=int, default=64)
    p.add_argument("--epochs", type=int, default=2, help="timed epochs (median reported)")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--alignment", default="gan")
    p.add_argument("--json", default="bench-out/train_speed.json")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)

    peak = matmul_peak(args.repeats)
    best = max(peak.values())
    ds = make_synthetic(n_items=args.n_pairs, n_labels=24, image_dim=args.image_dim, text_dim=args.text_dim,
                        seed=0)
    # the issue-5 setting, fixed (not the data-driven defaults): SSAH's widths, text fusion and input norms
    run, settings = configure("ssah", {"nbits": args.nbits, "alignment": args.alignment, "epochs": args.epochs + 1,
                                       "hidden_dim": 4096, "text_net": "text_net", "image_norm": "standardize",
                                       "text_norm": "rms"})
    device = torch.device("cpu")
    data = FitData(ds, np.arange(args.n_pairs), device=device)
    method = settings.build(run=run, data=data, device=device)
    method.setup(data)

    counter = FlopCounterMode(display=False)
    t0 = time.perf_counter()
    with counter:
        method.train_epoch(0, data)
    counted_seconds = time.perf_counter() - t0
    flops = counter.get_total_flops()

    times = []
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        method.train_epoch(epoch, data)
        times.append(time.perf_counter() - t0)
    seconds = float(np.median(times))
    achieved = flops / seconds
    result = {
        "setting": {"n_pairs": args.n_pairs, "image_dim": args.image_dim, "text_dim": args.text_dim,
                    "nbits": args.nbits, "hidden_dim": settings.hidden_dim, "batch_size": run.batch_size,
                    "alignment": args.alignment, "threads": args.threads, "torch": torch.__version__},
        "matmul_flops_per_s": peak,
        "matmul_peak_flops_per_s": best,
        "epoch_seconds": times,
        "epoch_seconds_median": seconds,
        "instrumented_epoch_seconds": counted_seconds,
        "matmul_flops_per_epoch": flops,
        "achieved_flops_per_s": achieved,
        "fraction_of_matmul_peak": achieved / best,
    }
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=1))
    print(f"matmul peak: {best / 1e9:.1f} GFLOP/s  ({', '.join(f'{k}: {v / 1e9:.1f}' for k, v in peak.items())})")
    print(f"epoch ({args.n_pairs} pairs, {args.image_dim}-d images, {args.text_dim}-d tags, {args.nbits} bits): "
          f"median {seconds:.1f} s over {args.epochs} epochs {['%.1f' % t for t in times]}")
    print(f"matmul FLOPs per epoch (forward+backward): {flops / 1e12:.2f} TFLOP -> {achieved / 1e9:.1f} GFLOP/s "
          f"= {100 * achieved / best:.0f}% of the matmul peak")
    return 0


if __name__ == "__main__":
    sys.exit(main())
