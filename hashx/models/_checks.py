"""Constructor argument checks shared by the networks."""

from __future__ import annotations

from .._validation import check_int, check_nbits

__all__ = ["check_net_args"]


def check_net_args(caller: str, *, nbits=None, n_labels=None, **dims) -> None:
    """Validate ``nbits`` (multiple of 8), ``n_labels`` and positive widths."""
    if nbits is not None:
        check_nbits(nbits, caller=caller)
    if n_labels is not None:
        check_int(n_labels, "n_labels", caller=caller, min_value=1)
    for name, value in dims.items():
        check_int(value, name, caller=caller, min_value=1)
