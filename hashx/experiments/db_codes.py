"""Which codes index the retrieval set: the networks' codes of its features, or the codes learned in training."""

from __future__ import annotations

import numpy as np

__all__ = ["DB_CODES", "list_db_codes", "with_learned_codes"]

#: ``features``: every retrieval item is coded by the networks from its own
#: image/text; ``learned``: retrieval items that were training items take the
#: binary codes the method learned for them (DCMH's and SCRATCH's B, SSAH's
#: label-network codes), the rest keep their networks' codes.
DB_CODES = ("features", "learned")


def list_db_codes() -> list[str]:
    """The database-code choices: ``["features", "learned"]``."""
    return list(DB_CODES)


def with_learned_codes(network_codes: np.ndarray, retrieval_rows: np.ndarray, learned) -> tuple[np.ndarray, int]:
    """Retrieval codes with the learned codes substituted for the items that have one.

    Parameters
    ----------
    network_codes : ndarray of shape (n_retrieval, nbits // 8), dtype=uint8
        The networks' codes of the retrieval items (one modality).
    retrieval_rows : ndarray of shape (n_retrieval,), dtype=int64
        Their dataset rows.
    learned : LearnedCodes
        From :func:`hashx.train.load_learned_codes`.

    Returns
    -------
    codes : ndarray of shape (n_retrieval, nbits // 8), dtype=uint8
    replaced : int
        How many retrieval items took a learned code.
    """
    position = {int(r): i for i, r in enumerate(learned.rows)}
    codes = network_codes.copy()
    hits = [(j, position[int(r)]) for j, r in enumerate(retrieval_rows) if int(r) in position]
    if hits:
        at, src = np.array(hits).T
        codes[at] = learned.codes[src]
    return codes, len(hits)
