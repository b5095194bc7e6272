"""NUS-WIDE: the official 81-concept label tables, the TC-21/TC-10 subsets, and the DCMH/DADH files.

Official label tables
---------------------
:func:`read_nuswide_concepts` reads ``nuswide81_labels_train.zip`` and
``nuswide81_labels_test.zip`` (each one CSV, ``labels_train.csv`` /
``labels_test.csv``: a header ``image,<81 concept names>`` then one row per
image ``<Imagelist path>,<81 x 0/1>``), train rows first, then test rows:
269,648 images in all, the whole of NUS-WIDE.  Two anomalies of that release
are handled, and logged:

1. **A corrupted cell.** Train row ``house_of_worship\\0098_1153198149.jpg``,
   column ``lake``, holds ``-1130179``.  Every value other than ``1`` counts
   as ``0`` (the official rule for the ground-truth files is "1 = positive").
2. **Swapped header names.**  The columns headed ``water`` and ``waterfall``
   are swapped: the one headed ``waterfall`` has 35,264 positives and the one
   headed ``water`` 627.  The reader swaps the two *columns* back (so that the
   concept list stays alphabetical and ``water`` is the frequent one) when the
   column headed ``waterfall`` is the more frequent; with the fix, the
   standard subset sizes come out exactly (below).

Subsets by concept frequency
----------------------------
:func:`select_top_concepts` keeps the ``n`` most frequent concepts (ties by
column order) and the images with at least one of them:

- TC-21 (21 concepts): **195,834** images, the NUS-WIDE-21 of DCMH, SSAH, DADH;
- TC-10 (10 concepts: sky, clouds, person, water, animal, grass, buildings,
  window, plants, lake): **186,577** images, the NUS-WIDE-TC10 of DCMH/SSAH.

The subset keeps the official row order and, for its label columns, the
official (alphabetical) column order of the selected concepts.

Dataset files
-------------
:func:`load_nuswide` reads, for TC-21 or TC-10 (``n_concepts`` 21 or 10),
either the DADH file ``NUS-WIDE-TC21.mat`` / ``NUS-WIDE-TC10.mat``
(``image`` 4096-d CNN-F features, ``text`` 1000-d tags, ``label``), or the
DCMH files ``nus-wide-tc21-lall.mat`` (``LAll``), ``nus-wide-tc21-yall.mat``
(``YAll``, 1000-d tags) with ``nus-wide-tc21-iall.mat`` (``IAll``, raw
images, read lazily) or ``nus-wide-tc21-xall-vgg.mat`` (``XAll``, features);
``tc10`` likewise.  MATLAB v5 and v7.3 are both read.  The official tables
have labels only (no tags, no image features), so they cannot make a
cross-modal dataset on their own.
"""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import numpy as np

from .._validation import check_array, check_int
from ..exceptions import DataFormatError, HashxValueError
from . import _arrays as A
from .dataset import CrossModalDataset
from .matfile import MatFile

__all__ = [
    "NUSWIDE_TABLE_FILES",
    "read_nuswide_concepts",
    "select_top_concepts",
    "top_concept_columns",
    "nuswide_files",
    "load_nuswide",
]

logger = logging.getLogger(__name__)

#: The official label tables, in reading order (train rows, then test rows).
NUSWIDE_TABLE_FILES = ("nuswide81_labels_train.zip", "nuswide81_labels_test.zip")
_N_CONCEPTS = 81


