"""Shared option helpers and output for the hashx commands: JSON, tables, progress."""

from __future__ import annotations

import json
import sys

import click

__all__ = ["quiet_option", "json_option", "echo_json", "echo_table", "progress_bar", "parse_int_list"]

quiet_option = click.option("--quiet", "-q", is_flag=True, help="Print nothing but results and errors; no progress bar.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")


def echo_json(obj) -> None:
    """Print ``obj`` as indented JSON on stdout."""
    click.echo(json.dumps(obj, indent=2, sort_keys=False))


def echo_table(header: list[str], rows: list[list], *, err: bool = False) -> None:
    """Print a small aligned text table."""
    cells = [header] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for r in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip(), err=err)


def progress_bar(*, total: int | None, desc: str, quiet: bool, unit: str = "it"):
    """A tqdm bar on stderr, shown only when stderr is a terminal and not ``--quiet``."""
    from tqdm.auto import tqdm

    disable = quiet or not sys.stderr.isatty()
    return tqdm(total=total, desc=desc, unit=unit, disable=disable, file=sys.stderr, leave=False)


def parse_int_list(value: str, name: str) -> list[int]:
    """Parse ``"16,32,64"`` into ``[16, 32, 64]`` or raise a usage error naming the option."""
    try:
        items = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated integers such as 16,32,64; got {value!r}",
                                 param_hint=name) from None
    if not items:
        raise click.BadParameter(f"expected at least one integer; got {value!r}", param_hint=name)
    return items
