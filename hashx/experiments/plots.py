"""plot_benchmark_curves: PR and precision@k figures of benchmark records."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

__all__ = ["plot_benchmark_curves"]


def plot_benchmark_curves(records, out_dir, *, directions=("image->text", "text->image")) -> list[Path]:
    """One PR figure and one precision@k figure per direction and bit length.

    Each method's curve is the mean over its seeds.  Files are named
    ``pr-<direction>-<bits>bits.png`` and ``pk-<direction>-<bits>bits.png``
    (direction written as ``i2t``, ``t2i``, ...).  Needs matplotlib.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    from ..plots import plot_pr_curves, plot_precision_at_k

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    groups = defaultdict(lambda: defaultdict(list))
    for r in records:
        if r["direction"] in directions:
            groups[r["direction"], r["bits"]][r["method"]].append(r)
    written = []
    for (direction, nbits), by_method in sorted(groups.items()):
        tag = direction.replace("image", "i").replace("text", "t").replace("->", "2")
        pr, pk = {}, {}
        for method, runs in by_method.items():
            pr[method] = (np.mean([r["pr_curve"]["precision"] for r in runs], axis=0),
                          np.mean([r["pr_curve"]["recall"] for r in runs], axis=0))
            pk[method] = (runs[0]["precision_curve"]["k"],
                          np.mean([r["precision_curve"]["precision"] for r in runs], axis=0))
        written.append(plot_pr_curves(pr, out_dir / f"pr-{tag}-{nbits}bits.png",
                                      title=f"{direction}, {nbits} bits: PR by Hamming radius"))
        written.append(plot_precision_at_k(pk, out_dir / f"pk-{tag}-{nbits}bits.png",
                                           title=f"{direction}, {nbits} bits: precision@k"))
    return written
