"""Building a TrainConfig from --config FILE, --set KEY=VALUE and the explicit flags."""

from __future__ import annotations

import json
from pathlib import Path

import click

__all__ = ["config_options", "build_config"]


def config_options(func):
    """Add ``--config``, ``--set``, ``--epochs`` and ``--device`` to a command."""
    func = click.option("--device", default=None, help="cpu (default), cuda or cuda:N.")(func)
    func = click.option("--epochs", type=click.IntRange(min=1), default=None,
                        help="Training epochs (default: the config's, 40).")(func)
    func = click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                        help="Override one training setting, e.g. --set alignment=grl --set lr_image=3e-4 "
                             "(see hashx.train.TrainConfig; repeatable).")(func)
    func = click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
                        help="JSON file of training settings (the config.json that `hashx train` writes "
                             "is one).")(func)
    return func


def _parse_override(item: str):
    key, sep, raw = item.partition("=")
    if not sep or not key.strip():
        raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--set")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw  # a bare string such as grl or cuda:0
    return key.strip(), value


def build_config(*, config_path, overrides, epochs, device, **fixed):
    """The run's TrainConfig: file, then --set overrides, then explicit flags and ``fixed``."""
    from hashx.train import TrainConfig

    values = {}
    if config_path:
        try:
            values = json.loads(Path(config_path).read_text())
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"--config {config_path} is not valid JSON: {exc}") from None
        if not isinstance(values, dict):
            raise click.ClickException(f"--config {config_path} must hold a JSON object of settings")
    values.update(dict(_parse_override(item) for item in overrides))
    if epochs is not None:
        values["epochs"] = epochs
    if device is not None:
        values["device"] = device
    values.update({k: v for k, v in fixed.items() if v is not None})
    return TrainConfig.from_dict(values)
