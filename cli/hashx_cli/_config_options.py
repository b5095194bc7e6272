"""The run's settings from --config FILE, --set KEY=VALUE and the explicit flags."""

from __future__ import annotations

import json

import click

__all__ = ["config_options", "parse_overrides", "settings_from_options"]

DEFAULT_BITS = (16, 32, 64)


def config_options(func):
    """Add ``--config``, ``--set``, ``--epochs`` and ``--device`` to a command."""
    func = click.option("--device", default="cpu", show_default=True, help="cpu, cuda or cuda:N.")(func)
    func = click.option("--epochs", type=click.IntRange(min=1), default=None,
                        help="Training epochs (default: the run config's, 40).")(func)
    func = click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                        help="Override one setting, e.g. --set epochs=10 --set ssah.alignment=grl (a run "
                             "setting of hashx.train.RunConfig, or METHOD.KEY for a method's; a bare KEY that "
                             "is not a run setting is the method's). Repeatable.")(func)
    func = click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
                        help="JSON file of settings; the config.json that `hashx train` writes is one.")(func)
    return func


def parse_overrides(items) -> dict:
    """``("a=1", "ssah.b=grl")`` -> ``{"a": 1, "ssah.b": "grl"}``: values parsed as JSON, else kept as strings."""
    values = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--set")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw  # a bare string such as grl or cuda:0
        values[key.strip()] = value
    return values


def _take(values: dict, key: str):
    """Remove the run setting ``key`` (bare or ``run.``-qualified) from ``values``; return its values."""
    return [values.pop(k) for k in (key, f"run.{key}") if k in values]


def settings_from_options(*, method, config_path, overrides, flags: dict, bits):
    """Resolve a training command's options into ``(run, method_settings, bit_list)``.

    Precedence, lowest first: the settings file (``--config``), ``--set``,
    the explicit flags (``--method``, ``--seed``, ``--epochs``, ``--bits``).
    A flag that contradicts a ``--set`` value, or a ``--method`` other than
    the one the settings file was written for, is a usage error: nothing
    given on the command line is silently overridden.  A variant name
    (``ssah-noadv``) is accepted for ``--method``.
    """
    from hashx.experiments import resolve_method
    from hashx.experiments.variants import qualified
    from hashx.methods import configure
    from hashx.train import read_settings_file

    file_values = read_settings_file(config_path) if config_path else {}
    set_values = parse_overrides(overrides)
    file_method, set_method = _take(file_values, "method"), _take(set_values, "method")
    if method is not None and set_method and set_method[-1] != method:
        raise click.UsageError(f"--method {method} contradicts method={set_method[-1]!r} given by --set")
    method = method or (set_method or file_method or ["ssah"])[-1]
    base, variant = resolve_method(method)
    if file_method and file_method[-1] != base:
        raise click.UsageError(f"--config {config_path} holds the settings of method {file_method[-1]!r}, "
                               f"not of {base!r}")
    chosen = {}
    for key, flag in flags.items():
        from_file, from_set = _take(file_values, key), _take(set_values, key)
        if flag is not None and from_set and from_set[-1] != flag:
            raise click.UsageError(f"--{key} {flag} contradicts {key}={from_set[-1]!r} given by --set")
        value = flag if flag is not None else (from_set or from_file or [None])[-1]
        if value is not None:
            chosen[f"run.{key}"] = value
    file_bits, set_bits = _take(file_values, "nbits"), _take(set_values, "nbits")
    if bits is not None and set_bits:
        raise click.UsageError("give the code lengths either with --bits or with --set nbits=..., not both")
    if bits is None:
        bits = [(set_bits or file_bits)[-1]] if (set_bits or file_bits) else list(DEFAULT_BITS)
    values = {**qualified(base, variant), **file_values, **set_values, **chosen}
    run, settings = configure(base, values)
    for b in bits:
        run.replace(nbits=b)  # every code length is checked before any work
    return run, settings, bits
