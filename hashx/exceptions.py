"""The exceptions hashx raises.

Every error hashx raises on purpose derives from :class:`HashxError`, so a caller
(the command line among them) can catch them in one place.  Where a Python
built-in fits the error, the hashx class derives from it too, so that
``except ValueError`` keeps working.
"""

__all__ = [
    "HashxError",
    "HashxValueError",
    "HashxTypeError",
    "CodeFileError",
    "DataFormatError",
    "CheckpointError",
]


class HashxError(Exception):
    """Base class of every error raised by hashx on purpose."""


class HashxValueError(HashxError, ValueError):
    """A parameter has the right type but an invalid value or shape."""


class HashxTypeError(HashxError, TypeError):
    """A parameter has the wrong type or dtype (hashx never casts silently)."""


class CodeFileError(HashxError, ValueError):
    """A hashx code file is truncated, corrupted, or not a code file at all."""


class DataFormatError(HashxError, ValueError):
    """A dataset file lacks a variable, has a wrong shape, or holds invalid values."""


class CheckpointError(HashxError, ValueError):
    """A checkpoint is missing, corrupted, or was written by an incompatible version."""
