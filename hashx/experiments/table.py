"""results_table: the paper-style markdown table of benchmark records."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

__all__ = ["results_table"]


def results_table(records, *, directions=("image->text", "text->image"), metric: str = "map") -> str:
    """Markdown table: rows = methods, columns = direction x bits, ``mean +- std`` over seeds.

    Parameters
    ----------
    records : list of dict
        As returned by :func:`~hashx.experiments.run_benchmark`.
    directions : sequence of str
        Directions to show, in order.
    metric : str, default="map"
        Record key to tabulate (``"map"`` is MAP@all).

    Returns
    -------
    str
        The table, preceded by a line naming the dataset, protocol, metric and
        number of seeds, and followed by the dataset's provenance note if any.
    """
    values = defaultdict(list)
    methods, bits = [], []
    for r in records:
        if r["direction"] not in directions:
            continue
        values[r["method"], r["direction"], r["bits"]].append(r[metric])
        methods += [r["method"]] if r["method"] not in methods else []
        bits += [r["bits"]] if r["bits"] not in bits else []
    bits.sort()
    if not values:
        return "(no results)\n"
    seeds = sorted({r["seed"] for r in records})
    first = records[0]
    db = sorted({r.get("db_codes", "features") for r in records})
    header = ["method"] + [f"{d.replace('image', 'I').replace('text', 'T').replace('->', '→')} {b}" for d in directions
                           for b in bits]
    lines = [f"{first['dataset']} ({first['protocol']}), {metric.upper() if metric == 'map' else metric}@all over "
             f"{len(seeds)} seed(s), mean ± std; database coded by {' and '.join(db)} codes", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for m in methods:
        cells = []
        for d in directions:
            for b in bits:
                v = values.get((m, d, b))
                cells.append("–" if not v else f"{np.mean(v):.4f} ± {np.std(v):.4f}" if len(v) > 1
                             else f"{v[0]:.4f}")
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    notes = {r.get("notes") for r in records if r.get("notes")}
    if notes:
        lines += [""] + [f"Note: {n}" for n in sorted(notes)]
    return "\n".join(lines) + "\n"
