"""The binary codes a method learned for its training items, stored with the selected model."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from ..codes import binarize, pack_codes
from ..exceptions import CheckpointError, HashxValueError
from .checkpoint import load_checkpoint

__all__ = ["LearnedCodes", "learned_payload", "load_learned_codes"]


class LearnedCodes(NamedTuple):
    """Codes learned for the training items (DCMH's B, SSAH's label-network codes, ...).

    Attributes
    ----------
    rows : ndarray of shape (n_fit,), dtype=int64
        Dataset rows of the items (the split's fit items, in fit order).
    codes : ndarray of shape (n_fit, nbits // 8), dtype=uint8
        Their packed codes.
    nbits : int
    """

    rows: np.ndarray
    codes: np.ndarray
    nbits: int


def learned_payload(method, fit_rows: np.ndarray, nbits: int) -> dict:
    """``{"learned": {"rows", "codes"}}`` for a checkpoint, or ``{}`` if the method learns no codes.

    Raises
    ------
    HashxValueError
        The method returned codes of the wrong shape.
    """
    codes = method.learned_codes()
    if codes is None:
        return {}
    codes = codes.detach().float().cpu().numpy()
    if codes.shape != (len(fit_rows), nbits):
        raise HashxValueError(f"{type(method).__name__}.learned_codes() must return shape ({len(fit_rows)}, "
                              f"{nbits}). Got {codes.shape} instead.")
    return {"learned": {"rows": torch.from_numpy(np.asarray(fit_rows, dtype=np.int64)),
                        "codes": torch.from_numpy(pack_codes(binarize(codes)))}}


def load_learned_codes(checkpoint_path) -> LearnedCodes | None:
    """The learned codes stored in a model checkpoint, or None if its method learns none.

    Raises
    ------
    CheckpointError
        Unreadable checkpoint, or a malformed ``learned`` entry.
    """
    ckpt = load_checkpoint(checkpoint_path)
    entry = ckpt.get("learned")
    if entry is None:
        return None
    try:
        rows = entry["rows"].numpy().astype(np.int64)
        codes = entry["codes"].numpy().astype(np.uint8)
    except (KeyError, AttributeError, TypeError) as exc:
        raise CheckpointError(f"Checkpoint {str(checkpoint_path)!r} has a malformed 'learned' entry: {exc}") from None
    nbits = int(ckpt["run"]["nbits"])
    if codes.shape != (rows.shape[0], nbits // 8):
        raise CheckpointError(f"Checkpoint {str(checkpoint_path)!r}: its learned codes have shape {codes.shape}, "
                              f"not ({rows.shape[0]}, {nbits // 8}).")
    return LearnedCodes(rows, codes, nbits)
