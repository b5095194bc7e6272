"""``hashx data``: inspect datasets, write, verify and export protocol splits."""

from __future__ import annotations

from pathlib import Path

import click

from .._dataset_options import dataset_options
from .._output import echo_json, echo_table, json_option

__all__ = ["command"]


@click.group("data", context_settings={"help_option_names": ["-h", "--help"]})
def command():
    """Inspect datasets, write, verify and export protocol splits.

    \b
    Example:
      hashx data inspect --dataset mirflickr25k --data-dir ~/data/mirflickr25k
      hashx data export --dataset synthetic --out demo/data
    """


@command.command("inspect")
@dataset_options
@json_option
def inspect_(dataset, data_dir, split_seed, split_sizes, as_json):
    """Print a dataset's shapes, label statistics and protocol split sizes.

    \b
    Example:
      hashx data inspect --dataset synthetic
      hashx data inspect --dataset nuswide-tc21 --data-dir ~/data/nuswide --json
    """
    from hashx.data import dataset_summary, load_protocol

    ds, split = load_protocol(dataset, data_dir, seed=split_seed, **split_sizes)
    info = dataset_summary(ds, split, protocol=dataset)
    if as_json:
        echo_json(info)
        return
    rows = [["items", info["items"]],
            ["image", f"{ds.image_kind} {tuple(ds.image.shape)}"],
            ["text", f"{tuple(ds.text.shape)}{' sparse' if info['text']['sparse'] else ''}, "
                     f"{info['text']['nonzeros_per_item']} non-zeros per item"],
            ["labels", f"{info['labels']['n_labels']} labels, {info['labels']['labels_per_item_mean']} per item "
                       f"(max {info['labels']['labels_per_item_max']}), "
                       f"{info['labels']['items_without_label']} items without a label"],
            ["split", ", ".join(f"{k} {v}" for k, v in split.sizes().items()) + f" (seed {split.seed})"],
            ["split sha256", split.sha256]]
    echo_table(["", dataset], rows)
    if ds.notes:
        click.echo(f"note: {ds.notes}")


@command.command("split")
@dataset_options
@click.option("--out", required=True, type=click.Path(dir_okay=False),
              help="Split file to write (.json or .npz).")
def split_(dataset, data_dir, split_seed, split_sizes, out):
    """Write the protocol's split (query/retrieval/train/val indices) to a file.

    \b
    Example:
      hashx data split --dataset mirflickr25k --data-dir ~/data/mirflickr25k --split-seed 1 --out split-seed1.json
    """
    from hashx.data import load_protocol

    _, split = load_protocol(dataset, data_dir, seed=split_seed, **split_sizes)
    path = split.save(out)
    click.echo(f"wrote {path} ({', '.join(f'{k} {v}' for k, v in split.sizes().items())}; sha256 {split.sha256})")


@command.command("verify")
@dataset_options
@click.option("--split", "split_path", type=click.Path(dir_okay=False), default=None,
              help="Split file to verify (default: the protocol's split for --split-seed).")
def verify(dataset, data_dir, split_seed, split_sizes, split_path):
    """Verify a split file: checksum, sizes, and that it fits the dataset.

    Exits 1 with the reason when the file is corrupted, edited, or does not
    fit the dataset (wrong size, overlapping query and training items).

    \b
    Example:
      hashx data verify --dataset mirflickr25k --data-dir ~/data/mirflickr25k --split split-seed1.json
    """
    from hashx.data import Split, load_protocol, verify_split

    ds, expected = load_protocol(dataset, data_dir, seed=split_seed, **split_sizes)
    split = Split.load(split_path) if split_path else expected
    result = verify_split(dataset, ds, split, reference=expected)
    same = "identical to" if result["same_as_reference"] else "differs from"
    click.echo(f"OK: {split_path or 'protocol split'} is valid for {dataset} "
               f"({', '.join(f'{k} {v}' for k, v in result['sizes'].items())}); sha256 {result['sha256']}, "
               f"{same} the protocol's split for split seed {split_seed}")


@command.command("export")
@dataset_options
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write into.")
def export(dataset, data_dir, split_seed, split_sizes, out):
    """Write a protocol's query and retrieval sets as generic .npz files.

    Writes OUT/query.npz, OUT/retrieval.npz and OUT/train.npz (arrays image,
    text, labels, ids; see "generic files" in the README) and OUT/split.json,
    ready for `hashx encode` and `hashx eval`.

    \b
    Example:
      hashx data export --dataset synthetic --out demo/data
    """
    from hashx.data import load_protocol, save_generic

    ds, split = load_protocol(dataset, data_dir, seed=split_seed, **split_sizes)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for part in ("query", "retrieval", "train"):
        save_generic(out / f"{part}.npz", ds.subset(getattr(split, part)))
    split.save(out / "split.json")
    click.echo(f"wrote {out}/query.npz, retrieval.npz, train.npz and split.json "
               f"({', '.join(f'{k} {v}' for k, v in split.sizes().items())})")
    if ds.notes:
        click.echo(f"note: {ds.notes}")


from .data_features import register_feature_commands  # noqa: E402  (features, text-features, assemble, backbones)
register_feature_commands(command)
