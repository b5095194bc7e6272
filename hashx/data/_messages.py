"""How reader errors name their origin: the file, the variable, and the underlying cause in one line."""

from __future__ import annotations

__all__ = ["where", "cause"]

_MAX_CAUSE = 200


def where(path, var=None) -> str:
    """``File '<path>', variable '<var>'`` (or ``File '<path>'`` without a variable): how messages start."""
    return f"File '{path}', variable '{var}'" if var is not None else f"File '{path}'"


def cause(exc: BaseException) -> str:
    """A library exception as ``Type: message`` on one line, at most 200 characters (for "... (cause)")."""
    text = " ".join(str(exc).split())
    text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= _MAX_CAUSE else text[:_MAX_CAUSE - 3] + "..."
