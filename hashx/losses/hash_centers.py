"""Hash centres (CSQ): one +1/-1 target code per label, far apart in Hamming space, and each item's centre.

How the centres are built (reproducible from ``nbits``, the label count and the seed)
----------------------------------------------------------------------------------------
* **Hadamard** (:func:`hadamard_centers`), when ``K = nbits`` is a power of two
  and there are at most ``2K`` labels: label ``l`` gets row ``l`` of the
  Sylvester Hadamard matrix ``H_K`` (``scipy.linalg.hadamard``; row 0 is all
  ones), and labels ``K .. 2K-1`` get the rows of ``-H_K``.  Any two rows of
  ``H_K`` are at Hamming distance exactly ``K/2``; a row and its negation at
  ``K``.  This is the CSQ authors' construction (their code takes the first
  ``c`` rows of ``[H_K; -H_K]``).
* **Random** (:func:`random_centers`), otherwise: balanced codes (exactly
  ``K/2`` entries -1), chosen one label at a time by a max-min rule: label
  ``l``'s centre is, among ``candidates`` balanced codes drawn for it, the
  one whose smallest Hamming distance to the centres of labels ``0 .. l-1``
  is largest (the first such candidate on ties; label 0 takes its first
  candidate).  All draws come from ``numpy.random.default_rng([seed, 0xC5A])``
  in that order.  The CSQ authors instead redraw whole sets from a Bernoulli
  distribution until the smallest distance reaches a threshold (20 of 64
  bits in their notebook); the max-min rule needs no threshold, which could
  not be met anyway with many labels and few bits.

An item's centre (:func:`item_centers`): a single-label item gets its label's
centre; a multi-label item gets the sign of the mean of its labels' centres,
and a bit where that mean is 0 (a tie, possible with an even number of labels)
takes the bit of one fixed tie-break code (:func:`tie_breaker`, uniform +1/-1
drawn from ``default_rng([seed, 0xC5B])``), as in the authors' code (which
draws one random +-1 vector at start-up for this).  Not +1 by convention: with
Hadamard centres that would pull every tied item towards label 0's all-ones
centre.  An item without any label has no centre.
"""

from __future__ import annotations

import logging

import numpy as np
import torch

from .._validation import check_choice, check_int
from ..exceptions import HashxValueError

__all__ = [
    "HASH_CENTER_KINDS",
    "hadamard_fits",
    "hadamard_centers",
    "random_centers",
    "hash_centers",
    "tie_breaker",
    "item_centers",
    "min_center_distance",
]

log = logging.getLogger(__name__)

#: Values of CSQ's ``centers`` setting: ``"auto"`` takes Hadamard rows where they fit, else random codes.
HASH_CENTER_KINDS = ("auto", "hadamard", "random")
_RANDOM_STREAM = 0xC5A
_TIE_STREAM = 0xC5B


def _is_power_of_two(n: int) -> bool:
    return n >= 1 and n & (n - 1) == 0


def hadamard_fits(n_centers: int, nbits: int) -> bool:
    """Whether :func:`hadamard_centers` can give ``n_centers`` centres of ``nbits`` bits."""
    return _is_power_of_two(nbits) and n_centers <= 2 * nbits


def hadamard_centers(n_centers: int, nbits: int) -> np.ndarray:
    """The first ``n_centers`` rows of ``[H_K; -H_K]`` (Sylvester Hadamard matrix, ``K = nbits``).

    Returns
    -------
    ndarray of shape (n_centers, nbits), dtype=float32, entries +1/-1

    Raises
    ------
    HashxValueError
        ``nbits`` is not a power of two, or ``n_centers > 2 * nbits``.
    """
    from scipy.linalg import hadamard

    n_centers = check_int(n_centers, "n_centers", caller="hadamard_centers", min_value=1)
    nbits = check_int(nbits, "nbits", caller="hadamard_centers", min_value=1)
    if not hadamard_fits(n_centers, nbits):
        raise HashxValueError(f"Hadamard hash centres need nbits a power of two and at most 2 * nbits labels. "
                              f"Got nbits={nbits} and {n_centers} labels; use random centres instead.")
    h = hadamard(nbits).astype(np.float32)
    return np.concatenate([h, -h])[:n_centers]


