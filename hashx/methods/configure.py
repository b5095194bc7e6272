"""Routing named settings to the run config and to a method's settings.

Settings come from config files, ``--set KEY=VALUE`` on the command line and
Python dicts as one flat mapping.  A key is either qualified, ``run.epochs``
or ``ssah.alignment`` (the method's name), or bare, ``epochs`` or
``alignment``: a bare key goes to the run config if it names one of its
fields, else to the method's settings (the spelling of hashx 0.1, whose one
config held both, keeps working).
"""

from __future__ import annotations

import difflib

from ..exceptions import HashxTypeError, HashxValueError
from ..train.method import MethodSettings
from ..train.run_config import RunConfig
from .registry import METHODS, get_method

__all__ = ["split_overrides", "configure"]


def split_overrides(values: dict, *, method: str) -> tuple[dict, dict, list]:
    """Sort settings into the run config's, method ``method``'s and the rest.

    Parameters
    ----------
    values : dict
        ``{key: value}`` with keys ``run.X``, ``<method>.X`` or bare ``X``.
    method : str
        A registered method.

    Returns
    -------
    run_values : dict
    method_values : dict
    unused : list of str
        Keys qualified with another registered method's name, and bare keys
        that are neither a run setting nor one of ``method``'s.

    Raises
    ------
    HashxValueError
        A key qualified with ``run.`` or ``<method>.`` that names no such
        setting, or with a prefix that is neither ``run`` nor a method.
    """
    if not isinstance(values, dict):
        raise HashxTypeError(f"The settings must be a dict. Got {type(values).__name__} instead.")
    settings_class = get_method(method).settings_class
    run_fields, method_fields = RunConfig.field_names(), settings_class.field_names()
    run_values, method_values, unused = {}, {}, []
    for key, value in values.items():
        if not isinstance(key, str) or not key:
            raise HashxTypeError(f"Setting names must be non-empty strings. Got {key!r}.")
        prefix, dot, name = key.rpartition(".")
        if dot and prefix == "run":
            _check_field(key, name, run_fields, "run setting")
            run_values[name] = value
        elif dot and prefix == method:
            _check_field(key, name, method_fields, f"setting of method {method!r}")
            method_values[name] = value
        elif dot:
            if prefix not in METHODS:
                valid = ", ".join(["run", *METHODS.names()])
                raise HashxValueError(f"Setting {key!r}: {prefix!r} is neither 'run' nor a method ({valid}).")
            unused.append(key)
        elif name in run_fields:
            run_values[name] = value
        elif name in method_fields:
            method_values[name] = value
        else:
            unused.append(key)
    return run_values, method_values, unused


def _check_field(key, name, fields, what):
    if name not in fields:
        close = difflib.get_close_matches(name, fields, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; valid: {', '.join(fields)}."
        raise HashxValueError(f"Setting {key!r}: {name!r} is not a {what}{hint}")


def configure(method: str, values: dict | None = None, *, strict: bool = True) -> tuple[RunConfig, MethodSettings]:
    """The run config and the method settings that ``values`` describe.

    Parameters
    ----------
    method : str
        A registered method.
    values : dict, optional
        Settings (keys as in :func:`split_overrides`); missing ones take their defaults.
        A ``method`` (or ``run.method``) entry must name ``method`` itself.
    strict : bool, default=True
        Unknown bare keys are an error (with the closest valid name);
        ``False`` ignores them (``hashx bench`` passes one set of settings to
        several methods and checks separately that each is used by one).

    Returns
    -------
    (RunConfig, MethodSettings)
        ``RunConfig.method`` is ``method``.
    """
    run_values, method_values, unused = split_overrides(dict(values or {}), method=method)
    if strict:
        bare = [k for k in unused if "." not in k]
        if bare:
            known = RunConfig.field_names() + get_method(method).settings_class.field_names()
            hints = []
            for key in bare:
                close = difflib.get_close_matches(key, known, n=1)
                hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
            raise HashxValueError(f"Unknown setting(s) {', '.join(hints)} for method {method!r}; run settings: "
                                  f"{', '.join(RunConfig.field_names())}; {method} settings: "
                                  f"{', '.join(get_method(method).settings_class.field_names())}.")
    given = run_values.get("method", method)
    if given != method:
        raise HashxValueError(f"The settings name method {given!r}, but method {method!r} is being configured.")
    run = RunConfig.from_dict({**run_values, "method": method})
    return run, get_method(method).settings_class.from_dict(method_values)
