"""``hashx bench``: the paper-style table of methods x bits x seeds on one protocol."""

from __future__ import annotations

from pathlib import Path

import click

from .._dataset_options import dataset_options
from .._output import parse_int_list, progress_bar, quiet_option

__all__ = ["command"]


@click.command("bench", context_settings={"help_option_names": ["-h", "--help"]})
@dataset_options
@click.option("--methods", default="ssah", show_default=True,
              help="Comma-separated methods or variants: ssah, ssah-noadv, ssah-grl, ssah-official "
                   "(all three official-code deviations), ssah-squared, ssah-detached, ssah-selfsign.")
@click.option("--bits", default="16,32,64", show_default=True, help="Comma-separated code lengths.")
@click.option("--seeds", type=click.IntRange(min=1), default=3, show_default=True,
              help="Training seeds per setting (0 .. N-1); the split stays the protocol's.")
@click.option("--epochs", type=click.IntRange(min=1), default=None, help="Training epochs (default: 40).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Training setting for every run, e.g. --set batch_size=64 (repeatable).")
@click.option("--device", default=None, help="cpu (default), cuda or cuda:N.")
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Folder for results.json, results.md, plots/ and the runs.")
@quiet_option
def command(dataset, data_dir, split_seed, split_sizes, methods, bits, seeds, epochs, overrides, device, out, quiet):
    """Train and evaluate each method x bits x seed; write the paper-style table.

    Writes OUT/results.json (one record per run and direction: dataset,
    protocol, method, bits, seed, direction, map, map_at, train_seconds, ...),
    OUT/results.md (rows = methods, columns = direction x bits, MAP@all
    mean ± std over seeds), OUT/plots/ (PR and precision@k curves) and
    OUT/runs/ (checkpoints and code files).  Finished runs found in
    OUT/results.json are not repeated, so an interrupted bench resumes.

    \b
    Example:
      hashx bench --dataset synthetic --methods ssah,ssah-noadv --bits 16,32 --seeds 2 --epochs 10 --out bench/
      hashx bench --dataset mirflickr25k --data-dir ~/data/mirflickr25k --bits 16,32,64 --out bench-mir/
    """
    from hashx._atomic import atomic_write
    from hashx.data import load_protocol
    from hashx.experiments import plot_benchmark_curves, resolve_method, results_table, run_benchmark

    from .._config_options import build_config

    method_list = [m.strip() for m in methods.split(",") if m.strip()]
    for m in method_list:
        resolve_method(m)  # unknown names fail before any data is read
    bit_list = parse_int_list(bits, "--bits")
    extra = build_config(config_path=None, overrides=overrides, epochs=None, device=device).to_dict()
    from hashx.train import TrainConfig

    defaults = TrainConfig().to_dict()
    extra = {k: v for k, v in extra.items() if v != defaults[k]}
    ds, split = load_protocol(dataset, data_dir, seed=split_seed, **split_sizes)
    if ds.notes and not quiet:
        click.echo(f"note: {ds.notes}", err=True)
    out = Path(out)
    total = len(method_list) * len(bit_list) * seeds
    with progress_bar(total=total, desc="runs", quiet=quiet, unit="run") as bar:
        def progress(summary):
            bar.update(1)
            bar.set_postfix(last=f"{summary['method']} {summary['bits']}b I->T {summary['image->text']:.3f}",
                            refresh=False)

        records = run_benchmark(ds, split, protocol=dataset, methods=method_list, bits=bit_list, seeds=seeds,
                                out_dir=out, epochs=epochs, overrides=extra, progress=progress)
    table = results_table(records)
    with atomic_write(out / "results.md", "w") as f:
        f.write(table)
    plots = plot_benchmark_curves(records, out / "plots")
    click.echo(table, nl=False)
    if not quiet:
        click.echo(f"wrote {out / 'results.json'}, {out / 'results.md'} and {len(plots)} plots in {out / 'plots'}",
                   err=True)
