"""The alignment registry: ``ALIGNMENTS`` and ``create_alignment``."""

from __future__ import annotations

import inspect

from .._registry import Registry

__all__ = ["ALIGNMENTS", "register_alignment", "create_alignment", "list_alignments"]

#: Alignment components by name (``"gan"``, ``"grl"``, ``"none"``, ...).
ALIGNMENTS = Registry("alignment")


def register_alignment(name: str):
    """Class decorator registering an alignment component under ``name``."""

    def decorator(cls):
        ALIGNMENTS.register(name, cls)
        cls.name = name
        return cls

    return decorator


def list_alignments() -> list[str]:
    """Names of the registered alignment components."""
    return ALIGNMENTS.names()


def create_alignment(name: str, **options):
    """Build the alignment component registered as ``name``.

    Every component takes keyword-only options; ``options`` may hold more
    than the chosen component uses (a method passes all of its alignment
    settings, e.g. the gradient-reversal schedule, whichever component the
    user picked), and the ones its constructor does not name are ignored.

    Raises
    ------
    HashxValueError
        Unknown name (valid names listed, closest suggested), or a bad option value.
    """
    cls = ALIGNMENTS.get(name, parameter="alignment", caller="create_alignment")
    return cls(**{k: v for k, v in options.items() if k in accepted_options(cls)})


def accepted_options(cls) -> set:
    """The keyword options a component's constructor takes (its own and, through ``**kwargs``, its bases')."""
    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters.values()
        names |= {p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
            break
    return names
