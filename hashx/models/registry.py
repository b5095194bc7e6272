"""The model registry: ``register_model``, ``create_model`` and ``list_models``.

Every network hashx trains is registered under a short name, so that a
configuration (and a checkpoint) can name its networks, and so that the tests
can run the same shape, backward and NaN checks over every registered model.
"""

from __future__ import annotations

from typing import Callable

from ..exceptions import HashxTypeError, HashxValueError

__all__ = ["register_model", "create_model", "list_models", "model_role"]

_MODELS: dict[str, Callable] = {}
_ROLES: dict[str, str] = {}


def register_model(name: str, *, role: str):
    """Class decorator that registers a network under ``name``.

    Parameters
    ----------
    name : str
        Registry name (e.g. ``"label_net"``).
    role : {"label", "image", "text", "discriminator"}
        What the network consumes; the tests use it to build inputs.
    """
    if role not in ("label", "image", "text", "discriminator"):
        raise HashxValueError(f"Unknown model role {role!r}.")

    def decorator(cls):
        if name in _MODELS and _MODELS[name] is not cls:
            raise HashxValueError(f"A model named {name!r} is already registered.")
        _MODELS[name] = cls
        _ROLES[name] = role
        cls.registry_name = name
        return cls

    return decorator


def list_models() -> list[str]:
    """Names of all registered networks, sorted."""
    return sorted(_MODELS)


def model_role(name: str) -> str:
    """The role (``"label"``, ``"image"``, ``"text"`` or ``"discriminator"``) of a registered network."""
    _check_name(name, "model_role")
    return _ROLES[name]


def create_model(name: str, **kwargs):
    """Build the network registered as ``name`` with keyword arguments ``kwargs``.

    Raises
    ------
    HashxValueError
        If ``name`` is not registered; the message lists the valid names.
    """
    _check_name(name, "create_model")
    return _MODELS[name](**kwargs)


def _check_name(name, caller):
    if not isinstance(name, str):
        raise HashxTypeError(
            f"The 'name' parameter of {caller} must be a str. Got {type(name).__name__} instead."
        )
    if name not in _MODELS:
        valid = ", ".join(repr(n) for n in list_models())
        raise HashxValueError(
            f"The 'name' parameter of {caller} must be one of {valid}. Got {name!r} instead."
        )
