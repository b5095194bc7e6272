"""Reading ``.npz`` archives and ``.npy`` files without trusting them.

``numpy.load`` on an ``.npz`` allocates each member's declared shape before
reading it, reports a text file renamed ``.npz`` as "pickled data", a
corrupted member as a bare ``zlib.error`` or ``BadZipFile``, and hands out a
member without the ``.npy`` suffix as raw bytes.  :class:`NpzArchive` reads the
same files (``numpy.savez`` / ``savez_compressed``) and:

- lists as variables only the ``.npy`` members (``name.npy`` -> ``name``),
  after checking that every member's local header agrees with the archive's
  directory (a member whose name was damaged is not silently dropped);
- checks each member's header before reading it: a known dtype without
  Python objects (``allow_pickle`` stays False: data files are never
  unpickled), non-negative dimensions, a declared size that the member's
  stored bytes can hold (:mod:`~hashx.data._limits`) and that fits in memory;
- turns every failure (not a zip file, a damaged member, a CRC mismatch, a
  short member) into a :class:`~hashx.exceptions.DataFormatError` naming the
  file and the variable.

:func:`open_npy` memory-maps a ``.npy`` file (numpy checks its declared size
against the file size) and reports an object array, a damaged header or a
file of another kind the same way.
"""

from __future__ import annotations

import zipfile

import numpy as np

from ..exceptions import DataFormatError
from ._limits import check_memory, check_stored, declared_bytes
from ._messages import cause, where

__all__ = ["NpzArchive", "open_npy"]

_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a member, or the end record of an empty archive
#: Decoding an untrusted file can fail in many ways (zipfile, zlib, numpy's header parser raises ValueError,
#: SyntaxError or tokenize.TokenError...): every one of them is a damaged file, reported as such.
_READ_ERRORS = (Exception,)


def _starts_with(path, prefix: bytes) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(prefix)) == prefix
    except OSError:
        return False


class NpzArchive:
    """An ``.npz`` file opened for checked reading (use as a context manager, or call :meth:`close`).

    Parameters
    ----------
    path : str or os.PathLike

    Attributes
    ----------
    files : list of str
        The variables (``.npy`` members without their suffix), in archive order.

    Raises
    ------
    DataFormatError
        The file is not a zip archive (e.g. a text or ``.npy`` file renamed
        ``.npz``) or its directory is damaged.
    """

    def __init__(self, path):
        self.path = path
        self._zip = None
        try:
            if not any(_starts_with(path, m) for m in _ZIP_MAGIC):  # numpy.load's test; zipfile skips a prefix
                raise zipfile.BadZipFile("it does not start with a zip member")
            self._zip = zipfile.ZipFile(path)
            infos = self._zip.infolist()
            for info in infos:  # each local header must agree with the directory (a damaged name is refused)
                self._zip.open(info).close()
        except _READ_ERRORS as exc:
            if getattr(self, "_zip", None) is not None:
                self._zip.close()
            hint = " It is a .npy file: name it .npy." if _starts_with(path, _NPY_MAGIC) else ""
            raise DataFormatError(f"File '{path}' is not a readable .npz archive (numpy.savez's zip format; "
                                  f"{cause(exc)}).{hint}") from None
        self._members = {}
        for info in infos:
            if info.filename.endswith(".npy") and not info.is_dir():
                self._members.setdefault(info.filename[:-4], info)
        self.files = list(self._members)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self._zip.close()

    def __contains__(self, name) -> bool:
        return name in self._members

    def __getitem__(self, name) -> np.ndarray:
        return self.read(name)

    def _header(self, name):
        info = self._members[name]
        with self._zip.open(info) as fp:
            version = np.lib.format.read_magic(fp)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
            elif version in ((2, 0), (3, 0)):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
            else:
                raise ValueError(f"unknown .npy format version {version}")
            return shape, dtype, info.file_size - fp.tell()

    def shape(self, name) -> tuple:
        """The declared shape of variable ``name`` (header only; checked as in :meth:`read`)."""
        return self._checked_header(name)[0]

    def _checked_header(self, name):
        if name not in self._members:
            raise DataFormatError(f"File '{self.path}' has no variable '{name}'. "
                                  f"Variables found: {', '.join(self.files) or 'none'}.")
        try:
            shape, dtype, available = self._header(name)
        except _READ_ERRORS as exc:
            raise DataFormatError(f"{where(self.path, name)}: the archive member is damaged ({cause(exc)}).") from None
        if dtype.hasobject:
            raise DataFormatError(
                f"{where(self.path, name)}: holds Python objects (dtype {dtype}); hashx never unpickles data "
                f"files (allow_pickle=False). Save it as a numeric array."
            )
        if any(s < 0 for s in shape):
            raise DataFormatError(f"{where(self.path, name)}: declares a negative dimension, shape {shape}.")
        info = self._members[name]
        need = declared_bytes(shape, dtype.itemsize)
        if need > available:
            raise DataFormatError(
                f"{where(self.path, name)}: declares shape {shape} of {dtype} ({need} bytes) but the member "
                f"holds {max(available, 0)} bytes of data; the archive is truncated or corrupted."
            )
        check_stored(self.path, name, shape, dtype.itemsize, info.compress_size,
                     compressed=info.compress_type != zipfile.ZIP_STORED)
        check_memory(self.path, name, shape, dtype)
        return shape, dtype

    def read(self, name) -> np.ndarray:
        """Variable ``name`` as an ndarray, after the checks of the module docstring.

        Raises
        ------
        DataFormatError
            Missing variable, an object dtype, a declared size the member
            cannot hold, or a damaged member (the message names both).
        """
        self._checked_header(name)
        try:
            with self._zip.open(self._members[name]) as fp:
                return np.lib.format.read_array(fp, allow_pickle=False)
        except _READ_ERRORS as exc:
            raise DataFormatError(f"{where(self.path, name)}: the archive member is damaged "
                                  f"({cause(exc)}).") from None


def open_npy(path, var=None) -> np.ndarray:
    """A ``.npy`` file memory-mapped read-only (``allow_pickle=False``).

    Raises
    ------
    DataFormatError
        The file is not a ``.npy`` file (an ``.npz`` archive or a text file
        included), holds Python objects, or is damaged or shorter than its
        header declares.
    """
    label = where(path) + (f" ({var})" if var else "")
    if not _starts_with(path, _NPY_MAGIC):
        kind = " It is an .npz archive: name it .npz." if _starts_with(path, b"PK\x03\x04") else ""
        raise DataFormatError(f"{label} is not a .npy file (it does not start with numpy's magic bytes).{kind}")
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (Exception, MemoryError) as exc:
        if "Python objects" in str(exc) or "Object arrays" in str(exc):
            raise DataFormatError(f"{label} holds Python objects; hashx never unpickles data files "
                                  f"(allow_pickle=False). Save it as a numeric array.") from None
        raise DataFormatError(f"{label} is not a readable .npy array: it is truncated or corrupted "
                              f"({cause(exc)}).") from None
    if not isinstance(array, np.ndarray):  # pragma: no cover - the magic check above rules this out
        raise DataFormatError(f"{label} is not a .npy array.")
    return array
