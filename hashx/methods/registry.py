"""The method registry: ``register_method``, ``get_method``, ``list_methods`` and ``make_settings``."""

from __future__ import annotations

from .._registry import Registry
from ..exceptions import HashxTypeError
from ..train.method import Method, MethodSettings

__all__ = ["METHODS", "register_method", "get_method", "list_methods", "make_settings"]

#: Training methods by name.
METHODS = Registry("method")


def register_method(name: str):
    """Class decorator registering a :class:`~hashx.train.Method` subclass under ``name``.

    The class must name its settings dataclass in ``settings_class`` (a
    :class:`~hashx.train.MethodSettings` subclass); registration ties the two,
    so that the settings can build the method.
    """

    def decorator(cls):
        settings = getattr(cls, "settings_class", None)
        if not (isinstance(cls, type) and issubclass(cls, Method)):
            raise HashxTypeError(f"register_method({name!r}) needs a hashx.train.Method subclass. Got {cls!r}.")
        if not (isinstance(settings, type) and issubclass(settings, MethodSettings)) or settings is MethodSettings:
            raise HashxTypeError(f"Method {cls.__name__} must set 'settings_class' to its own MethodSettings "
                                 f"subclass before it is registered.")
        METHODS.register(name, cls)
        cls.name = name
        settings.method_name = name
        settings.method_class = cls
        return cls

    return decorator


def list_methods() -> list[str]:
    """Names of the registered training methods, in registration order."""
    return METHODS.names()


def get_method(name: str) -> type:
    """The method class registered as ``name``.

    Raises
    ------
    HashxValueError
        If ``name`` is not registered; the message lists the valid names and suggests the closest.
    """
    return METHODS.get(name, parameter="method", caller="get_method")


def make_settings(name: str, **values) -> MethodSettings:
    """The settings of method ``name``: ``make_settings("ssah", alignment="grl")``.

    Raises
    ------
    HashxValueError
        Unknown method or setting (closest match suggested), or an invalid value.
    """
    return get_method(name).settings_class.from_dict(values)
