"""The --dataset / --data-dir / --split-seed options shared by train, bench and data."""

from __future__ import annotations

import click

from ._choices import RegistryChoice

__all__ = ["dataset_options"]


def dataset_options(func):
    """Add ``--dataset``, ``--data-dir`` and ``--split-seed`` to a command."""
    func = click.option("--split-seed", type=click.IntRange(min=0), default=0, show_default=True,
                        help="Seed of the protocol's split; 0 uses the shipped split file where one exists "
                             "(mirflickr25k, nuswide-tc21).")(func)
    func = click.option("--data-dir", type=click.Path(file_okay=True, dir_okay=True), default=None,
                        help="Folder with the dataset's files under their usual names (a .npz/.h5 file for "
                             "--dataset files). Default: $HASHX_DATA_DIR/<dataset>; not needed for synthetic.")(func)
    func = click.option("--dataset", required=True, type=RegistryChoice("hashx.data:list_protocols"),
                        help="Named protocol (dataset + split).")(func)
    return func
