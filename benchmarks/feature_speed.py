"""Image feature extraction throughput: images per second for ResNet-50 and CLIP ViT-B/32 (issue 16).

Two numbers per backbone, both at the standard input size (224 x 224 after the
backbone's own resize and centre crop), with random weights in the published
file format (throughput does not depend on the values):

- ``forward``: the network alone on preprocessed batches (``Backbone.encode_pixels``);
- ``end to end``: ``extract_image_features`` on a folder of JPEGs of
  MIRFlickr's typical size (500 x 375): decoding, preprocessing, the network,
  the chunk files and the final feature file.

torch runs on ``--threads`` threads (2 by default: this project's machine).
Divide MIRFlickr's 25,000 images by the end-to-end rate for the time a full
extraction takes on such a machine.  The CPU seconds per image are also
recorded: on a shared machine the wall-clock rate falls with the load, while
CPU time / threads estimates the rate on idle cores.

    python benchmarks/feature_speed.py --images 64 --batch-size 32 --repeats 3 --json bench-out/feature_speed.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import hashx
from hashx.features import extract_image_features, get_backbone, load_backbone
from _machine import cpu_model  # noqa: E402  (benchmarks/ is on sys.path when a script runs)

BACKBONES = ("resnet50", "clip-vit-b-32")


def _random_weights(name: str, path: Path) -> Path:
    """A weights file of ``name`` with seeded uniform values (the architecture's keys and shapes)."""
    from hashx.features._imports import import_open_clip, import_torchvision

    spec = get_backbone(name)
    with torch.device("meta"):
        if spec.family == "torchvision":
            model = getattr(import_torchvision().models, spec.arch)(weights=None)
        else:
            model = import_open_clip().create_model(spec.arch, pretrained=None, force_quick_gelu=True, device="meta")
    g = torch.Generator().manual_seed(0)
    state = {}
    for key, t in model.state_dict().items():
        if not t.is_floating_point():
            state[key] = torch.zeros(t.shape, dtype=t.dtype)
        elif t.dim() >= 2:
            state[key] = (torch.rand(t.shape, generator=g) * 2 - 1) * math.sqrt(3.0 / math.prod(t.shape[1:]))
        elif key.endswith(("weight", "running_var")) or t.dim() == 0:
            state[key] = torch.ones(t.shape)
        else:
            state[key] = torch.zeros(t.shape)
    torch.save(state, path)
    return path


def _jpegs(folder: Path, n: int) -> Path:
    from PIL import Image

    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    yy, xx = np.mgrid[0:375, 0:500]
    for i in range(n):
        base = np.stack([xx * 255 / 499, yy * 255 / 374, (xx + yy + 7 * i) % 256], axis=-1)
        pixels = np.clip(base + rng.normal(0, 25, base.shape), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"im{i + 1}.jpg", quality=90)
    return folder


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=64, help="images per timed run")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--backbones", default=",".join(BACKBONES))
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folder = _jpegs(tmp / "jpegs", args.images)
        for name in args.backbones.split(","):
            backbone = load_backbone(name, _random_weights(name, tmp / f"{name}.pth"))
            crop = backbone.preprocessing.crop
            pixels = np.random.default_rng(1).standard_normal((args.batch_size, 3, crop, crop)).astype(np.float32)
            backbone.encode_pixels(pixels)  # warm-up
            forward, e2e, cpu = [], [], []
            n_forward = math.ceil(args.images / args.batch_size) * args.batch_size
            for r in range(args.repeats):
                t0 = time.perf_counter()
                for _ in range(n_forward // args.batch_size):
                    backbone.encode_pixels(pixels)
                forward.append(n_forward / (time.perf_counter() - t0))
                t0, c0 = time.perf_counter(), time.process_time()
                extract_image_features(folder, backbone=backbone, out=tmp / f"{name}-{r}.npz",
                                       batch_size=args.batch_size, chunk_size=args.batch_size * 4)
                e2e.append(args.images / (time.perf_counter() - t0))
                cpu.append((time.process_time() - c0) / args.images)
            row = {"backbone": name, "dim": backbone.spec.dim, "input": f"{crop}x{crop}",
                   "forward_images_per_s": round(statistics.median(forward), 2),
                   "end_to_end_images_per_s": round(statistics.median(e2e), 2),
                   "forward_runs": [round(v, 2) for v in forward], "end_to_end_runs": [round(v, 2) for v in e2e],
                   "end_to_end_cpu_seconds_per_image": round(statistics.median(cpu), 3)}
            row["mirflickr_25000_minutes"] = round(25000 / row["end_to_end_images_per_s"] / 60, 1)
            # CPU time is what a busy machine cannot steal: on idle cores the wall time is about
            # CPU time / threads (a lower bound on the wall time; threads rarely scale perfectly)
            row["mirflickr_25000_minutes_idle_estimate"] = round(
                25000 * row["end_to_end_cpu_seconds_per_image"] / args.threads / 60, 1)
            rows.append(row)
            print(f"{name:14s} forward {row['forward_images_per_s']:7.2f} img/s   end to end "
                  f"{row['end_to_end_images_per_s']:7.2f} img/s ({row['end_to_end_cpu_seconds_per_image']} CPU s/img)"
                  f"   MIRFlickr 25,000 images: {row['mirflickr_25000_minutes']} min "
                  f"(idle {args.threads} cores: ~{row['mirflickr_25000_minutes_idle_estimate']} min)", flush=True)

    result = {"benchmark": "feature_speed", "hashx_version": hashx.__version__, "torch": torch.__version__,
              "threads": args.threads, "images": args.images, "batch_size": args.batch_size,
              "repeats": args.repeats, "cpu": cpu_model(), "cores": os.cpu_count(), "date": time.strftime("%Y-%m-%d"),
              "load_average_after": [round(v, 2) for v in os.getloadavg()],
              "image_size": "500x375 JPEG (quality 90)", "weights": "random, seed 0 (throughput only)",
              "rows": rows}
    print()
    print("| backbone | dim | forward (img/s) | end to end (img/s) | CPU s / image | MIRFlickr 25,000 images "
          "| same, idle cores (from CPU time) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['backbone']} | {r['dim']} | {r['forward_images_per_s']} | {r['end_to_end_images_per_s']} | "
              f"{r['end_to_end_cpu_seconds_per_image']} | {r['mirflickr_25000_minutes']} min | "
              f"~{r['mirflickr_25000_minutes_idle_estimate']} min |")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