def _parse_table(zip_path: Path) -> tuple[list[str], list[str], np.ndarray]:
    """(concept names, row keys, labels uint8) of one official label table."""
    try:
        with zipfile.ZipFile(zip_path) as zf:
            members = [m for m in zf.namelist() if m.lower().endswith(".csv")]
            if len(members) != 1:
                raise DataFormatError(
                    f"File '{zip_path}': expected one .csv label table inside the zip. Found {members}."
                )
            raw = zf.read(members[0])
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataFormatError(f"File '{zip_path}': not a readable zip file ({exc}).") from None
    lines = raw.split(b"\n")
    header = lines[0].rstrip(b"\r").decode("utf-8").split(",")
    if len(header) != _N_CONCEPTS + 1 or header[0] != "image":
        raise DataFormatError(
            f"File '{zip_path}': the header must be 'image' followed by {_N_CONCEPTS} concept names. "
            f"Got {len(header) - 1} names after {header[0]!r}."
        )
    concepts = header[1:]
    keys, fast, slow_rows, slow_values = [], [], [], []
    width = 2 * _N_CONCEPTS - 1  # "0,1,0,...": one character per value
    for line in lines[1:]:
        line = line.rstrip(b"\r")
        if not line:
            continue
        key, sep, rest = line.partition(b",")
        if not sep:
            raise DataFormatError(f"File '{zip_path}': row {len(keys) + 1} has no label values.")
        if len(rest) == width:
            fast.append(rest)
        else:  # anomalous cells (e.g. -1130179): parse as integers
            values = rest.split(b",")
            if len(values) != _N_CONCEPTS:
                raise DataFormatError(
                    f"File '{zip_path}': row {len(keys) + 1} ({key.decode(errors='replace')}) has "
                    f"{len(values)} values, expected {_N_CONCEPTS}."
                )
            try:
                ints = np.array([int(v) for v in values], dtype=np.int64)
            except ValueError:
                raise DataFormatError(
                    f"File '{zip_path}': row {len(keys) + 1} holds a non-integer label value."
                ) from None
            slow_rows.append(len(keys))
            slow_values.append(ints)
            fast.append(None)
        keys.append(key.decode("utf-8"))
    n = len(keys)
    labels = np.zeros((n, _N_CONCEPTS), dtype=np.uint8)
    fast_rows = np.array([i for i, r in enumerate(fast) if r is not None], dtype=np.int64)
    if fast_rows.size:
        chars = np.frombuffer(b"".join(r for r in fast if r is not None), dtype=np.uint8)
        chars = chars.reshape(fast_rows.size, width)
        if np.any(chars[:, 1::2] != ord(",")):
            raise DataFormatError(f"File '{zip_path}': a row of label values is not comma-separated.")
        digits = chars[:, ::2]
        if np.any((digits < ord("0")) | (digits > ord("9"))):
            raise DataFormatError(f"File '{zip_path}': a label value is not a digit.")
        labels[fast_rows] = digits == ord("1")
    for row, ints in zip(slow_rows, slow_values):
        odd = np.flatnonzero((ints != 0) & (ints != 1))
        for col in odd:
            logger.info("%s: row %d (%s), concept '%s' holds %d; counted as 0.",
                        zip_path.name, row, keys[row], concepts[col], ints[col])
        labels[row] = ints == 1
    return concepts, keys, labels


def read_nuswide_concepts(data_dir) -> tuple[np.ndarray, list[str], list[str]]:
    """Read the official NUS-WIDE 81-concept label tables.

    Parameters
    ----------
    data_dir : str or os.PathLike
        A folder holding ``nuswide81_labels_train.zip`` and ``nuswide81_labels_test.zip``.

    Returns
    -------
    labels : ndarray of shape (269648, 81), dtype=uint8
        Train rows, then test rows.  Values other than 1 in the file count as 0.
    concepts : list of str
        The 81 concept names, alphabetical; the swapped ``water``/``waterfall``
        columns are put back (see the module docstring).
    keys : list of str
        The Imagelist path of each row (e.g. ``actor\\0001_2124494179.jpg``).

    Raises
    ------
    DataFormatError
        A file is missing, not a zip, or its table is malformed; or the two
        tables disagree on the concept names.
    """
    data_dir = Path(data_dir)
    missing = [f for f in NUSWIDE_TABLE_FILES if not (data_dir / f).is_file()]
    if missing:
        raise DataFormatError(
            f"NUS-WIDE label tables not found in '{data_dir}': missing {', '.join(missing)} "
            f"(looked for {', '.join(NUSWIDE_TABLE_FILES)})."
        )
    parts = [_parse_table(data_dir / f) for f in NUSWIDE_TABLE_FILES]
    concepts = parts[0][0]
    if parts[1][0] != concepts:
        raise DataFormatError(
            f"The NUS-WIDE tables in '{data_dir}' disagree on the concept names (train vs test header)."
        )
    labels = np.concatenate([p[2] for p in parts], axis=0)
    keys = parts[0][1] + parts[1][1]
    if "water" in concepts and "waterfall" in concepts:
        i, j = concepts.index("water"), concepts.index("waterfall")
        counts = labels.sum(axis=0, dtype=np.int64)
        if counts[j] > counts[i]:
            logger.info("NUS-WIDE: the columns headed 'water' (%d positives) and 'waterfall' (%d) are swapped "
                        "in the header; swapping them back.", counts[i], counts[j])
            labels[:, [i, j]] = labels[:, [j, i]]
    return labels, list(concepts), keys


