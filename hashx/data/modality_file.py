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
class ids (an (n,) or (n, 1) vector of 1..C) are turned into one-hot labels, and a
0/1 vector is one binary label (:mod:`~hashx.data.label_files`).  Every error
names the file and the variable.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import h5py

from .._validation import check_choice
from ..exceptions import DataFormatError
from . import _arrays as A
from ._hdf5 import hdf5_dataset, hdf5_errors, open_hdf5
from ._numpy_files import NpzArchive, open_npy
from .matfile import MatFile

__all__ = ["read_modality", "open_modality", "DEFAULT_VARIABLES", "MODALITY_SUFFIXES"]

DEFAULT_VARIABLES = {
    "image": ("image", "XAll", "IAll", "images", "I_te", "I_tr", "X"),
    "text": ("text", "YAll", "T_te", "T_tr", "Y"),
    "labels": ("labels", "LAll", "label", "L_te", "L_tr", "L_test", "L_train"),
}
#: File types read_modality knows.
MODALITY_SUFFIXES = (".npy", ".npz", ".h5", ".hdf5", ".mat")


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


@contextlib.contextmanager
def open_modality(path, modality: str, variable: str | None = None, *, keep_open: bool = False):
    """Open ``path`` and yield ``(source, variable)`` for the :mod:`~hashx.data._arrays` readers.

    The file is closed when the block ends, unless ``keep_open`` (an HDF5 or
    v7.3 file that feeds lazy raw images must stay open).

    Raises
    ------
    DataFormatError
        Missing file, unknown suffix, unreadable file, missing variable.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"Input file '{path}' does not exist.")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        yield open_npy(path), path.stem
        return
    if suffix == ".npz":
        with NpzArchive(path) as z:
            var = _pick(z.files, modality, variable, path)
            if modality == "text" and var == "text":
                from .generic import _npz_text

                yield _npz_text(z, path), var
            else:
                yield z[var], var
        return
    if suffix in (".h5", ".hdf5"):
        f = open_hdf5(path)
        try:
            with hdf5_errors(path, None):
                names = list(f.keys())
            var = _pick(names, modality, variable, path)
            with hdf5_errors(path, var):
                is_group = isinstance(f[var], h5py.Group)
            if modality == "text" and is_group and var == "text":
                from .generic import _h5_text

                yield _h5_text(f, path), var
            else:
                yield hdf5_dataset(f, var, path), var
        finally:
            if not keep_open:
                f.close()
        return
    if suffix == ".mat":
        mat = MatFile(path)
        try:
            yield mat, _pick(mat.names(), modality, variable, path)
        finally:
            if not keep_open:
                mat.close()
        return
    raise DataFormatError(
        f"Input file '{path}' has an unknown suffix '{suffix}'; expected {', '.join(MODALITY_SUFFIXES)}."
    )


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
        ``"labels"``: uint8 multi-hot (n, c), read by the rules of
        :func:`hashx.data.read_label_files` for one file (a 0/1 vector is one
        binary label, any other vector holds class ids 1..C).

    Raises
    ------
    DataFormatError
        Missing file, unknown suffix, missing variable, wrong shape, NaN/Inf,
        non-binary labels, a damaged file or a declared size the file cannot
        hold.
    """
    check_choice(modality, "modality", ("image", "text", "labels"), caller="read_modality")
    if modality == "labels":
        from .label_files import read_label_file

        return read_label_file(path, variable=variable, allow_unlabeled=allow_unlabeled)
    with open_modality(path, modality, variable, keep_open=modality == "image") as (src, var):
        if modality == "image":
            return A.read_image(src, path, var)
        return A.read_text(src, path, var, sparse=None)
