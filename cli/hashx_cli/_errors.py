"""Where library errors and interruptions become one clear line and an exit code (the only place)."""

from __future__ import annotations

import click

from hashx._atomic import interrupt_in_chain
from hashx.exceptions import HashxError

__all__ = ["USER_ERRORS", "INTERRUPTED", "as_click_exception", "interrupted"]

#: Exceptions that are the user's to fix: hashx's own errors, missing or
#: unreadable files, and optional dependencies that are not installed.
USER_ERRORS = (HashxError, OSError, ImportError)

#: What the command prints (after "Error: ") when Ctrl-C / SIGINT stops it.
INTERRUPTED = ("interrupted (Ctrl-C); files being written were left as they were, never half-written "
               "(`hashx train --resume` and `hashx bench` continue where they stopped).")


def as_click_exception(exc: BaseException) -> click.ClickException:
    """One line, no traceback: click prints ``Error: <message>`` and exits 1."""
    text = " ".join((str(exc).strip() or type(exc).__name__).split())
    return click.ClickException(text)


def interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is, or was raised while handling, a KeyboardInterrupt (SIGINT).

    Some writers turn an interruption into their own error on the way out
    (``torch.save``: ``RuntimeError: ... unexpected pos``); that is still an
    interruption, not a failure.
    """
    return interrupt_in_chain(exc) is not None
