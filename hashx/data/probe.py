"""Linear probes: how much label information a modality's features carry.

Both probes fit a linear model on a seeded random part of the items and score
it on the rest, after standardising every feature column with the mean and
standard deviation of the fitting part (``+ 1e-6``, so constant columns stay
finite).  They are the measurements behind the difficulty stated for each
generated or real protocol (:mod:`~hashx.data.synthetic`,
:mod:`~hashx.data.wiki_like`, :mod:`~hashx.data.digits`), and the tests
check those statements with them.

- :func:`linear_probe_map`: multi-label; one-vs-rest, mean average precision.
- :func:`linear_probe_accuracy`: single-label; one multinomial logistic
  regression, accuracy.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._validation import check_choice, check_int
from ..exceptions import HashxValueError

__all__ = ["linear_probe_map", "linear_probe_accuracy"]


def _probe_parts(x, n: int, seed: int, train_fraction: float, caller: str):
    """(standardised float64 features, fitting rows, held-out rows) for a seeded partition."""
    seed = check_int(seed, "seed", caller=caller, min_value=0)
    if not isinstance(train_fraction, (float, int)) or isinstance(train_fraction, bool) \
            or not 0.0 < float(train_fraction) < 1.0:
        raise HashxValueError(f"The 'train_fraction' parameter of {caller} must be a number in (0, 1). "
                              f"Got {train_fraction!r} instead.")
    x = x.toarray() if sp.issparse(x) else np.asarray(x)
    if x.ndim != 2 or x.shape[0] != n:
        raise HashxValueError(f"The 'x' parameter of {caller} must have shape ({n}, d), one row per label row. "
                              f"Got shape {x.shape} instead.")
    perm = np.random.default_rng(seed).permutation(n)
    cut = int(round(train_fraction * n))
    if not 0 < cut < n:
        raise HashxValueError(f"{caller}: {n} items leave no fitting or no held-out part at train_fraction="
                              f"{train_fraction}.")
    tr, te = perm[:cut], perm[cut:]
    x = x.astype(np.float64)
    mu, sd = x[tr].mean(axis=0), x[tr].std(axis=0) + 1e-6
    return (x - mu) / sd, tr, te


def linear_probe_map(x, labels: np.ndarray, *, method: str = "ridge", seed: int = 0,
                     train_fraction: float = 0.7) -> float:
    """Mean average precision of a one-vs-rest linear probe on a held-out part.

    Parameters
    ----------
    x : ndarray or sparse matrix of shape (n, d)
        Features; standardised on the fitting part (column mean and std).
    labels : ndarray of shape (n, c), dtype=uint8
    method : {"ridge", "logistic"}
        ``"ridge"``: least squares onto the 0/1 labels with an L2 penalty of
        ``0.001 * n_train`` (closed form, fast).  ``"logistic"``: one
        scikit-learn ``LogisticRegression(C=1.0, max_iter=300)`` per label (slow).
    seed : int
        Seed of the fitting/held-out partition (``default_rng(seed).permutation(n)``,
        the first ``round(train_fraction * n)`` items fit).
    train_fraction : float
        Part of the items the probe is fitted on.

    Returns
    -------
    float
        Mean over labels (with >= 1 positive in both parts) of the average
        precision of the probe's scores on the held-out items (AP = mean, over
        the held-out positives, of the precision at their rank; scores sorted
        descending, ties in item order).
    """
    check_choice(method, "method", ("ridge", "logistic"), caller="linear_probe_map")
    n = labels.shape[0]
    x, tr, te = _probe_parts(x, n, seed, train_fraction, "linear_probe_map")
    keep = [j for j in range(labels.shape[1]) if 0 < labels[tr, j].sum() < tr.size and labels[te, j].any()]
    if method == "ridge":
        xb = np.hstack([x, np.ones((n, 1))])
        gram = xb[tr].T @ xb[tr] + 1e-3 * tr.size * np.eye(xb.shape[1])
        w = np.linalg.solve(gram, xb[tr].T @ labels[tr][:, keep].astype(np.float64))
        scores = xb[te] @ w
    else:
        from sklearn.linear_model import LogisticRegression

        scores = np.column_stack([
            LogisticRegression(C=1.0, max_iter=300).fit(x[tr], labels[tr, j]).decision_function(x[te])
            for j in keep
        ])
    return float(np.mean([_average_precision(labels[te, j], scores[:, k]) for k, j in enumerate(keep)]))


def linear_probe_accuracy(x, labels: np.ndarray, *, seed: int = 0, train_fraction: float = 0.7,
                          C: float = 1.0) -> float:
    """Held-out accuracy of a multinomial logistic-regression probe (single-label data).

    The probe is scikit-learn's ``LogisticRegression(C=C, max_iter=1000)``
    (lbfgs, multinomial loss, an intercept) fitted on the standardised
    features of a random ``train_fraction`` of the items
    (``default_rng(seed).permutation(n)``, the first ``round(train_fraction *
    n)`` items), and scored on the others.

    Parameters
    ----------
    x : ndarray or sparse matrix of shape (n, d)
    labels : ndarray of shape (n, c), dtype=uint8
        One-hot labels: exactly one 1 per row.
    seed : int
        Seed of the fitting/held-out partition.
    train_fraction : float in (0, 1)
    C : float
        Inverse L2 penalty of the logistic regression.

    Returns
    -------
    float
        Fraction of the held-out items whose predicted class is their class
        (chance: the frequency of the most frequent class, about ``1 / c``
        for balanced classes).

    Raises
    ------
    HashxValueError
        ``labels`` is not one-hot, ``x`` has another number of rows, or a
        part would be empty.
    """
    from sklearn.linear_model import LogisticRegression

    labels = np.asarray(labels)
    if labels.ndim != 2 or not np.array_equal(labels.sum(axis=1), np.ones(labels.shape[0])) \
            or ((labels != 0) & (labels != 1)).any():
        raise HashxValueError("The 'labels' parameter of linear_probe_accuracy must be one-hot (n, c) "
                              "0/1 labels with exactly one 1 per row (single-label data).")
    y = labels.argmax(axis=1)
    x, tr, te = _probe_parts(x, labels.shape[0], seed, train_fraction, "linear_probe_accuracy")
    model = LogisticRegression(C=C, max_iter=1000).fit(x[tr], y[tr])
    return float(np.mean(model.predict(x[te]) == y[te]))


def _average_precision(relevant: np.ndarray, scores: np.ndarray) -> float:
    """Mean over the positives of the precision at their rank (scores descending, ties by position)."""
    rel = relevant[np.argsort(-scores, kind="stable")].astype(bool)
    hits = np.cumsum(rel)
    return float(np.mean(hits[rel] / (np.flatnonzero(rel) + 1)))
