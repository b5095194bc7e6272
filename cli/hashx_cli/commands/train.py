"""``hashx train``: train one model per bit length on a named protocol."""

from __future__ import annotations

import click

from .._choices import RegistryChoice
from .._config_options import config_options, settings_from_options
from .._dataset_options import dataset_options
from .._launch import command_argv, launch_workers, nproc_option
from .._output import echo_table, parse_int_list, progress_bar, quiet_option

__all__ = ["command"]


@click.command("train", context_settings={"help_option_names": ["-h", "--help"]})
@dataset_options
@click.option("--method", type=RegistryChoice("hashx.experiments:method_names"), default=None,
              help="Training method or variant (default: ssah, or the method of --config).")
@click.option("--bits", default=None, help="Comma-separated code lengths (default: 16,32,64).")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Training seed (default: 0).")
@config_options
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for the runs.")
@click.option("--resume", is_flag=True, help="Continue interrupted runs in --out from their last checkpoint.")
@nproc_option
@quiet_option
@click.pass_context
def command(ctx, dataset, data_dir, split_seed, split_sizes, method, bits, seed, config_path, overrides, epochs, device,
            out, resume, nproc, quiet):
    """Train METHOD on a dataset protocol, one model per bit length.

    Writes OUT/split.json (the split, with its sha256) and, per bit length,
    OUT/<method>-<bits>bits/ with model-best.pt (the model selected on the
    validation split, for `hashx encode`), checkpoint-last.pt (for --resume)
    and config.json (the run and method settings; pass it to --config to
    train the same way again).  The query set is never used.

    With --nproc N (or under torchrun) the training is data-parallel: each
    global batch is split over the workers and their gradients averaged
    (hashx.train.distributed); rank 0 writes the files.

    \b
    Example:
      hashx train --dataset synthetic --bits 32 --epochs 10 --out runs/demo
      hashx train --dataset mirflickr25k --data-dir ~/data/mirflickr25k --bits 16,32,64 \\
                  --set ssah.alignment=grl --out runs/mir-grl
      hashx train --dataset synthetic --bits 32 --nproc 2 --out runs/ddp
      torchrun --nnodes 2 --nproc-per-node 4 --rdzv-backend c10d --rdzv-endpoint HOST:29400 \\
               -m hashx train --dataset mirflickr25k --data-dir DIR --bits 64 --out runs/mir
    """
    from hashx.data import load_protocol
    from hashx.train import Distribution, train_bits

    bit_list = None if bits is None else parse_int_list(bits, "--bits")
    run, settings, bit_list = settings_from_options(method=method, config_path=config_path, overrides=overrides,
                                                    flags={"seed": seed, "epochs": epochs}, bits=bit_list)
    if nproc > 1:  # every option was checked above; the workers run this same command
        launch_workers(command_argv(ctx), nproc)
        return
    dist = Distribution.from_env(device=device)
    quiet = quiet or not dist.is_main
    ds, split = load_protocol(dataset, data_dir, seed=split_seed, **split_sizes)
    if ds.notes and not quiet:
        click.echo(f"note: {ds.notes}", err=True)
    bars = {}

    def progress(nbits, report):
        if nbits not in bars:
            for bar in bars.values():
                bar.close()
            bars[nbits] = progress_bar(total=report.epochs, desc=f"{nbits} bits", quiet=quiet, unit="epoch")
        bars[nbits].update(1)
        if report.best_score is not None:
            bars[nbits].set_postfix(best_val_map=f"{report.best_score:.4f}", refresh=False)

    try:
        results = train_bits(ds, split, out, method=settings, run=run, bits=bit_list, device=device, resume=resume,
                             progress=progress, distribution=dist)
    finally:
        for bar in bars.values():
            bar.close()
    fmt = lambda v: "-" if v is None else f"{v:.4f}"  # noqa: E731
    rows = [[r.run.nbits, "-" if r.best_epoch is None else r.best_epoch + 1, fmt(r.val_map_i2t), fmt(r.val_map_t2i),
             str(r.best_checkpoint)] for r in results]
    if not quiet:
        echo_table(["bits", "best epoch", "val MAP I->T", "val MAP T->I", "checkpoint"], rows)
