"""Reading one modality (image, text or labels) out of a file, for encoding and evaluation.

``hashx encode`` and ``hashx eval`` take one file per input.  The file may be
any format the readers know; the variable is chosen by ``variable`` or, when
omitted, by the first of these names present in the file:

=========  ========================================================================
modality   variables tried, in order
=========  ========================================================================
image      ``image``, ``XAll``, ``IAll``, ``images``, ``I_te``, ``I_tr``, ``X``
text       ``text``, ``YAll``, ``T_te``, ``T_tr``, ``Y``
labels     ``labels``, ``LAll``, ``label``, ``L_te``, ``L_tr``, ``L_test``, ``L_train``
=========  ========================================================================

Formats: ``.npy`` (the file is the variable; memory-mapped), ``.npz``,
``.h5``/``.hdf5`` (rows first), ``.mat`` (MATLAB v5 or v7.3, axes handled as in
:class:`~hashx.data.matfile.MatFile`).  Raw images (4-d uint8) come back as a
:class:`~hashx.data.images.LazyImages` and are read batch by batch.  Wikipedia's
class ids (an (n,) or (n, 1) vector of 1..C) are turned into one-hot labels.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from .._validation import check_choice
from ..exceptions import DataFormatError
from . import _arrays as A
from .matfile import MatFile

__all__ = ["read_modality", "DEFAULT_VARIABLES"]

DEFAULT_VARIABLES = {
    "image": ("image", "XAll", "IAll", "images", "I_te", "I_tr", "X"),
    "text": ("text", "YAll", "T_te", "T_tr", "Y"),
    "labels": ("labels", "LAll", "label", "L_te", "L_tr", "L_test", "L_train"),
}


def _pick(names, modality, variable, path):
    if variable is not None:
        if variable not in names:
            raise DataFormatError(
                f"File '{path}' has no variable '{variable}'. Variables found: {', '.join(names) or 'none'}."
            )
        return variable
    for name in DEFAULT_VARIABLES[modality]:
        if name in names:
            return name
    if modality == "text" and "text_data" in names:
        return "text"
    raise DataFormatError(
        f"File '{path}' has no {modality} variable: looked for {', '.join(DEFAULT_VARIABLES[modality])}; "
        f"found {', '.join(names) or 'none'}. Name the variable explicitly."
    )


def _convert(src, path, var, modality, allow_unlabeled=False):
    if modality == "image":
        return A.read_image(src, path, var)
    if modality == "text":
        return A.read_text(src, path, var, sparse=None)
    shape = A.source_shape(src, var)
    if len(shape) == 1 or (len(shape) == 2 and shape[1] == 1):
        return A.read_class_ids(src, path, var)
    return A.read_labels(src, path, var, require_label=not allow_unlabeled)


def read_modality(path, modality: str, *, variable: str | None = None, allow_unlabeled: bool = False):
    """Read one modality's rows from ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        ``.npy``, ``.npz``, ``.h5``/``.hdf5`` or ``.mat`` file.
    modality : {"image", "text", "labels"}
    variable : str, optional
        Variable (array) name inside the file; see the module docstring for the
        names tried when omitted.  Ignored for ``.npy``.
    allow_unlabeled : bool, default=False
        For ``"labels"``: accept rows without any label (evaluation counts
        such queries as 0) instead of raising.

    Returns
    -------
    ndarray, scipy.sparse.csr_matrix or LazyImages
        ``"image"``: float32 features (n, d) or lazy raw images (n, H, W, 3);
        ``"text"``: float32 (n, t), CSR when sparse or large;
        ``"labels"``: uint8 multi-hot (n, c).

    Raises
    ------
    DataFormatError
        Missing file, unknown suffix, missing variable, wrong shape, NaN/Inf,
        non-binary labels.
    """
    check_choice(modality, "modality", ("image", "text", "labels"), caller="read_modality")
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"Input file '{path}' does not exist.")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            array = np.load(path, mmap_mode="r", allow_pickle=False)
        except ValueError as exc:
            raise DataFormatError(f"File '{path}' is not a readable .npy array ({exc}).") from None
        return _convert(array, path, path.stem, modality, allow_unlabeled)
    if suffix == ".npz":
        from .generic import _npz_text

        with np.load(path, allow_pickle=False) as z:
            var = _pick(list(z.files), modality, variable, path)
            src = _npz_text(z, path) if (modality == "text" and var == "text") else z[var]
            return _convert(src, path, var, modality, allow_unlabeled)
    if suffix in (".h5", ".hdf5"):
        from .generic import _h5_text

        f = h5py.File(path, "r")  # stays open while lazy images are read
        var = _pick(list(f.keys()), modality, variable, path)
        node = _h5_text(f, path) if (modality == "text" and isinstance(f[var], h5py.Group)) else f[var]
        return _convert(node, path, var, modality, allow_unlabeled)
    if suffix == ".mat":
        mat = MatFile(path)
        var = _pick(mat.names(), modality, variable, path)
        return _convert(mat, path, var, modality, allow_unlabeled)
    raise DataFormatError(
        f"Input file '{path}' has an unknown suffix '{suffix}'; expected .npy, .npz, .h5, .hdf5 or .mat."
    )
