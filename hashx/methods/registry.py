"""The method registry: ``register_method``, ``get_method`` and ``list_methods``."""

from __future__ import annotations

from ..exceptions import HashxTypeError, HashxValueError

__all__ = ["register_method", "get_method", "list_methods"]

_METHODS: dict[str, type] = {}


def register_method(name: str):
    """Class decorator registering a :class:`~hashx.methods.Method` subclass under ``name``."""

    def decorator(cls):
        if name in _METHODS and _METHODS[name] is not cls:
            raise HashxValueError(f"A method named {name!r} is already registered.")
        _METHODS[name] = cls
        cls.name = name
        return cls

    return decorator


def list_methods() -> list[str]:
    """Names of the registered training methods, sorted."""
    return sorted(_METHODS)


def get_method(name: str) -> type:
    """The method class registered as ``name``.

    Raises
    ------
    HashxValueError
        If ``name`` is not registered; the message lists the valid names.
    """
    if not isinstance(name, str):
        raise HashxTypeError(f"The 'name' parameter of get_method must be a str. Got {type(name).__name__} instead.")
    if name not in _METHODS:
        valid = ", ".join(repr(n) for n in list_methods())
        raise HashxValueError(f"The 'name' parameter of get_method must be one of {valid}. Got {name!r} instead.")
    return _METHODS[name]
