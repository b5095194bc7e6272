"""encode_file: a file of image or text rows -> a hashx code file, in bounded memory."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np
import scipy.sparse as sp

from .._validation import check_choice, check_int
from ..exceptions import HashxTypeError

__all__ = ["encode_file", "EncodedFile", "ENCODE_BLOCK_ROWS"]

#: Rows read and encoded per block (one progress step).
ENCODE_BLOCK_ROWS = 4096


class EncodedFile(NamedTuple):
    """What :func:`encode_file` wrote."""

    path: Path
    n: int
    nbits: int
    input_shape: tuple
    sparse: bool


def encode_file(encoder, input_path, modality: str, out_path, *, variable: str | None = None,
                batch_size: int = 256, block_rows: int = ENCODE_BLOCK_ROWS,
                progress: Callable[[int, int], None] | None = None, distribution=None) -> EncodedFile:
    """Encode the rows of a data file into a hashx code file.

    Rows are read a block at a time (:func:`hashx.data.read_modality` keeps
    HDF5 / v7.3 ``.mat`` / ``.npy`` inputs on disk), so memory stays bounded
    even for raw-image files larger than memory; the code file is written
    atomically once every row is encoded.

    Parameters
    ----------
    encoder : Encoder
        A trained model (:func:`hashx.train.load_encoder`).
    input_path : str or os.PathLike
        Features, bag-of-words or raw images (``.npy``, ``.npz``, ``.h5``, ``.mat``).
    modality : {"image", "text"}
    out_path : str or os.PathLike
        Code file to write (:func:`hashx.save_codes` format).
    variable : str, optional
        Variable inside the input file (default: the usual names, see
        :func:`hashx.data.read_modality`).
    batch_size : int, default=256
        Rows per forward pass.
    block_rows : int, default=4096
        Rows read from the file at a time.
    progress : callable, optional
        Called as ``progress(rows_done, rows_total)`` after each block (of this rank's rows).
    distribution : Distribution, optional
        Encode data-parallel: rank ``r`` of ``W`` encodes the ``r``-th
        ``W``-th of the rows, cut on the grid of ``batch_size``-row batches,
        and rank 0 gathers the parts in input order and writes the file.
        Every forward pass sees exactly the rows it sees in one process, so
        the file is byte-identical to a single-process one.

    Returns
    -------
    EncodedFile
        On every rank (rank 0 alone writes the file).
    """
    from .._atomic import remove_stale_temporaries
    from ..codefile import save_codes
    from ..data import read_modality
    from .encoder import MODALITIES, Encoder

    if not isinstance(encoder, Encoder):
        raise HashxTypeError(f"The 'encoder' parameter of encode_file must be an Encoder (hashx.train.load_encoder). "
                             f"Got {type(encoder).__name__} instead.")
    check_choice(modality, "modality", MODALITIES, caller="encode_file")
    batch_size = check_int(batch_size, "batch_size", caller="encode_file", min_value=1)
    block_rows = check_int(block_rows, "block_rows", caller="encode_file", min_value=1)
    rows = read_modality(input_path, modality, variable=variable)
    n = int(rows.shape[0])
    out_path = Path(out_path)
    if distribution is None or distribution.is_main:  # what a killed earlier encode of this file left behind
        remove_stale_temporaries(out_path.parent if str(out_path.parent) else Path("."), [out_path.name])
    block_rows = max(batch_size, block_rows // batch_size * batch_size)  # blocks end on batch boundaries
    first, last = 0, n
    if distribution is not None and distribution.active:
        batches = -(-n // batch_size)
        cut = distribution.bounds(batches)
        first, last = min(n, cut[distribution.rank] * batch_size), min(n, cut[distribution.rank + 1] * batch_size)
    codes = np.empty((last - first, encoder.nbits // 8), dtype=np.uint8)
    for start in range(first, last, block_rows):
        stop = min(start + block_rows, last)
        block = rows.subset(np.arange(start, stop)) if hasattr(rows, "subset") else rows[start:stop]
        codes[start - first:stop - first] = encoder.encode(modality, block, batch_size=batch_size)
        if progress is not None:
            progress(stop - first, last - first)
    if distribution is not None and distribution.active:
        parts = distribution.gather_to_main(codes)
        if distribution.is_main:
            save_codes(out_path, np.concatenate(parts), encoder.nbits)
        distribution.barrier()
    else:
        save_codes(out_path, codes, encoder.nbits)
    return EncodedFile(Path(out_path), n, encoder.nbits, tuple(rows.shape), bool(sp.issparse(rows)))
