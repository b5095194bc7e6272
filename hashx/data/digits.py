"""Real, small, single-label protocols: two views of scikit-learn's handwritten digits.

scikit-learn ships, inside its package, the test set of the UCI "Optical
Recognition of Handwritten Digits" dataset (E. Alpaydin and C. Kaynak, 1998):
1,797 handwritten digits 0-9 by 13 writers, about 180 per class, each an 8x8
image whose pixels count the "on" pixels of a 4x4 block of a 32x32 bitmap
(integers 0-16).  :func:`sklearn.datasets.load_digits` reads it with no
download.  hashx cuts every image into two views and uses them as the two
modalities: real data that runs everywhere, single-label and low-dimensional
like the Wikipedia benchmark.

====================  =======================  ========================  =========================
protocol              ``image`` (weaker view)  ``text`` (stronger view)  linear probe
====================  =======================  ========================  =========================
``digits-halves``     left half, 8x4 = 32-d    right half, 32-d          image 0.850, text 0.883
``digits-quadrants``  top-left 4x4, 16-d       bottom-right 4x4, 16-d    image 0.629, text 0.665
====================  =======================  ========================  =========================

Which view is "image": in each pair the view that carries less class signal,
so that, as in the Wikipedia benchmark (weak image features, stronger topic
text), image-side queries are the harder direction.  The views are not
images and text; the names only say which network reads which view.  The
halves are easy; the quadrants, which never see the middle of the digit, are
hard.  Each view is the pixels of its block in row-major order, float32,
unscaled (integers 0-16).  Labels are one-hot uint8 (1797, 10), column ``k``
= digit ``k``.  Rows are in scikit-learn's order, which the loader verifies
by a SHA-256 of the pixels and digits (:data:`DIGITS_SHA256`), so that the
shipped split always indexes the same images.

Linear probe: :func:`~hashx.data.probe.linear_probe_accuracy` (scikit-learn
``LogisticRegression(C=1, max_iter=1000)``, multinomial, standardised
features, fitted on a random 70% of the 1,797 items and scored on the other
30%), mean over partition seeds 0-4, measured with scikit-learn 1.9.1:
left half 0.850 (0.837-0.861), right half 0.883 (0.852-0.894), top-left
quadrant 0.629 (0.612-0.664), bottom-right quadrant 0.665 (0.659-0.673).
Chance is about 0.10.

Split (both protocols share it, so their queries are the same images):
1,797 items; 435 queries (24.2%, the query share of the Wikipedia
benchmark's 693 of 2,866); the other 1,362 items are the retrieval database
and also the training set; 136 validation items (``min(1000, 1362 // 10)``)
are carved from the training set, so models fit on 1,226 items.  The split of
seed 0 is shipped as ``hashx/data/splits/digits-halves.json``.
"""

from __future__ import annotations

import hashlib

import numpy as np

from .._validation import check_choice
from ..exceptions import DataFormatError
from .dataset import CrossModalDataset

__all__ = ["DIGITS_VIEWS", "DIGITS_SHA256", "load_digits_views"]

#: view name -> ((rows, columns) of the image view, (rows, columns) of the text view), as slices of 8x8.
DIGITS_VIEWS = {
    "halves": ((slice(0, 8), slice(0, 4)), (slice(0, 8), slice(4, 8))),
    "quadrants": ((slice(0, 4), slice(0, 4)), (slice(4, 8), slice(4, 8))),
}

#: SHA-256 of scikit-learn's digits: the (1797, 8, 8) pixels as uint8, then the (1797,) digits as uint8.
DIGITS_SHA256 = "87ff0c9e40dc7e2c0e34e7257799c2e3f3aec1a016363bb11cad869ec428a826"

_N_ITEMS, _N_CLASSES = 1797, 10


def _read_digits():
    """scikit-learn's digits as (uint8 (1797, 8, 8) pixels, int64 (1797,) digits), verified."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # scikit-learn is a core dependency; say so if it is missing
        raise ImportError("The digits protocols need scikit-learn (pip install scikit-learn).") from exc
    bunch = load_digits()
    images, target = np.asarray(bunch.images), np.asarray(bunch.target)
    if images.shape != (_N_ITEMS, 8, 8) or target.shape != (_N_ITEMS,):
        raise DataFormatError(f"scikit-learn's digits have shape {images.shape} / {target.shape}; expected "
                              f"({_N_ITEMS}, 8, 8) images and ({_N_ITEMS},) digits.")
    pixels = images.astype(np.uint8)
    digest = hashlib.sha256(pixels.tobytes() + target.astype(np.uint8).tobytes()).hexdigest()
    if digest != DIGITS_SHA256 or not np.array_equal(pixels, images):
        raise DataFormatError(
            f"scikit-learn's digits (sklearn.datasets.load_digits) are not the copy hashx knows: their SHA-256 "
            f"is {digest}, expected {DIGITS_SHA256}; the shipped split would index other images."
        )
    return pixels, target.astype(np.int64)


def load_digits_views(*, views: str = "halves") -> CrossModalDataset:
    """scikit-learn's handwritten digits as a two-view cross-modal dataset (module docstring).

    Parameters
    ----------
    views : {"halves", "quadrants"}
        ``"halves"``: image = left half, text = right half (32-d each).
        ``"quadrants"``: image = top-left 4x4, text = bottom-right 4x4 (16-d each).

    Returns
    -------
    CrossModalDataset
        Name ``"digits-<views>"``; ``image`` and ``text`` float32 (1797, 32)
        or (1797, 16), integers 0-16; ``labels`` uint8 (1797, 10) one-hot;
        ``ids`` the row numbers of :func:`sklearn.datasets.load_digits`;
        ``notes`` state that the data are real and where they come from.

    Raises
    ------
    HashxValueError
        Unknown ``views``.
    DataFormatError
        scikit-learn's copy of the digits is not the one hashx was built on.
    """
    check_choice(views, "views", tuple(DIGITS_VIEWS), caller="load_digits_views")
    pixels, target = _read_digits()
    (image_rows, image_cols), (text_rows, text_cols) = DIGITS_VIEWS[views]
    image = pixels[:, image_rows, image_cols].reshape(_N_ITEMS, -1).astype(np.float32)
    text = pixels[:, text_rows, text_cols].reshape(_N_ITEMS, -1).astype(np.float32)
    labels = np.zeros((_N_ITEMS, _N_CLASSES), dtype=np.uint8)
    labels[np.arange(_N_ITEMS), target] = 1
    what = ("left half (image) and right half (text), 32-d each" if views == "halves"
            else "top-left 4x4 quadrant (image) and bottom-right 4x4 quadrant (text), 16-d each")
    notes = (f"digits-{views}: REAL data: scikit-learn's bundled handwritten digits (sklearn.datasets.load_digits, "
             f"the test set of the UCI optdigits dataset: 1,797 8x8 images of the digits 0-9), {what}, "
             f"as two views of the same image.")
    return CrossModalDataset(image=image, text=text, labels=labels, name=f"digits-{views}", notes=notes)
