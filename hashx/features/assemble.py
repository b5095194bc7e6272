"""``assemble_dataset``: image features + text features + labels -> one generic dataset file.

The result is the generic ``.npz`` layout of :mod:`hashx.data.generic`
(``image``, ``text`` or its CSR arrays, ``labels``, ``ids``), which
``hashx train --dataset files --data-dir FILE`` reads, plus provenance
entries that the reader ignores: ``label_names``, ``image_meta`` and
``text_meta`` (the ``meta`` of the feature files it was made from) and
``meta``.  Rows must already be aligned: row i of every input is item i.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .._version import __version__
from ..exceptions import DataFormatError, HashxValueError
from .feature_file import meta_array, write_npz
from .tags import read_tag_lists, read_vocabulary

__all__ = ["read_label_lists", "assemble_dataset"]


def read_label_lists(path, *, label_names=None) -> tuple[np.ndarray, tuple[str, ...]]:
    """Multi-hot labels from a text file with one item per line, its label names separated by whitespace.

    Parameters
    ----------
    path : str or os.PathLike
    label_names : str or os.PathLike, optional
        A file with one label name per line, in column order; default: the
        names found, sorted.

    Returns
    -------
    labels : ndarray of shape (n, c), dtype=uint8
    names : tuple of str

    Raises
    ------
    DataFormatError
        A name that ``label_names`` does not list.
    """
    lists = read_tag_lists(path, lowercase=False)
    names = read_vocabulary(label_names, lowercase=False) if label_names is not None else \
        tuple(sorted({n for names in lists for n in names}))
    column = {n: j for j, n in enumerate(names)}
    labels = np.zeros((len(lists), len(names)), dtype=np.uint8)
    for i, item in enumerate(lists):
        for n in item:
            if n not in column:
                raise DataFormatError(f"Label file '{path}' line {i + 1} names '{n}', which the label names "
                                      f"file '{label_names}' does not list.")
            labels[i, column[n]] = 1
    return labels, names


def _meta_of(path) -> dict | None:
    path = Path(path)
    if path.suffix.lower() != ".npz":
        return None
    with np.load(path, allow_pickle=False) as z:
        return json.loads(str(z["meta"])) if "meta" in z.files else None


def assemble_dataset(out, *, image, text, labels, label_names=None):
    """Join image features, text features and labels into one generic dataset file (atomically).

    Parameters
    ----------
    out : str or os.PathLike
        The ``.npz`` file to write.
    image : str or os.PathLike
        Image features: a file from :func:`extract_image_features`, or any
        file :func:`hashx.data.read_modality` reads (``image``, ``XAll``, ...).
    text : str or os.PathLike
        Text features: a file from :func:`extract_text_features`, or any file
        ``read_modality`` reads (``text``, ``YAll``, ...).
    labels : str or os.PathLike
        A ``.txt`` file with one item per line listing its label names
        (:func:`read_label_lists`), or a multi-hot matrix in any file
        ``read_modality`` reads (``labels``, ``LAll``, ...).
    label_names : str or os.PathLike, optional
        For a ``.txt`` label file: the label names in column order.

    Returns
    -------
    CrossModalDataset
        The dataset as written (``load_generic(out)`` reads it back).

    Raises
    ------
    DataFormatError
        Inputs with different row counts, rows without a label, unreadable inputs.
    """
    from ..data import CrossModalDataset, read_modality

    out = Path(out)
    if out.suffix.lower() != ".npz":
        raise HashxValueError(f"The 'out' parameter of assemble_dataset must end in .npz. Got '{out}' instead.")
    features = read_modality(image, "image")
    if len(features.shape) != 2:
        raise DataFormatError(f"Image input '{image}' holds raw images {tuple(features.shape)}; assemble_dataset "
                              f"joins image *features* (run extract_image_features first).")
    words = read_modality(text, "text")
    names = None
    if Path(labels).suffix.lower() == ".txt":
        label_matrix, names = read_label_lists(labels, label_names=label_names)
    else:
        label_matrix = read_modality(labels, "labels", allow_unlabeled=True)
    unlabeled = int((label_matrix.sum(axis=1) == 0).sum())
    if unlabeled:
        raise DataFormatError(f"Labels '{labels}': {unlabeled} of {label_matrix.shape[0]} items have no label; "
                              f"hashx's protocols need at least one label per item (drop those items first).")
    sizes = {"image": features.shape[0], "text": words.shape[0], "labels": label_matrix.shape[0]}
    if len(set(sizes.values())) != 1:
        counts = ", ".join(f"{k} {v}" for k, v in sizes.items())
        raise DataFormatError(f"The inputs have different numbers of rows ({counts}); "
                              f"row i of every input must be item i.")
    dataset = CrossModalDataset(image=features, text=words, labels=label_matrix, name=out.stem,
                                notes=f"Assembled from {Path(image).name}, {Path(text).name}, {Path(labels).name}.")
    arrays = {"image": np.asarray(features, dtype=np.float32), "labels": label_matrix, "ids": dataset.ids}
    if sp.issparse(words):
        csr = sp.csr_matrix(words)
        arrays.update(text_data=csr.data, text_indices=csr.indices, text_indptr=csr.indptr,
                      text_shape=np.array(csr.shape, dtype=np.int64))
    else:
        arrays["text"] = np.asarray(words)
    if names is not None:
        arrays["label_names"] = np.array(names, dtype=str)
    for key, source in (("image_meta", image), ("text_meta", text)):
        meta = _meta_of(source)
        if meta is not None:
            arrays[key] = meta_array(meta)
    arrays["meta"] = meta_array({"kind": "dataset", "image": str(image), "text": str(text), "labels": str(labels),
                                 "count": len(dataset), "hashx_version": __version__})
    write_npz(out, arrays)
    return dataset
