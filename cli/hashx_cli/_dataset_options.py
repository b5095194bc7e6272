"""The --dataset / --data-dir / --split-seed options shared by train, bench and data."""

from __future__ import annotations

import functools

import click

from ._choices import RegistryChoice

__all__ = ["dataset_options"]


def dataset_options(func):
    """Add ``--dataset``, ``--data-dir``, ``--split-seed``, ``--preset`` and ``--n-query/--n-train/--n-val``.

    The command receives ``dataset``, ``data_dir``, ``split_seed`` and
    ``split_sizes``, the keyword arguments of ``load_protocol`` for the sizes
    given (``{}`` when none).  ``--dataset synthetic --preset P`` reaches the
    command as ``dataset=P`` for a preset other than ``default``
    (``hashx.data.resolve_protocol``), so results name the protocol they used.
    """

    command = func

    @functools.wraps(command)
    def with_protocol(*args, dataset, preset, n_query, n_train, n_val, **kwargs):
        from hashx.data import resolve_protocol

        sizes = {k: v for k, v in (("n_query", n_query), ("n_train", n_train), ("n_val", n_val)) if v is not None}
        return command(*args, dataset=resolve_protocol(dataset, preset=preset), split_sizes=sizes, **kwargs)

    func = click.option("--n-val", type=click.IntRange(min=0), default=None,
                        help="--dataset files only: validation items, carved from the training set "
                             "(default: min(1000, n_train // 10)).")(with_protocol)
    func = click.option("--n-train", type=click.IntRange(min=1), default=None,
                        help="--dataset files only: training items, drawn from the retrieval set "
                             "(default: all of it).")(func)
    func = click.option("--n-query", type=click.IntRange(min=1), default=None,
                        help="--dataset files only: query items; the rest form the retrieval set "
                             "(default: 10% of the items). Other protocols have fixed sizes.")(func)
    func = click.option("--preset", type=RegistryChoice("hashx.data.synthetic:SYNTHETIC_PRESETS"), default=None,
                        help="--dataset synthetic only: generator preset; 'wiki-like' (10 classes, 128-d "
                             "visual-word counts, 10-d topics, 693 query / 2,173 train) is the same as "
                             "--dataset wiki-like.")(func)
    func = click.option("--split-seed", type=click.IntRange(min=0), default=0, show_default=True,
                        help="Seed of the protocol's split; 0 uses the shipped split file where one exists "
                             "(mirflickr25k, nuswide-tc21, digits-halves, digits-quadrants).")(func)
    func = click.option("--data-dir", type=click.Path(file_okay=True, dir_okay=True), default=None,
                        help="Folder with the dataset's files under their usual names (a .npz/.h5 file for "
                             "--dataset files). Default: $HASHX_DATA_DIR/<dataset>; not needed for synthetic, "
                             "wiki-like and digits-*.")(func)
    func = click.option("--dataset", required=True, type=RegistryChoice("hashx.data:list_protocols"),
                        help="Named protocol (dataset + split).")(func)
    return func