def random_centers(n_centers: int, nbits: int, *, seed: int, candidates: int = 128) -> np.ndarray:
    """Balanced random centres chosen by the max-min rule (see the module docstring).

    Parameters
    ----------
    n_centers : int
    nbits : int
        Even (half the entries of each centre are -1).
    seed : int
    candidates : int, default=128
        Balanced codes drawn per centre.

    Returns
    -------
    ndarray of shape (n_centers, nbits), dtype=float32, entries +1/-1, each row summing to 0
    """
    n_centers = check_int(n_centers, "n_centers", caller="random_centers", min_value=1)
    nbits = check_int(nbits, "nbits", caller="random_centers", min_value=2)
    if nbits % 2:
        raise HashxValueError(f"The 'nbits' parameter of random_centers must be even (balanced centres). "
                              f"Got {nbits} instead.")
    candidates = check_int(candidates, "candidates", caller="random_centers", min_value=1)
    rng = np.random.default_rng([check_int(seed, "seed", caller="random_centers", min_value=0), _RANDOM_STREAM])
    balanced = np.tile(np.repeat(np.array([1.0, -1.0], dtype=np.float32), nbits // 2), (candidates, 1))
    chosen = np.empty((n_centers, nbits), dtype=np.float32)
    for i in range(n_centers):
        draws = rng.permuted(balanced, axis=1)
        if i == 0:
            chosen[0] = draws[0]
            continue
        # Hamming distance of +-1 codes: (K - a . b) / 2
        nearest = (nbits - draws @ chosen[:i].T).min(axis=1) / 2
        chosen[i] = draws[int(np.argmax(nearest))]
    return chosen


def hash_centers(n_centers: int, nbits: int, *, kind: str = "auto", seed: int = 0,
                 candidates: int = 128) -> tuple[np.ndarray, str]:
    """The centres of ``n_centers`` labels: ``(centres, kind used)``.

    Parameters
    ----------
    kind : {"auto", "hadamard", "random"}
        ``"auto"``: Hadamard rows when ``nbits`` is a power of two and
        ``n_centers <= 2 * nbits``, random centres otherwise.
    seed, candidates
        For random centres (:func:`random_centers`).

    Returns
    -------
    centres : ndarray of shape (n_centers, nbits), dtype=float32
    kind : {"hadamard", "random"}
    """
    check_choice(kind, "kind", HASH_CENTER_KINDS, caller="hash_centers")
    if kind == "hadamard" or (kind == "auto" and hadamard_fits(n_centers, nbits)):
        centers, used = hadamard_centers(n_centers, nbits), "hadamard"
    else:
        centers, used = random_centers(n_centers, nbits, seed=seed, candidates=candidates), "random"
    log.info("%d %s hash centres of %d bits; smallest distance between two centres: %s", n_centers, used, nbits,
             min_center_distance(centers) if n_centers > 1 else "-")
    return centers, used


def tie_breaker(nbits: int, *, seed: int) -> np.ndarray:
    """The tie-break code: ``nbits`` uniform +1/-1 entries from ``default_rng([seed, 0xC5B])``.

    Returns
    -------
    ndarray of shape (nbits,), dtype=float32
    """
    nbits = check_int(nbits, "nbits", caller="tie_breaker", min_value=1)
    rng = np.random.default_rng([check_int(seed, "seed", caller="tie_breaker", min_value=0), _TIE_STREAM])
    return np.where(rng.random(nbits) < 0.5, 1.0, -1.0).astype(np.float32)


def item_centers(labels: torch.Tensor, centers: torch.Tensor, tie: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each item's hash centre: ``sign(mean of its labels' centres)``, ties from ``tie``.

    Parameters
    ----------
    labels : Tensor of shape (b, c), float 0/1
    centers : Tensor of shape (c, K), +1/-1
    tie : Tensor of shape (K,), +1/-1

    Returns
    -------
    targets : Tensor of shape (b, K), dtype of ``centers``, +1/-1
        Rows of items without a label hold ``tie`` (and are masked out).
    has_label : Tensor of shape (b,), bool
    """
    total = labels.to(centers.dtype) @ centers  # the sign of the sum is the sign of the mean
    targets = torch.where(total > 0, 1.0, torch.where(total < 0, -1.0, tie.expand_as(total))).to(centers.dtype)
    return targets, labels.sum(dim=1) > 0


def min_center_distance(centers: np.ndarray) -> int:
    """Smallest Hamming distance between two different rows of +1/-1 ``centers`` (at least 2 rows)."""
    c = np.asarray(centers, dtype=np.float64)
    dist = (c.shape[1] - c @ c.T) / 2
    np.fill_diagonal(dist, np.inf)
    return int(dist.min())
