"""``hashx bench``: the paper-style table of methods x bits x seeds on one protocol."""

from __future__ import annotations

from pathlib import Path

import click

from .._choices import RegistryChoice
from .._config_options import parse_overrides
from .._dataset_options import dataset_options
from .._launch import command_argv, launch_workers, nproc_option
from .._output import parse_int_list, progress_bar, quiet_option

__all__ = ["command"]


@click.command("bench", context_settings={"help_option_names": ["-h", "--help"]})
@dataset_options
@click.option("--methods", default="ssah", show_default=True,
              help="Comma-separated methods or variants (hashx.experiments.method_names(): every registered "
                   "method, and ssah-noadv, ssah-grl, ssah-official, ...).")
@click.option("--bits", default="16,32,64", show_default=True, help="Comma-separated code lengths.")
@click.option("--seeds", type=click.IntRange(min=1), default=3, show_default=True,
              help="Training seeds per setting (0 .. N-1); the split stays the protocol's.")
@click.option("--epochs", type=click.IntRange(min=1), default=None, help="Training epochs (default: 40).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="A setting for every run it applies to, e.g. --set batch_size=64 or --set ssah.delta=0.1 "
                   "(a bare method setting applies to each listed method that has it). Repeatable.")
@click.option("--db-codes", type=RegistryChoice("hashx.experiments:list_db_codes"), default="features",
              show_default=True,
              help="Code the retrieval set from its features (features), or give its training items the codes "
                   "the method learned for them (learned: DCMH's/SCRATCH's B, SSAH's label-network codes), as "
                   "several published evaluations do. Written into every record and the table caption.")
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda or cuda:N.")
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Folder for results.json, results.md, plots/ and the runs.")
@nproc_option
@quiet_option
@click.pass_context
def command(ctx, dataset, data_dir, split_seed, split_sizes, methods, bits, seeds, epochs, overrides, db_codes, device,
            out, nproc, quiet):
    """Train and evaluate each method x bits x seed; write the paper-style table.

    Writes OUT/results.json (one record per run and direction: dataset,
    protocol, method, bits, seed, direction, map, map_at, train_seconds, ...),
    OUT/results.md (rows = methods, columns = direction x bits, MAP@all
    mean ± std over seeds), OUT/plots/ (PR and precision@k curves) and
    OUT/runs/ (checkpoints and code files).  Finished runs found in
    OUT/results.json are not repeated, so an interrupted bench resumes.
    Every run's settings are checked before the first one starts.

    \b
    Example:
      hashx bench --dataset synthetic --methods ssah,ssah-noadv --bits 16,32 --seeds 2 --epochs 10 --out bench/
      hashx bench --dataset mirflickr25k --data-dir ~/data/mirflickr25k --bits 16,32,64 --out bench-mir/
    """
    from hashx._atomic import atomic_write
    from hashx.data import load_protocol
    from hashx.experiments import plan_runs, plot_benchmark_curves, read_records, results_table, run_benchmark
    from hashx.experiments.runner import RESULTS_FILE
    from hashx.train import Distribution, resolve_device

    method_list = [m.strip() for m in methods.split(",") if m.strip()]
    bit_list = parse_int_list(bits, "--bits")
    extra = parse_overrides(overrides)
    plan_runs(method_list, bit_list, seeds, epochs=epochs, overrides=extra)  # every setting checked up front
    resolve_device(device, caller="hashx bench")
    out = Path(out)
    read_records(out / RESULTS_FILE)  # a corrupted results file fails before any training
    if nproc > 1:  # every setting is checked; the workers run this same command
        launch_workers(command_argv(ctx), nproc)
        return
    dist = Distribution.from_env(device=device)
    quiet = quiet or not dist.is_main
    ds, split = load_protocol(dataset, data_dir, seed=split_seed, **split_sizes)
    if ds.notes and not quiet:
        click.echo(f"note: {ds.notes}", err=True)
    total = len(method_list) * len(bit_list) * seeds
    with progress_bar(total=total, desc="runs", quiet=quiet, unit="run") as bar:
        def progress(summary):
            bar.update(1)
            bar.set_postfix(last=f"{summary['method']} {summary['bits']}b I->T {summary['image->text']:.3f}",
                            refresh=False)

        records = run_benchmark(ds, split, protocol=dataset, methods=method_list, bits=bit_list, seeds=seeds,
                                out_dir=out, epochs=epochs, overrides=extra, device=device, db_codes=db_codes,
                                progress=progress, distribution=dist)
    if not dist.is_main:
        return
    table = results_table(records)
    with atomic_write(out / "results.md", "w") as f:
        f.write(table)
    plots = plot_benchmark_curves(records, out / "plots")
    click.echo(table, nl=False)
    if not quiet:
        click.echo(f"wrote {out / 'results.json'}, {out / 'results.md'} and {len(plots)} plots in {out / 'plots'}",
                   err=True)