def top_concept_columns(labels: np.ndarray, n_concepts: int) -> np.ndarray:
    """Columns of the ``n_concepts`` most frequent concepts, in ascending column order.

    Ties in frequency go to the lower column index.

    Returns
    -------
    ndarray of shape (n_concepts,), dtype=int64
    """
    check_array(labels, "labels", caller="top_concept_columns", ndim=2, dtype_kind="iub")
    n_concepts = check_int(n_concepts, "n_concepts", caller="top_concept_columns",
                           min_value=1, max_value=labels.shape[1])
    counts = labels.astype(bool).sum(axis=0, dtype=np.int64)
    order = np.lexsort((np.arange(counts.shape[0]), -counts))
    return np.sort(order[:n_concepts]).astype(np.int64)


def select_top_concepts(labels: np.ndarray, concepts, n_concepts: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows labelled with at least one of the ``n_concepts`` most frequent concepts.

    Parameters
    ----------
    labels : ndarray of shape (n, c), 0/1 integer or bool
        E.g. the first output of :func:`read_nuswide_concepts`.
    concepts : sequence of str, length c
        Concept names (used for the log message and checked for length).
    n_concepts : int
        21 for NUS-WIDE-TC21, 10 for TC-10.

    Returns
    -------
    rows : ndarray of shape (m,), dtype=int64
        Selected rows, ascending (195,834 for 21, 186,577 for 10 on the official tables).
    sub_labels : ndarray of shape (m, n_concepts), dtype=uint8
        Their labels on the selected concepts (official column order).
    """
    check_array(labels, "labels", caller="select_top_concepts", ndim=2, dtype_kind="iub")
    if len(concepts) != labels.shape[1]:
        raise HashxValueError(
            f"The 'concepts' parameter of select_top_concepts must name the {labels.shape[1]} label columns. "
            f"Got {len(concepts)} names instead."
        )
    cols = top_concept_columns(labels, n_concepts)
    logger.debug("Top %d concepts: %s", n_concepts, ", ".join(concepts[c] for c in cols))
    sub = np.ascontiguousarray(labels[:, cols] == 1, dtype=np.uint8)
    rows = np.flatnonzero(sub.any(axis=1)).astype(np.int64)
    return rows, sub[rows]


def nuswide_files(n_concepts: int) -> dict:
    """The file names looked for, per layout, for TC-``n_concepts``."""
    tc = f"tc{n_concepts}"
    return {
        "dadh": (f"NUS-WIDE-{tc.upper()}.mat",),
        "dcmh": (f"nus-wide-{tc}-lall.mat", f"nus-wide-{tc}-yall.mat"),
        "dcmh-image": (f"nus-wide-{tc}-iall.mat", f"nus-wide-{tc}-xall-vgg.mat"),
    }


def load_nuswide(data_dir, *, n_concepts: int = 21, image: str = "auto",
                 sparse_text: bool | None = None) -> CrossModalDataset:
    """Load NUS-WIDE TC-21 or TC-10 from the DADH or the DCMH files.

    Parameters
    ----------
    data_dir : str or os.PathLike
        Folder holding the files (see the module docstring for their names).
    n_concepts : {21, 10}
    image : {"auto", "features", "raw"}
        Which image data to read from the DCMH files: ``XAll`` features,
        ``IAll`` raw images (lazy), or whichever is present (features first).
    sparse_text : bool, optional
        Text as CSR (True), dense (False) or chosen by size (None, see
        :func:`hashx.data._arrays.read_text`).

    Returns
    -------
    CrossModalDataset
        ``labels`` uint8 (n, n_concepts); ``text`` float32; ``image`` float32
        features or :class:`~hashx.data.images.LazyImages`.
    """
    n_concepts = check_int(n_concepts, "n_concepts", caller="load_nuswide")
    if n_concepts not in (21, 10):
        raise HashxValueError(f"The 'n_concepts' parameter of load_nuswide must be 21 or 10. Got {n_concepts}.")
    data_dir = Path(data_dir)
    files = nuswide_files(n_concepts)
    name = f"nuswide-tc{n_concepts}"
    dadh = data_dir / files["dadh"][0]
    if dadh.is_file():
        mf = MatFile(dadh)
        return _assemble(name, n_concepts, (mf, dadh, "image"), (mf, dadh, "text"), (mf, dadh, "label"),
                         sparse_text)
    lall, yall = (data_dir / f for f in files["dcmh"])
    images = [data_dir / f for f in files["dcmh-image"]]
    if image == "raw":
        images = images[:1]
    elif image == "features":
        images = images[1:]
    elif image != "auto":
        raise HashxValueError(f"The 'image' parameter of load_nuswide must be 'auto', 'features' or 'raw'. "
                              f"Got {image!r} instead.")
    else:
        images = images[::-1]
    found_image = next((p for p in images if p.is_file()), None)
    if not (lall.is_file() and yall.is_file() and found_image is not None):
        looked = [files["dadh"][0], *files["dcmh"], *[p.name for p in images]]
        extra = ""
        if all((data_dir / f).is_file() for f in NUSWIDE_TABLE_FILES):
            extra = (" The official label tables are there, but they hold labels only; use "
                     "read_nuswide_concepts() for them.")
        raise DataFormatError(
            f"No NUS-WIDE TC-{n_concepts} dataset files in '{data_dir}'. Looked for {files['dadh'][0]} "
            f"(DADH: image, text, label) or {' + '.join(files['dcmh'])} with one of "
            f"{' / '.join(p.name for p in images)}; looked for: {', '.join(looked)}.{extra}"
        )
    var = "IAll" if found_image.name.endswith("iall.mat") else "XAll"
    return _assemble(name, n_concepts, (MatFile(found_image), found_image, var),
                     (MatFile(yall), yall, "YAll"), (MatFile(lall), lall, "LAll"), sparse_text)


def _assemble(name, n_concepts, img, txt, lab, sparse_text) -> CrossModalDataset:
    labels = A.read_labels(lab[0], lab[1], lab[2])
    if labels.shape[1] != n_concepts:
        raise DataFormatError(
            f"{A.where(lab[1], lab[2])}: NUS-WIDE TC-{n_concepts} labels must have shape (n, {n_concepts}). "
            f"Got shape {labels.shape} instead."
        )
    A.check_rows([(lab[1], lab[2], labels.shape[0]),
                  (txt[1], txt[2], A.item_count(txt[0], txt[2])),
                  (img[1], img[2], A.item_count(img[0], img[2]))])
    text = A.read_text(txt[0], txt[1], txt[2], sparse=sparse_text)
    image = A.read_image(img[0], img[1], img[2])
    return CrossModalDataset(image=image, text=text, labels=labels, name=name,
                             notes=f"NUS-WIDE TC-{n_concepts} read from {img[1].name}, {txt[1].name}, {lab[1].name}.")
