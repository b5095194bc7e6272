"""Wikipedia (Rasiwasia et al., ACM MM 2010): ``wiki_data.mat``, 2,866 image/text pairs in 10 classes.

Variables (MATLAB v5 or v7.3):

==============  ===========  =====================================================
``I_tr``        2173 x 128   image SIFT bag-of-visual-words histograms, train
``I_te``        693 x 128    same, test
``T_tr``        2173 x 10    LDA topic proportions of the text, train
``T_te``        693 x 10     same, test
``L_tr``        2173 x 1     class ids 1..10 (a row vector is accepted too)
``L_te``        693 x 1      same, test
``L_train``     2173 x 10    one-hot classes (instead of, or besides, ``L_tr``)
``L_test``      693 x 10     same, test
==============  ===========  =====================================================

The dataset's rows are the train rows, then the test rows (2,173 + 693).  The
``wikipedia`` protocol (:mod:`hashx.data.protocols`) uses the fixed test rows
as queries and the train rows as both training set and retrieval database.
When both the class ids and the one-hot matrices are present they must agree.
The feature dimensions are not fixed (variants with CNN image features exist).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..exceptions import DataFormatError
from . import _arrays as A
from .dataset import CrossModalDataset
from .matfile import MatFile

__all__ = ["WIKIPEDIA_FILE", "WIKIPEDIA_N_CLASSES", "load_wikipedia"]

WIKIPEDIA_FILE = "wiki_data.mat"
WIKIPEDIA_N_CLASSES = 10


def _labels(mf: MatFile, path: Path, part: str) -> tuple[np.ndarray, str]:
    ids_var, onehot_var = {"train": ("L_tr", "L_train"), "test": ("L_te", "L_test")}[part]
    have_ids, have_onehot = ids_var in mf, onehot_var in mf
    if not (have_ids or have_onehot):
        raise DataFormatError(
            f"File '{path}' has no {part} labels: expected variable '{ids_var}' (class ids 1..10) "
            f"or '{onehot_var}' (one-hot). Variables found: {', '.join(mf.names())}."
        )
    onehot = A.read_labels(mf, path, onehot_var) if have_onehot else None
    if have_ids:
        from_ids = A.read_class_ids(mf, path, ids_var, n_classes=WIKIPEDIA_N_CLASSES if onehot is None
                                    else onehot.shape[1])
        if onehot is not None and (from_ids.shape != onehot.shape or not np.array_equal(from_ids, onehot)):
            raise DataFormatError(
                f"File '{path}': variables '{ids_var}' and '{onehot_var}' disagree about the {part} classes."
            )
        return from_ids, ids_var
    return onehot, onehot_var


def load_wikipedia(path) -> CrossModalDataset:
    """Load ``wiki_data.mat``.

    Parameters
    ----------
    path : str or os.PathLike
        The file, or a folder holding ``wiki_data.mat``.

    Returns
    -------
    CrossModalDataset
        Name ``"wikipedia"``; train rows then test rows; ``image`` float32
        (n, 128); ``text`` float32 (n, 10); ``labels`` uint8 one-hot (n, 10).
    """
    path = Path(path)
    if path.is_dir():
        path = path / WIKIPEDIA_FILE
    if not path.is_file():
        raise DataFormatError(f"Wikipedia dataset file not found: looked for '{path}' ({WIKIPEDIA_FILE}).")
    mf = MatFile(path)
    for var in ("I_tr", "I_te", "T_tr", "T_te"):
        if var not in mf:
            raise DataFormatError(f"File '{path}' has no variable '{var}'. Variables found: {', '.join(mf.names())}.")
    parts = {}
    for part, ivar, tvar in (("train", "I_tr", "T_tr"), ("test", "I_te", "T_te")):
        labels, lvar = _labels(mf, path, part)
        A.check_rows([(path, ivar, A.item_count(mf, ivar)), (path, tvar, A.item_count(mf, tvar)),
                      (path, lvar, labels.shape[0])])
        parts[part] = (A.read_features(mf, path, ivar), A.read_text(mf, path, tvar, sparse=False), labels)
    for k, (a, b) in enumerate((("I_tr", "I_te"), ("T_tr", "T_te"))):
        if parts["train"][k].shape[1] != parts["test"][k].shape[1]:
            raise DataFormatError(
                f"File '{path}': variables '{a}' and '{b}' have different widths "
                f"({parts['train'][k].shape[1]} and {parts['test'][k].shape[1]})."
            )
    if parts["train"][2].shape[1] != parts["test"][2].shape[1]:
        raise DataFormatError(f"File '{path}': train and test labels have different numbers of classes.")
    n_train, n_test = parts["train"][0].shape[0], parts["test"][0].shape[0]
    image, text, labels = (np.concatenate([parts["train"][k], parts["test"][k]]) for k in range(3))
    return CrossModalDataset(
        image=image, text=text, labels=labels, name="wikipedia",
        notes=f"Wikipedia (wiki_data.mat): rows 0..{n_train - 1} are its train set, "
              f"rows {n_train}..{n_train + n_test - 1} its test set.",
    )
