"""Tag lists and tag vocabularies: the raw text of MIRFlickr and NUS-WIDE, and its columns.

The field's tag features are a bag-of-words over a fixed vocabulary: DCMH's
MIRFlickr-25K matrix has 1,386 columns (commonly described as the tags used by
at least 20 images; whether that rule reproduces DCMH's columns exactly is
unverified) and NUS-WIDE's has 1,000 (its release's ``TagList1k.txt``, the
most frequent tags).  hashx reads the tag lists you
have and either reads the vocabulary from a file (one tag per line, in column
order; e.g. a published ``TagList.txt``) or builds it from the lists by
document frequency (:func:`build_vocabulary`).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .._validation import check_int
from ..exceptions import DataFormatError, HashxValueError
from .image_list import natural_key

__all__ = ["read_tag_lists", "read_lines", "read_vocabulary", "build_vocabulary", "bag_of_words"]


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DataFormatError(f"Text file '{path}' is not UTF-8.") from None


def _norm(tag: str, lowercase: bool) -> str:
    tag = tag.strip()
    return tag.lower() if lowercase else tag


def read_lines(path) -> list[str]:
    """One item per line of a UTF-8 text file (sentences, captions); an empty line is an empty item.

    Raises
    ------
    DataFormatError
        Missing or non-UTF-8 file, or no line at all.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataFormatError(f"Text file '{path}' does not exist.")
    lines = [line.strip() for line in _read_text(path).splitlines()]
    if not lines:
        raise DataFormatError(f"Text file '{path}' has no line; expected one item per line.")
    return lines


def read_tag_lists(path, *, lowercase: bool = True, sep: str | None = None) -> list[list[str]]:
    """Each item's tags.

    Parameters
    ----------
    path : str or os.PathLike
        A folder with one ``.txt`` file per item, one tag per line
        (MIRFlickr's ``meta/tags/tags1.txt`` ...), taken in natural order of
        the file names (the order of the images ``im1.jpg`` ...); or one text
        file with one item per line, its tags separated by ``sep``.
    lowercase : bool, default=True
        Lower-case every tag.
    sep : str, optional
        Tag separator within a line (default: any whitespace).

    Returns
    -------
    list of list of str
        One list per item (possibly empty), in row order; duplicates within an item are kept.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        files = sorted((p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".txt"),
                       key=lambda p: natural_key(p.name))
        if not files:
            raise DataFormatError(f"Tag folder '{path}' holds no .txt file (one per item, one tag per line).")
        lists = [[_norm(t, lowercase) for t in _read_text(f).splitlines() if t.strip()] for f in files]
    else:
        lists = [[_norm(t, lowercase) for t in line.split(sep) if t.strip()] for line in read_lines(path)]
    return lists


def read_vocabulary(path, *, lowercase: bool = True) -> tuple[str, ...]:
    """A vocabulary file: one tag per line, in column order (blank lines skipped).

    Raises
    ------
    DataFormatError
        Missing file, no tag, or a tag listed twice.
    """
    tags = [_norm(t, lowercase) for t in read_lines(path) if t.strip()]
    if not tags:
        raise DataFormatError(f"Vocabulary file '{path}' lists no tag.")
    seen = set()
    for i, t in enumerate(tags):
        if t in seen:
            raise DataFormatError(f"Vocabulary file '{path}' lists '{t}' twice (line {i + 1}); each tag is one column.")
        seen.add(t)
    return tuple(tags)


def build_vocabulary(tag_lists, *, min_count: int = 1, max_size: int | None = None) -> tuple[str, ...]:
    """The tags used by at least ``min_count`` items, most frequent first.

    Parameters
    ----------
    tag_lists : list of list of str
    min_count : int, default=1
        Keep tags that occur in at least this many items (document
        frequency: a tag repeated within one item counts once).
    max_size : int, optional
        Keep at most this many tags (the most frequent).

    Returns
    -------
    tuple of str
        Ordered by descending document frequency, ties alphabetically.
    """
    min_count = check_int(min_count, "min_count", caller="build_vocabulary", min_value=1)
    max_size = check_int(max_size, "max_size", caller="build_vocabulary", min_value=1, allow_none=True)
    counts = Counter(t for tags in tag_lists for t in set(tags))
    ranked = sorted((t for t, c in counts.items() if c >= min_count), key=lambda t: (-counts[t], t))
    if not ranked:
        raise HashxValueError(f"No tag occurs in at least min_count={min_count} items "
                              f"({len(counts)} distinct tags in {len(tag_lists)} items).")
    return tuple(ranked[:max_size] if max_size is not None else ranked)


def bag_of_words(tag_lists, vocabulary, *, binary: bool = True) -> sp.csr_matrix:
    """Tag lists as rows over ``vocabulary``; tags outside it are ignored.

    Parameters
    ----------
    tag_lists : list of list of str
    vocabulary : sequence of str
        Column order.
    binary : bool, default=True
        1 for a tag present (the field's 0/1 matrices), else its count.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (len(tag_lists), len(vocabulary)), dtype=float32
    """
    column = {t: j for j, t in enumerate(vocabulary)}
    if len(column) != len(vocabulary):
        raise HashxValueError("The 'vocabulary' parameter of bag_of_words lists a tag twice.")
    rows, cols = [], []
    for i, tags in enumerate(tag_lists):
        hits = [column[t] for t in tags if t in column]
        rows.extend([i] * len(hits))
        cols.extend(hits)
    data = np.ones(len(rows), dtype=np.float32)
    matrix = sp.csr_matrix((data, (np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))),
                           shape=(len(tag_lists), len(vocabulary)), dtype=np.float32)
    matrix.sum_duplicates()
    if binary:
        matrix.data[:] = 1.0
    matrix.sort_indices()
    return matrix
