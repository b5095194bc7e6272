"""The file behind a memory-mapped index, and the check that it has not changed.

A memory map reads the file's pages on demand.  If another program writes
into the file, the mapped index would silently search different codes; if it
truncates the file, touching a page past the new end kills the process with
SIGBUS.  An index opened with ``mmap=True`` therefore keeps the opened file
(:class:`MappedFile`) and, before every call that reads the mapped codes,
compares the file's size and modification time with what they were at load
time, raising :class:`~hashx.exceptions.CodeFileError` if either changed.

The file is identified by the open descriptor, not by its path: replacing the
path with a new file (what hashx's atomic writes do: a new file renamed over
the old one) leaves the mapped file intact, and the index keeps searching the
codes it loaded.  What the check cannot see: a change *during* a call, or a
same-size rewrite within the file system's timestamp resolution (a few
milliseconds).  Never modify a mapped file in place; load with ``mmap=False``
to hold a private copy instead.
"""

from __future__ import annotations

import os

from ..exceptions import CodeFileError

__all__ = ["MappedFile", "open_mapped"]


class MappedFile:
    """An open file whose size and modification time are checked before use.

    Parameters
    ----------
    path : str
        The file's path (for messages).
    handle : file object
        The open file (kept open as long as this object lives).
    """

    def __init__(self, path: str, handle):
        self.path = path
        self._handle = handle
        self._stamp = self._read_stamp()

    def _read_stamp(self) -> tuple[int, int]:
        st = os.fstat(self._handle.fileno())
        return st.st_size, st.st_mtime_ns

    def identity(self) -> tuple[int, int]:
        """(device, inode) of the open file."""
        st = os.fstat(self._handle.fileno())
        return st.st_dev, st.st_ino

    def check(self) -> None:
        """Raise CodeFileError if the file was changed in place since it was opened."""
        size, mtime = self._read_stamp()
        if (size, mtime) != self._stamp:
            what = (f"its size went from {self._stamp[0]} to {size} bytes" if size != self._stamp[0]
                    else "it was rewritten (modification time changed)")
            raise CodeFileError(
                f"{self.path!r} was changed in place after this index memory-mapped it ({what}); its codes "
                "can no longer be trusted. Load the index again (hashx writes files atomically, which never "
                "changes a mapped file; or load with mmap=False to keep a private copy)."
            )

    def close(self) -> None:
        self._handle.close()


def open_mapped(path, load):
    """Open ``path``, then ``load(path)``; return (what load returned, MappedFile of the loaded file).

    The file is opened before ``load`` maps it, and both are checked to be the
    same file afterwards, so the watch describes the mapped file even if the
    path is replaced meanwhile (then the load is retried, up to three times).
    """
    path_str = os.fspath(path)
    for _ in range(3):
        try:
            handle = open(path_str, "rb")
        except FileNotFoundError:
            raise CodeFileError(f"{path_str!r} does not exist.") from None
        except IsADirectoryError:
            raise CodeFileError(f"{path_str!r} is a directory, not an index or code file.") from None
        watch = MappedFile(path_str, handle)
        try:
            loaded = load(path)
            st = os.stat(path_str)
        except BaseException:
            handle.close()
            raise
        if (st.st_dev, st.st_ino) == watch.identity() and (st.st_size, st.st_mtime_ns) == watch._stamp:
            return loaded, watch
        handle.close()
    raise CodeFileError(f"{path_str!r} kept changing while it was being loaded; try again once it is complete.")
