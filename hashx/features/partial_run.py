"""The unfinished part of a long feature extraction, kept on disk so that a rerun continues it.

Beside the output ``OUT`` a folder ``OUT.partial`` holds ``state.json`` (what
the run computes: backbone, weights SHA-256, the image list's SHA-256, batch
and chunk sizes) and one ``chunk-NNNNNN.npy`` per finished chunk of rows,
each written atomically.  A rerun with the same state skips the finished
chunks; a rerun with another state is refused (the message says what differs)
unless told to start over.  The folder is removed once ``OUT`` is written.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from .._atomic import atomic_write
from ..exceptions import HashxValueError

__all__ = ["PartialRun"]


class PartialRun:
    """Finished chunks of one extraction, in ``<out>.partial``.

    Parameters
    ----------
    out : str or os.PathLike
        The final output file.
    state : dict
        JSON-ready description of the run; a resumed run must have the same.
    resume : bool
        Continue a matching unfinished run (True) or discard any (False).

    Raises
    ------
    HashxValueError
        ``resume`` is true and the unfinished run was started with another state.
    """

    def __init__(self, out, state: dict, *, resume: bool = True):
        self.folder = Path(str(out) + ".partial")
        self.state = json.loads(json.dumps(state))  # as it will read back
        state_file = self.folder / "state.json"
        if self.folder.exists() and not resume:
            shutil.rmtree(self.folder)
        if state_file.is_file():
            try:
                old = json.loads(state_file.read_text(encoding="utf-8"))
            except ValueError:
                old = None
            if old is not None and old != self.state:
                diff = sorted(k for k in set(old) | set(self.state) if old.get(k) != self.state.get(k))
                raise HashxValueError(
                    f"'{self.folder}' holds an unfinished run made with other settings ({', '.join(diff)} differ). "
                    f"Rerun with the same settings to continue it, or start over (resume=False, --restart).")
        self.folder.mkdir(parents=True, exist_ok=True)
        with atomic_write(state_file, "w") as f:
            json.dump(self.state, f, sort_keys=True, indent=1)

    def _chunk(self, index: int) -> Path:
        return self.folder / f"chunk-{index:06d}.npy"

    def load(self, index: int, shape: tuple) -> np.ndarray | None:
        """Chunk ``index`` if it was finished with the expected shape, else None."""
        path = self._chunk(index)
        if not path.is_file():
            return None
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            return None
        return array if array.shape == tuple(shape) and array.dtype == np.float32 else None

    def save(self, index: int, array: np.ndarray) -> None:
        """Store finished chunk ``index`` (atomically)."""
        with atomic_write(self._chunk(index), "wb") as f:
            np.save(f, np.ascontiguousarray(array, dtype=np.float32), allow_pickle=False)

    def finished(self) -> int:
        """How many chunk files are present."""
        return len(list(self.folder.glob("chunk-*.npy")))

    def remove(self) -> None:
        """Delete the folder (after the output is complete)."""
        shutil.rmtree(self.folder, ignore_errors=True)
