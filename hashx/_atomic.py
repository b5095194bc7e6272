"""Atomic file writes: write to a temporary file beside the target, then rename.

A crash (or an exception) before the rename leaves the old file untouched and
removes the temporary file, so readers never see a half-written checkpoint,
code file or split file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write", "remove_stale_temporaries", "temporary_pattern"]


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path, mode: str = "wb"):
    """Open a temporary file for writing that replaces ``path`` on success.

    Parameters
    ----------
    path : str or os.PathLike
        The final destination.  Its directory must exist.
    mode : {"wb", "w"}
        Binary or text mode.

    Yields
    ------
    file object
        Write to it; it is flushed, fsync'ed and renamed over ``path`` when the
        ``with`` block ends without an exception.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"The 'mode' parameter of atomic_write must be 'wb' or 'w'. Got {mode!r} instead.")
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    # mkstemp creates the file with mode 0600; give it the permissions any new
    # file would get (0666 minus the umask), so the rename changes nothing else.
    os.chmod(tmp, 0o666 & ~_current_umask())
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def temporary_pattern(name: str) -> str:
    """Glob pattern of the temporary files :func:`atomic_write` creates for a target called ``name``."""
    return f".{name}.*.tmp"


def remove_stale_temporaries(directory, names) -> list[Path]:
    """Delete temporary files that a killed :func:`atomic_write` left for targets ``names`` in ``directory``.

    A process killed with SIGKILL (or a power cut) between creating the
    temporary file and renaming it cannot remove it.  Call this when a run
    takes over ``directory`` (a resumed training run does), and only when no
    other process is writing those targets.

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    directory = Path(directory)
    removed = []
    for name in names:
        for tmp in directory.glob(temporary_pattern(name)):
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
                removed.append(tmp)
    return removed
