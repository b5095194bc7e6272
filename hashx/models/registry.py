"""The model registry: ``register_model``, ``create_model`` and ``list_models``.

Every network hashx trains is registered under a short name, so that a
method's settings (and a checkpoint) can name its networks, and so that the
tests can run the same shape, backward and NaN checks over every registered
model.
"""

from __future__ import annotations

from .._registry import Registry
from ..exceptions import HashxValueError

__all__ = ["MODELS", "register_model", "create_model", "list_models", "model_role", "ROLES"]

#: What a network consumes; the tests build inputs from it.
ROLES = ("label", "image", "text", "discriminator")
#: Networks by name.
MODELS = Registry("model")
_ROLES: dict[str, str] = {}


def register_model(name: str, *, role: str):
    """Class decorator that registers a network under ``name``.

    Parameters
    ----------
    name : str
        Registry name (e.g. ``"label_net"``).
    role : {"label", "image", "text", "discriminator"}
        What the network consumes.
    """
    if role not in ROLES:
        raise HashxValueError(f"Unknown model role {role!r}; roles are {', '.join(ROLES)}.")

    def decorator(cls):
        MODELS.register(name, cls)
        _ROLES[name] = role
        cls.registry_name = name
        return cls

    return decorator


def list_models(role: str | None = None) -> list[str]:
    """Names of the registered networks (of one ``role``, if given), sorted."""
    return sorted(n for n in MODELS.names() if role is None or _ROLES[n] == role)


def model_role(name: str) -> str:
    """The role (``"label"``, ``"image"``, ``"text"`` or ``"discriminator"``) of a registered network."""
    return _ROLES[MODELS.check(name, caller="model_role")]


def create_model(name: str, **kwargs):
    """Build the network registered as ``name`` with keyword arguments ``kwargs``.

    Raises
    ------
    HashxValueError
        If ``name`` is not registered; the message lists the valid names.
    """
    return MODELS.get(name, caller="create_model")(**kwargs)
