"""What a dataset and its split hold (``hashx data inspect``), and whether a split fits (``hashx data verify``)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..exceptions import DataFormatError
from .dataset import CrossModalDataset
from .protocols import get_protocol
from .split import Split

__all__ = ["dataset_summary", "verify_split"]


def _label_stats(labels: np.ndarray) -> dict:
    per_item = labels.sum(axis=1)
    return {
        "n_labels": int(labels.shape[1]),
        "labels_per_item_mean": round(float(per_item.mean()), 3) if labels.shape[0] else 0.0,
        "labels_per_item_max": int(per_item.max()) if labels.shape[0] else 0,
        "items_without_label": int((per_item == 0).sum()),
        "items_per_label": labels.sum(axis=0).astype(np.int64).tolist(),
    }


def dataset_summary(dataset: CrossModalDataset, split: Split, *, protocol: str) -> dict:
    """Shapes, label statistics and split sizes of a protocol's dataset, as plain values.

    Returns
    -------
    dict
        ``dataset``, ``items``, ``image`` (kind, shape), ``text`` (shape,
        sparse, non-zeros per item), ``labels`` (count, per item mean and max,
        items without a label, items per label), ``split`` (sizes, protocol,
        seed, sha256) and ``notes``.
    """
    n = len(dataset)
    text_nnz = dataset.text.nnz if sp.issparse(dataset.text) else int(np.count_nonzero(dataset.text))
    return {
        "dataset": protocol,
        "items": n,
        "image": {"kind": dataset.image_kind, "shape": list(dataset.image.shape)},
        "text": {"shape": list(dataset.text.shape), "sparse": bool(sp.issparse(dataset.text)),
                 "nonzeros_per_item": round(text_nnz / max(n, 1), 3)},
        "labels": _label_stats(dataset.labels),
        "split": {**split.sizes(), "protocol": split.protocol, "seed": split.seed, "sha256": split.sha256},
        "notes": dataset.notes,
    }


def verify_split(protocol: str, dataset: CrossModalDataset, split: Split, *, reference: Split) -> dict:
    """Check that ``split`` is a valid split of ``protocol`` for ``dataset``.

    Parameters
    ----------
    protocol : str
    dataset : CrossModalDataset
    split : Split
        The split to check (e.g. read from a file with :meth:`Split.load`,
        which verifies its checksum).
    reference : Split
        The protocol's split for the chosen split seed, to compare with.

    Returns
    -------
    dict
        ``sizes``, ``sha256`` and ``same_as_reference`` (bool).

    Raises
    ------
    HashxValueError
        The split's invariants fail for this dataset (indices out of range,
        query overlapping the training items, ...).
    DataFormatError
        Its query set does not have the protocol's size.
    """
    split.validate(n_items=len(dataset))
    p = get_protocol(protocol)
    if p.n_query is not None and split.sizes()["query"] != p.n_query:
        raise DataFormatError(f"The split has {split.sizes()['query']} queries but protocol {protocol!r} uses "
                              f"{p.n_query}.")
    return {"sizes": split.sizes(), "sha256": split.sha256, "same_as_reference": split.sha256 == reference.sha256}
