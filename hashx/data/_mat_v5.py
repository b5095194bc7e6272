"""Checking the data-element tags of a MATLAB v5 variable before scipy reads it.

scipy's v5 reader looks up the data type of every numeric element (the real
and imaginary parts, sparse indices, character data) in a fixed table without
checking it: a type code outside the table (0, 8, 10, 11, 14, 15, 19 or
more, one damaged byte) makes ``scipy.io.loadmat`` read past the table and die
with SIGSEGV.  It also reads as many parts as the array flags and dimensions
call for, whatever the matrix holds: flags damaged to say "complex" make it
read the next variable's tag as the imaginary part, with the same end.
:func:`check_v5_variable` walks the variable to be read the way scipy will
(inflating a compressed variable as a stream, never holding it whole) and
refuses an element of such a type, a part missing or left over for the
matrix's class and flags, negative dimensions, or an element that overruns
its container, with a :class:`~hashx.exceptions.DataFormatError` naming the
file and the variable.

The layout (MATLAB's "MAT-File Format", v5): a 128-byte header whose last two
bytes are ``IM`` (little-endian) or ``MI`` (big-endian); then elements, each a
tag (uint32 type, uint32 byte count; or a "small" tag with the count in the
upper 16 bits and up to 4 bytes of data) and data padded to 8 bytes.  A
variable is a ``miMATRIX`` element (type 14), or a ``miCOMPRESSED`` element (15)
holding one zlib-deflated ``miMATRIX``.  A matrix holds array flags (class in
the low byte), dimensions and name, then its parts; cell, struct and object
matrices hold further ``miMATRIX`` elements.
"""

from __future__ import annotations

import math
import struct
import zlib

from ..exceptions import DataFormatError
from ._messages import cause, where

__all__ = ["check_v5_variable"]

MI_MATRIX, MI_COMPRESSED = 14, 15
#: The data types scipy's reader has a dtype for (miINT8 .. miUINT64, miUTF8/16/32).
READABLE_TYPES = frozenset({1, 2, 3, 4, 5, 6, 7, 9, 12, 13, 16, 17, 18})
#: MATLAB's array classes (the low byte of the array flags).
_CELL, _STRUCT, _OBJECT, _CHAR, _SPARSE = 1, 2, 3, 4, 5
_NUMERIC = frozenset(range(6, 16))  # double, single, int8 .. uint64
_CHUNK = 1 << 20
#: The largest array flags, dimensions or name element read whole (a name has at most 63 characters).
_MAX_HEADER = 1 << 16


class _Bad(Exception):
    """A malformed element (the message says which)."""


class _FileStream:
    def __init__(self, f, end: int):
        self.f, self.left = f, end - f.tell()

    def read(self, n: int) -> bytes:
        if n > self.left:
            raise _Bad(f"an element needs {n} bytes but {self.left} remain")
        data = self.f.read(n)
        if len(data) != n:
            raise _Bad("the file ends inside an element")
        self.left -= n
        return data

    def skip(self, n: int) -> None:
        if n > self.left:
            raise _Bad(f"an element declares {n} bytes but {self.left} remain")
        self.f.seek(n, 1)
        self.left -= n


class _InflateStream:
    """The inflated bytes of a ``miCOMPRESSED`` element, read in order without holding them all."""

    def __init__(self, f, size: int):
        self.f, self.size, self.z, self.buf = f, size, zlib.decompressobj(), b""

    def _more(self, want: int) -> None:
        while len(self.buf) < want:
            if self.z.unconsumed_tail:
                data = self.z.unconsumed_tail
            else:
                data = self.f.read(min(_CHUNK, self.size))
                self.size -= len(data)
                if not data:
                    raise _Bad("the compressed variable ends inside an element")
            try:
                self.buf += self.z.decompress(data, max(want - len(self.buf), _CHUNK))
            except zlib.error as exc:
                raise _Bad(f"the compressed variable is damaged ({cause(exc)})") from None
            if self.z.eof and len(self.buf) < want:
                raise _Bad("the compressed variable ends inside an element")

    def read(self, n: int) -> bytes:
        self._more(n)
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def skip(self, n: int) -> None:
        while n > 0:
            step = min(n, _CHUNK)
            self.read(step)
            n -= step


def _tag(stream, order: str) -> tuple[int, int, bytes | None]:
    """(type, byte count, small-element data or None)."""
    raw = stream.read(8)
    (word,) = struct.unpack(order + "I", raw[:4])
    if word >> 16:  # small data element: count in the upper 16 bits, data in the tag's second word
        return word & 0xFFFF, word >> 16, raw[4:]
    return word, struct.unpack(order + "I", raw[4:])[0], None


class _Parts:
    """The elements of one matrix body, in order, never past its declared size."""

    def __init__(self, stream, size: int, order: str):
        self.stream, self.left, self.order = stream, size, order

    def next(self) -> tuple[int, int, bytes | None]:
        if self.left < 8:
            raise _Bad("a matrix ends before all its parts")
        kind, n, small = _tag(self.stream, self.order)
        self.left -= 8
        if small is None:
            if n + (-n % 8) > self.left:
                raise _Bad(f"an element of {n} bytes overruns its matrix ({self.left} bytes left)")
            self.left -= n + (-n % 8)
        elif n > 4:
            raise _Bad(f"a small element declares {n} bytes")
        return kind, n, small

    def data(self, what: str, *, keep: bool = False) -> bytes | None:
        """Step over (or, ``keep``, return) the next element, which must be numeric or text."""
        kind, n, small = self.next()
        if kind not in READABLE_TYPES:
            raise _Bad(f"its {what} has data type {kind}, not one of MATLAB's numeric or text types")
        if small is not None:
            return small[:n]
        if not keep:
            self.stream.skip(n + (-n % 8))
            return None
        if n > _MAX_HEADER:
            raise _Bad(f"its {what} declares {n} bytes")
        data = self.stream.read(n)
        self.stream.skip(-n % 8)
        return data


