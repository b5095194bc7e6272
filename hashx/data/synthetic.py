"""Seeded stand-ins for missing modalities: a synthetic cross-modal dataset, and MIRFlickr with synthetic images.

No image features of MIRFlickr-25K or NUS-WIDE exist on the machines this
project is built on, so two documented, seeded stand-ins are provided.  Their
numbers are **never** MIRFlickr or NUS-WIDE results: every dataset they return
says so in its ``notes``, which every result that uses it carries.

Image generator (both stand-ins)
--------------------------------
Image features imitate the ReLU activations of a CNN's fc7 layer, carrying the
label information imperfectly:

1. every label ``l`` has a non-negative *prototype* ``P[l]`` that is sparse:
   it is active on a random ``proto_density`` fraction of the dimensions
   (label-dependent sparsity: each concept lights its own units);
2. a label present on an item is *visible* in its image only with a
   label-dependent probability (between ``visibility_range``): some concepts
   are easy to see, some are not (e.g. "female" vs "sky");
3. a visible label contributes ``strength * P[l]`` with a random per-item
   strength (Gamma, mean 1);
4. *nuisance* directions (background, viewpoint, lighting: ``n_nuisance``
   dense random directions with per-item Gaussian weights) add variation that
   has nothing to do with the labels, and i.i.d. Gaussian noise is added;
5. a ReLU after a negative offset makes the features non-negative and sparse
   (about half the units are zero), and a per-item scale (log-normal)
   imitates image contrast.

Labels (synthetic dataset only)
-------------------------------
Multi-hot labels come from a latent Gaussian factor model: each item has a
latent vector ``u ~ N(0, I_r)``, label ``l`` is on with probability
``sigmoid(u . W[:, l] + b[l])``.  Labels loading on the same factors co-occur
(like sky/clouds), and the biases give frequencies from about 3% to 35%
(a long tail, like MIRFlickr's 24 concepts: mean about 3 labels per item).
An item with no label gets its most probable one, so every item has >= 1 label.

Text (synthetic dataset only)
-----------------------------
A sparse binary bag of words, like user tags: each label owns a small set of
words with Zipf weights (sets overlap a little); an item draws ``1 +
Poisson(tags_mean - 1)`` tags, each from the word distribution of one of its
labels with probability ``text_signal`` and otherwise from a Zipf background
over the whole vocabulary.  Text is thus sparse and noisy, but more directly
tied to the labels than the images are: image-side retrieval is harder.

Linear-probe accuracy (measured; preliminary, one run on a shared 2-core machine)
---------------------------------------------------------------------------------
:func:`linear_probe_map`: a one-vs-rest linear probe per label, fitted on a
random 70% of the items (seed 0), scored by the mean over labels of the
average precision on the other 30% (chance = mean label frequency).
``ridge``: least squares with an L2 penalty (closed form);
``logistic``: scikit-learn ``LogisticRegression(C=1)`` (lbfgs, 300 iterations).

=========================================  ======  =============  ============  ======
dataset                                    probe   image mAP      text mAP      chance
=========================================  ======  =============  ============  ======
``make_synthetic()`` (4000 items, 512-d)   ridge   0.551          0.723         0.129
``make_synthetic()``                       logist. 0.497          0.700         0.129
``mirflickr25k-synthimg`` (20015, 4096-d)  ridge   0.522          0.563 (real)  0.157
``mirflickr25k-synthimg``                  logist. 0.492          0.507 (real)  0.157
=========================================  ======  =============  ============  ======

On ``mirflickr25k-synthimg`` the text column measures the *real* MIRFlickr
tags (``YAll``); the synthetic image features (settings
:data:`SYNTHIMG_IMAGE_SETTINGS`) carry the labels well above chance but less
well than the tags, so image-side retrieval is the harder side.  About half of
the feature values are zero (ReLU-like).  Fewer dimensions carry less: at
1024-d on 8,000 items the ridge probe gives about 0.35 for the images against
about 0.50 for the tags (the check in ``tests/test_data_synthetic.py``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .._validation import check_int
from ..exceptions import HashxValueError
from .dataset import CrossModalDataset

__all__ = ["make_synthetic", "make_mirflickr_synthimg", "synthetic_image_features", "linear_probe_map"]

logger = logging.getLogger(__name__)

SYNTHIMG_NOTE = (
    "mirflickr25k-synthimg: REAL MIRFlickr-25K labels (LAll) and tags (YAll), SYNTHETIC image features "
    "generated from the labels by hashx.data.synthetic (not CNN features of the real images). "
    "Results on it are not MIRFlickr-25K results."
)

#: Image-generator settings of ``mirflickr25k-synthimg`` (harder than the
#: ``make_synthetic`` defaults: with 20,015 items and 4096 dimensions a probe
#: averages much of the noise away, so labels are less visible, prototypes
#: sparser and nuisance and noise stronger).
_BLOCK_ROWS = 2048
SYNTHIMG_IMAGE_SETTINGS = {"proto_density": 0.04, "visibility_range": (0.25, 0.75), "nuisance_scale": 3.0,
                           "noise_scale": 1.5}


def _check_float(value, name, caller, lo, hi):
    if not isinstance(value, (int, float, np.floating, np.integer)) or isinstance(value, bool) \
            or not (lo <= float(value) <= hi):
        raise HashxValueError(f"The '{name}' parameter of {caller} must be a number in [{lo}, {hi}]. "
                              f"Got {value!r} instead.")
    return float(value)


def synthetic_image_features(labels: np.ndarray, *, image_dim: int, rng: np.random.Generator,
                             proto_density: float = 0.08, visibility_range=(0.3, 0.85),
                             n_nuisance: int = 32, nuisance_scale: float = 1.0,
                             noise_scale: float = 0.8, offset: float = 0.3) -> np.ndarray:
    """Non-negative image-like features generated from multi-hot labels (module docstring, steps 1-5).

    Parameters
    ----------
    labels : ndarray of shape (n, c), dtype=uint8
    image_dim : int
    rng : numpy.random.Generator
        Consumed in a fixed order, so the same generator state gives the same
        features bit for bit.
    proto_density, visibility_range, n_nuisance, nuisance_scale, noise_scale, offset
        Generator settings (module docstring).

    Returns
    -------
    ndarray of shape (n, image_dim), dtype=float32
    """
    n, c = labels.shape
    support = rng.random((c, image_dim)) < proto_density
    protos = (support * rng.gamma(2.0, 0.5, size=(c, image_dim))).astype(np.float32)
    visibility = rng.uniform(visibility_range[0], visibility_range[1], size=c)
    # nuisance directions, normalised by their number and by the prototype density so that
    # nuisance_scale is relative to the typical size of the label signal
    nuisance_dirs = rng.standard_normal((n_nuisance, image_dim)) * (
        nuisance_scale / np.sqrt(n_nuisance * proto_density * 4))
    nuisance_dirs = nuisance_dirs.astype(np.float32)
    out = np.empty((n, image_dim), dtype=np.float32)
    for start in range(0, n, _BLOCK_ROWS):  # fixed block size: the draw order defines the result
        lab = labels[start:start + _BLOCK_ROWS].astype(np.float32)
        b = lab.shape[0]
        visible = rng.random((b, c)) < visibility
        strength = rng.gamma(4.0, 0.25, size=(b, c)).astype(np.float32)
        signal = (lab * visible * strength) @ protos
        nuisance = rng.standard_normal((b, n_nuisance), dtype=np.float32) @ nuisance_dirs
        noise = rng.standard_normal((b, image_dim), dtype=np.float32) * np.float32(noise_scale)
        scale = np.exp(rng.normal(0.0, 0.25, size=(b, 1))).astype(np.float32)
        x = signal + nuisance + noise - np.float32(offset)
        np.maximum(x, 0.0, out=x)
        out[start:start + b] = x * scale
    return out


def _latent_labels(rng, n_items, n_labels, n_factors):
    weights = rng.standard_normal((n_factors, n_labels)) * 2.0
    # sparse loadings: each label loads on about a third of the factors -> structured co-occurrence
    weights *= rng.random((n_factors, n_labels)) < 0.35
    rates = np.geomspace(0.35, 0.03, n_labels)
    rng.shuffle(rates)
    spread = np.sqrt(1.0 + (np.pi / 8) * (weights ** 2).sum(axis=0))  # probit approximation
    bias = np.log(rates / (1 - rates)) * spread
    u = rng.standard_normal((n_items, n_factors))
    p = 1.0 / (1.0 + np.exp(-(u @ weights + bias)))
    labels = (rng.random((n_items, n_labels)) < p).astype(np.uint8)
    empty = ~labels.any(axis=1)
    labels[np.flatnonzero(empty), np.argmax(p[empty], axis=1)] = 1
    return labels


def _tag_text(rng, labels, text_dim, tags_mean, text_signal, words_per_label):
    n, c = labels.shape
    zipf_bg = 1.0 / np.arange(1, text_dim + 1) ** 1.1
    background = rng.permutation(zipf_bg / zipf_bg.sum())
    label_words = [rng.choice(text_dim, size=words_per_label, replace=False) for _ in range(c)]
    word_p = 1.0 / np.arange(1, words_per_label + 1) ** 0.8
    word_p /= word_p.sum()
    n_tags = 1 + rng.poisson(tags_mean - 1, size=n)
    rows, cols = [], []
    for i in range(n):
        own = np.flatnonzero(labels[i])
        k = n_tags[i]
        from_label = rng.random(k) < text_signal
        which = own[rng.integers(0, own.size, size=k)]
        picks = np.where(
            from_label,
            np.array([label_words[l][rng.choice(words_per_label, p=word_p)] for l in which]),
            rng.choice(text_dim, size=k, p=background),
        )
        picks = np.unique(picks)
        rows.append(np.full(picks.size, i))
        cols.append(picks)
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    return sp.csr_matrix((np.ones(rows.size, np.float32), (rows, cols)), shape=(n, text_dim))


def make_synthetic(*, n_items: int = 4000, n_labels: int = 24, image_dim: int = 512, text_dim: int = 500,
                   seed: int = 0, n_factors: int = 8, tags_mean: float = 6.0, text_signal: float = 0.85,
                   words_per_label: int = 8, sparse_text: bool = False) -> CrossModalDataset:
    """A fully synthetic, seeded cross-modal dataset (generator in the module docstring).

    Parameters
    ----------
    n_items, n_labels, image_dim, text_dim : int
        Sizes.  The defaults build in well under a second and train quickly.
    seed : int
        Same seed -> same dataset, bit for bit.
    n_factors : int
        Latent factors behind the label co-occurrence.
    tags_mean : float
        Mean number of tags per item (>= 1).
    text_signal : float in [0, 1]
        Probability that a tag comes from one of the item's labels.
    words_per_label : int
        Size of each label's tag vocabulary.
    sparse_text : bool
        Return the text as CSR (True) or dense float32 (False).

    Returns
    -------
    CrossModalDataset
        ``image`` float32 (n_items, image_dim) >= 0; ``text`` float32 0/1
        (n_items, text_dim); ``labels`` uint8 (n_items, n_labels), every row
        with >= 1 label; name ``"synthetic"``.
    """
    caller = "make_synthetic"
    n_items = check_int(n_items, "n_items", caller=caller, min_value=2)
    n_labels = check_int(n_labels, "n_labels", caller=caller, min_value=2)
    image_dim = check_int(image_dim, "image_dim", caller=caller, min_value=1)
    text_dim = check_int(text_dim, "text_dim", caller=caller, min_value=2)
    seed = check_int(seed, "seed", caller=caller, min_value=0)
    n_factors = check_int(n_factors, "n_factors", caller=caller, min_value=1)
    words_per_label = check_int(words_per_label, "words_per_label", caller=caller, min_value=1,
                                max_value=text_dim)
    tags_mean = _check_float(tags_mean, "tags_mean", caller, 1.0, float(text_dim))
    text_signal = _check_float(text_signal, "text_signal", caller, 0.0, 1.0)
    rng = np.random.default_rng(seed)
    labels = _latent_labels(rng, n_items, n_labels, n_factors)
    image = synthetic_image_features(labels, image_dim=image_dim, rng=rng)
    text = _tag_text(rng, labels, text_dim, tags_mean, text_signal, words_per_label)
    if not sparse_text:
        text = text.toarray()
    notes = (f"synthetic: a fully synthetic cross-modal dataset (hashx.data.synthetic.make_synthetic, "
             f"seed={seed}, n_items={n_items}, n_labels={n_labels}, image_dim={image_dim}, text_dim={text_dim}); "
             f"not real data.")
    return CrossModalDataset(image=image, text=text, labels=labels, name="synthetic", notes=notes)


def make_mirflickr_synthimg(data_dir, *, seed: int = 0, image_dim: int = 4096) -> CrossModalDataset:
    """MIRFlickr-25K with real labels and tags and synthetic image features.

    Parameters
    ----------
    data_dir : str or os.PathLike
        Folder with ``mirflickr25k-lall.mat`` and ``mirflickr25k-yall.mat``
        (or a merged ``FLICKR-25K.mat``), as read by
        :func:`hashx.data.mirflickr.read_mirflickr25k_labels_tags`.
    seed : int
        Seed of the image generator.
    image_dim : int
        Feature dimension (4096 like CNN-F fc7; smaller values for quick tests).

    Returns
    -------
    CrossModalDataset
        Name ``"mirflickr25k-synthimg"``; rows in the DCMH order of the files
        (so the ``mirflickr25k`` split applies); ``image`` float32
        (20015, image_dim) synthetic; ``text`` the real ``YAll`` (float32);
        ``labels`` the real ``LAll``; ``notes`` says the images are synthetic.
    """
    from .mirflickr import read_mirflickr25k_labels_tags

    seed = check_int(seed, "seed", caller="make_mirflickr_synthimg", min_value=0)
    image_dim = check_int(image_dim, "image_dim", caller="make_mirflickr_synthimg", min_value=1)
    labels, text = read_mirflickr25k_labels_tags(Path(data_dir))
    rng = np.random.default_rng([seed, 25])  # a stream distinct from make_synthetic(seed)
    image = synthetic_image_features(labels, image_dim=image_dim, rng=rng, **SYNTHIMG_IMAGE_SETTINGS)
    notes = SYNTHIMG_NOTE + f" (seed={seed}, image_dim={image_dim})"
    return CrossModalDataset(image=image, text=text, labels=labels, name="mirflickr25k-synthimg", notes=notes)


def linear_probe_map(x, labels: np.ndarray, *, method: str = "ridge", seed: int = 0,
                     train_fraction: float = 0.7) -> float:
    """Mean average precision of a one-vs-rest linear probe on a held-out part.

    Parameters
    ----------
    x : ndarray or sparse matrix of shape (n, d)
        Features; standardised on the training part (column mean and std).
    labels : ndarray of shape (n, c), dtype=uint8
    method : {"ridge", "logistic"}
        ``"ridge"``: least squares onto the 0/1 labels with an L2 penalty of
        ``0.001 * n_train`` (closed form, fast).  ``"logistic"``: one
        scikit-learn ``LogisticRegression(C=1.0, max_iter=300)`` per label (slow).
    seed : int
        Seed of the train/held-out partition.
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
    if method not in ("ridge", "logistic"):
        raise HashxValueError(f"The 'method' parameter of linear_probe_map must be 'ridge' or 'logistic'. "
                              f"Got {method!r} instead.")
    rng = np.random.default_rng(seed)
    n = labels.shape[0]
    perm = rng.permutation(n)
    cut = int(round(train_fraction * n))
    tr, te = perm[:cut], perm[cut:]
    x = x.toarray() if sp.issparse(x) else np.asarray(x)
    x = x.astype(np.float64)
    mu, sd = x[tr].mean(axis=0), x[tr].std(axis=0) + 1e-6
    x = (x - mu) / sd
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


def _average_precision(relevant: np.ndarray, scores: np.ndarray) -> float:
    """Mean over the positives of the precision at their rank (scores descending, ties by position)."""
    rel = relevant[np.argsort(-scores, kind="stable")].astype(bool)
    hits = np.cumsum(rel)
    return float(np.mean(hits[rel] / (np.flatnonzero(rel) + 1)))
