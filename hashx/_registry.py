"""Registry: named components of one kind, with one error voice.

Every family of interchangeable parts in hashx (models, methods, protocols,
alignment components, loss families, schedules) is a :class:`Registry`, so a
name is looked up, listed and reported the same way everywhere::

    The 'alignment' parameter of SSAHSettings must be one of 'gan', 'grl', 'none'.
    Got 'gna' instead; did you mean 'gan'?

The command line takes its choice lists from the registries too, so that a
name cannot be valid in one place and unknown in another.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._validation import check_choice
from .exceptions import HashxTypeError, HashxValueError

__all__ = ["Registry"]


class Registry:
    """A mapping from names to components (classes, functions or values).

    Parameters
    ----------
    kind : str
        What the registry holds, in words (``"method"``, ``"alignment"``);
        used in messages.

    Notes
    -----
    Names are listed in registration order.  Registering a second, different
    object under a taken name is an error; registering the same object again
    is a no-op (modules may be imported twice under test runners).
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self._items)})"

    def register(self, name: str, obj: Any = None):
        """Register ``obj`` under ``name``; without ``obj``, return a decorator that does.

        Raises
        ------
        HashxTypeError
            ``name`` is not a non-empty str.
        HashxValueError
            ``name`` is already taken by another object.
        """
        if not isinstance(name, str) or not name:
            raise HashxTypeError(f"A {self.kind} name must be a non-empty str. Got {name!r} instead.")

        def add(item):
            if name in self._items and self._items[name] is not item:
                raise HashxValueError(f"A {self.kind} named {name!r} is already registered.")
            self._items[name] = item
            return item

        return add if obj is None else add(obj)

    def names(self) -> list[str]:
        """The registered names, in registration order."""
        return list(self._items)

    def check(self, name, *, parameter: str = "name", caller: str | None = None) -> str:
        """Return ``name`` if it is registered; else raise, listing the valid names.

        Raises
        ------
        HashxValueError
            Unknown name (the closest registered name is suggested).
        """
        if not isinstance(name, str):
            raise HashxTypeError(
                f"The '{parameter}' parameter{f' of {caller}' if caller else ''} must be a str naming a "
                f"{self.kind}. Got {name!r} ({type(name).__name__}) instead."
            )
        return check_choice(name, parameter, self.names(), caller=caller)

    def get(self, name, *, parameter: str = "name", caller: str | None = None) -> Any:
        """The object registered as ``name`` (see :meth:`check` for the errors)."""
        return self._items[self.check(name, parameter=parameter, caller=caller)]

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def __contains__(self, name) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def items(self):
        """``(name, object)`` pairs in registration order."""
        return self._items.items()