def _matrix(stream, size: int, order: str, depth: int) -> None:
    """Check one miMATRIX body of ``size`` bytes as scipy will read it: the parts its class and flags call
    for, each of a readable data type, nothing missing and nothing left over."""
    if size == 0:
        return  # an empty matrix (allowed inside cells and structs)
    if depth > 64:
        raise _Bad("cells or structs nested more than 64 deep")
    parts = _Parts(stream, size, order)
    flags = parts.data("array flags", keep=True)
    dims = parts.data("dimensions", keep=True)
    parts.data("name", keep=True)
    if len(flags) < 4 or len(dims) < 8 or len(dims) % 4:
        raise _Bad(f"array flags of {len(flags)} bytes or dimensions of {len(dims)} bytes")
    word = struct.unpack(order + "I", flags[:4])[0]
    klass, imaginary = word & 0xFF, ["imaginary part"] if word & 0x800 else []
    shape = struct.unpack(f"{order}{len(dims) // 4}i", dims)
    if min(shape) < 0:
        raise _Bad(f"negative dimensions {shape}")
    items, children = math.prod(shape), 0
    if klass in _NUMERIC:
        expected = ["real part"] + imaginary
    elif klass == _SPARSE:
        expected = ["row indices", "column pointers", "real part"] + imaginary
    elif klass == _CHAR:
        expected = ["characters"]
    elif klass == _CELL:
        expected, children = [], items
    elif klass in (_STRUCT, _OBJECT):
        if klass == _OBJECT:
            parts.data("class name", keep=True)
        length = parts.data("field name length", keep=True)
        names = parts.data("field names", keep=True)
        width = struct.unpack(order + "i", length[:4])[0] if len(length) >= 4 else -1
        if width < 0 or (width == 0 and names) or (width and len(names) % width):
            raise _Bad(f"field names of {len(names)} bytes in slots of {width}")
        expected, children = [], (len(names) // width if width else 0) * items
    else:
        raise _Bad(f"MATLAB class number {klass} is not one hashx reads")
    for what in expected:
        parts.data(what)
    for _ in range(children):
        kind, n, small = parts.next()
        if kind != MI_MATRIX or small is not None or n % 8:
            raise _Bad(f"a cell or field holds data type {kind} of {n} bytes, not a matrix")
        _matrix(stream, n, order, depth + 1)
    if parts.left:
        raise _Bad(f"{parts.left} bytes follow its last part")


def check_v5_variable(path, var=None) -> None:
    """Refuse variable ``var`` (default: every variable) of v5 file ``path`` when one of its elements would
    crash scipy's reader.

    Raises
    ------
    DataFormatError
        An element of ``var`` has a data type scipy's reader has no dtype for,
        overruns its container, or (compressed) cannot be inflated.
    """
    with open(path, "rb") as f:
        header = f.read(128)
        if len(header) < 128:
            return  # scipy reports it
        order = ">" if header[126:128] == b"MI" else "<"
        end = f.seek(0, 2)
        pos = 128
        while pos + 8 <= end:
            f.seek(pos)
            kind, n, small = _tag(_FileStream(f, end), order)
            if small is None and kind in (MI_MATRIX, MI_COMPRESSED):
                # a variable whose name cannot be read is checked too: scipy may still read it as the one asked for
                name = _name_at(f, pos, kind, n, end, order)
                if var is None or name is None or name == var:
                    try:
                        _body(f, pos, kind, n, end, order)
                    except _Bad as exc:
                        raise DataFormatError(f"{where(path, name or var)}: the variable is damaged ({exc}).") \
                            from None
            pos += 8 + (0 if small is not None else n)  # as scipy steps from variable to variable


def _stream(f, pos, kind, n, end, order):
    """A stream over the matrix body of the variable whose tag is at ``pos``, and the body's size."""
    f.seek(pos + 8)
    if kind == MI_MATRIX:
        return _FileStream(f, min(end, pos + 8 + n)), n
    stream = _InflateStream(f, min(n, end - pos - 8))
    inner, size, small = _tag(stream, order)
    if inner != MI_MATRIX or small is not None:
        raise _Bad(f"a compressed element holds data type {inner}, not a matrix")
    return stream, size


def _body(f, pos, kind, n, end, order) -> None:
    stream, size = _stream(f, pos, kind, n, end, order)
    _matrix(stream, size, order, 0)


def _name_at(f, pos, kind, n, end, order) -> str | None:
    """The variable's name (its matrix's third element), or None when its header cannot be read
    (another variable's damage: scipy skips it or reports it cleanly)."""
    try:
        stream, _ = _stream(f, pos, kind, n, end, order)
        parts = []
        for _ in range(3):
            _, count, small = _tag(stream, order)
            if count > _MAX_HEADER:
                return None
            parts.append(small[:count] if small is not None else stream.read(count))
            if small is None:
                stream.skip(-count % 8)
        # scipy names a nameless variable (MATLAB's function workspace) this way
        return parts[2].decode("latin-1") or "__function_workspace__"
    except _Bad:
        return None
