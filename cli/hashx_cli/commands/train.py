"""``hashx train``: train one model per bit length on a named protocol."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .._config_options import build_config, config_options
from .._dataset_options import dataset_options
from .._output import echo_table, parse_int_list, progress_bar, quiet_option

__all__ = ["command"]


@click.command("train", context_settings={"help_option_names": ["-h", "--help"]})
@dataset_options
@click.option("--method", default="ssah", show_default=True, help="Training method (hashx.methods.list_methods()).")
@click.option("--bits", default="16,32,64", show_default=True, help="Comma-separated code lengths.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Training seed.")
@config_options
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for the runs.")
@click.option("--resume", is_flag=True, help="Continue interrupted runs in --out from their last checkpoint.")
@quiet_option
def command(dataset, data_dir, split_seed, split_sizes, method, bits, seed, config_path, overrides, epochs, device, out,
            resume, quiet):
    """Train METHOD on a dataset protocol, one model per bit length.

    Writes OUT/split.json (the split, with its sha256) and, per bit length,
    OUT/<method>-<bits>bits/ with model-best.pt (the model selected on the
    validation split, for `hashx encode`), checkpoint-last.pt (for --resume)
    and config.json (the resolved settings).  The query set is never used.

    \b
    Example:
      hashx train --dataset synthetic --bits 32 --epochs 10 --out runs/demo
      hashx train --dataset mirflickr25k --data-dir ~/data/mirflickr25k --bits 16,32,64 \\
                  --set alignment=grl --out runs/mir-grl
    """
    from hashx._atomic import atomic_write
    from hashx.data import load_protocol
    from hashx.train import train

    bit_list = parse_int_list(bits, "--bits")
    configs = [build_config(config_path=config_path, overrides=overrides, epochs=epochs, device=device,
                            method=method, nbits=b, seed=seed) for b in bit_list]
    ds, split = load_protocol(dataset, data_dir, seed=split_seed, **split_sizes)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    split.save(out / "split.json")
    if ds.notes and not quiet:
        click.echo(f"note: {ds.notes}", err=True)
    rows = []
    for config in configs:
        run_dir = out / f"{config.method}-{config.nbits}bits"
        run_dir.mkdir(exist_ok=True)
        with atomic_write(run_dir / "config.json", "w") as f:
            json.dump({**config.to_dict(), "dataset": dataset, "split_sha256": split.sha256}, f, indent=2)
        with progress_bar(total=config.epochs, desc=f"{config.nbits} bits", quiet=quiet, unit="epoch") as bar:
            def progress(report, bar=bar):
                bar.update(1)
                if report.best_score is not None:
                    bar.set_postfix(best_val_map=f"{report.best_score:.4f}", refresh=False)

            best = train(ds, split, config, run_dir, resume=resume, progress=progress)
        ckpt = _summary(best)
        rows.append([config.nbits, ckpt["epoch"], ckpt["i2t"], ckpt["t2i"], str(best)])
    if not quiet:
        echo_table(["bits", "best epoch", "val MAP I->T", "val MAP T->I", "checkpoint"], rows)


def _summary(path):
    from hashx.train import load_checkpoint

    ckpt = load_checkpoint(path)
    metrics = ckpt.get("metrics") or {}
    fmt = lambda v: "-" if v is None else f"{v:.4f}"  # noqa: E731
    return {"epoch": ckpt.get("epoch", "-") + 1 if isinstance(ckpt.get("epoch"), int) else "-",
            "i2t": fmt(metrics.get("val_map_i2t")), "t2i": fmt(metrics.get("val_map_t2i"))}
