"""Which images, in which order: a folder (searched recursively) or a list file.

Rows of every feature file follow this order, so it is part of the recipe:
file names are sorted *naturally* (runs of digits compared as numbers, so
``im2.jpg`` comes before ``im10.jpg``: MIRFlickr's ``im1.jpg`` ...
``im25000.jpg`` keep their numeric order), path by path.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..exceptions import DataFormatError

__all__ = ["IMAGE_SUFFIXES", "natural_key", "list_images"]

#: File suffixes taken as images when a folder is listed (case-insensitive).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm")

_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple:
    """Sort key comparing runs of digits as numbers: ``"im2" < "im10"``; equal numbers tie-break on the text."""
    parts = _DIGITS.split(text)
    return tuple((0, int(p), p) if i % 2 else (1, 0, p) for i, p in enumerate(parts)), text


def list_images(source) -> tuple[Path, list[str]]:
    """The images of a folder or a list file, in their row order.

    Parameters
    ----------
    source : str or os.PathLike
        A folder: every file below it whose suffix is in
        :data:`IMAGE_SUFFIXES` (hidden files and folders skipped), in natural
        order of the relative path.  Or a text file: one image path per line
        (relative to the list file's folder, or absolute), in the file's
        order; blank lines are skipped.

    Returns
    -------
    root : pathlib.Path
        The folder the paths are relative to.
    paths : list of str
        Relative paths (POSIX separators), one per row.

    Raises
    ------
    DataFormatError
        ``source`` does not exist, holds no image, or lists a missing file or one twice.
    """
    source = Path(source).expanduser()
    if source.is_dir():
        paths = [p.relative_to(source).as_posix() for p in source.rglob("*")
                 if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                 and not any(part.startswith(".") for part in p.relative_to(source).parts)]
        if not paths:
            raise DataFormatError(f"Image folder '{source}' holds no image file "
                                  f"(looked for {', '.join(IMAGE_SUFFIXES)}).")
        return source, sorted(paths, key=natural_key)
    if not source.is_file():
        raise DataFormatError(f"Image source '{source}' does not exist; give a folder of images or a text file "
                              f"listing one image path per line.")
    root = source.parent
    try:
        lines = source.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise DataFormatError(f"Image list '{source}' is not a UTF-8 text file with one image path per line.") from None
    paths = [line.strip() for line in lines if line.strip()]
    if not paths:
        raise DataFormatError(f"Image list '{source}' lists no image.")
    seen = set()
    for p in paths:
        if p in seen:
            raise DataFormatError(f"Image list '{source}' lists '{p}' twice; every image must be one row.")
        seen.add(p)
        if not (root / p).is_file():
            raise DataFormatError(f"Image list '{source}' names '{p}', which does not exist under '{root}'.")
    return root, paths
