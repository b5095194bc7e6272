"""Where library errors become one clear line and an exit code (the only place)."""

from __future__ import annotations

import click

from hashx.exceptions import HashxError

__all__ = ["USER_ERRORS", "as_click_exception"]

#: Exceptions that are the user's to fix: hashx's own errors, missing or
#: unreadable files, and optional dependencies that are not installed.
USER_ERRORS = (HashxError, OSError, ImportError)


def as_click_exception(exc: BaseException) -> click.ClickException:
    """One line, no traceback: click prints ``Error: <message>`` and exits 1."""
    text = " ".join((str(exc).strip() or type(exc).__name__).split())
    return click.ClickException(text)
