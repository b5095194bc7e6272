"""``hashx codes``: look at code files and move codes to and from faiss, .npy and MATLAB .mat."""

from __future__ import annotations

import click

from .._choices import RegistryChoice
from .._output import echo_json, echo_table, json_option

__all__ = ["command"]

_HELP = {"help_option_names": ["-h", "--help"]}
_FORMAT = RegistryChoice("hashx.code_formats:CODE_FORMATS")


@click.group("codes", context_settings=_HELP)
def command():
    """Inspect code files; export them to faiss, .npy or .mat, and import them back.

    \b
    Example:
      hashx codes info db.hxc
      hashx codes export db.hxc --format mat --out db.mat
      hashx codes import db.faiss --out db.hxc
    """


@command.command("info", context_settings=_HELP)
@click.argument("path", type=click.Path(dir_okay=False))
@json_option
def info(path, as_json):
    """Print a code file's bits, count, payload SHA-256, distinct codes and bit balance.

    \b
    Example:
      hashx codes info retrieval-text.hxc --json
    """
    from hashx.code_formats import describe_codes

    facts = describe_codes(path)
    if as_json:
        echo_json(facts)
    else:
        echo_table(["", path], [[k, v] for k, v in facts.items() if k != "path"])


@command.command("export", context_settings=_HELP)
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="File to write.")
@click.option("--format", "fmt", type=_FORMAT, default=None,
              help="faiss (IndexBinaryFlat file), npy (packed uint8 n x nbits/8) or mat (n x nbits matrix). "
                   "Default: from the suffix of --out (.faiss/.index, .npy, .mat).")
@click.option("--values", type=RegistryChoice("hashx.code_formats:MAT_VALUES"), default="pm1", show_default=True,
              help="mat: +1/-1 entries (DCMH-style scripts: dist = 0.5*(nbits - B1*B2')) or 0/1.")
@click.option("--variable", default="B", show_default=True, help="mat: the variable name.")
def export(path, out, fmt, values, variable):
    """Write the codes of hashx code file PATH as a faiss index, a .npy array or a MATLAB .mat matrix.

    The .mat holds an n x nbits double matrix, one row per item, column j =
    bit j (most significant bit of the first byte first), +1/-1 or 0/1.

    \b
    Example:
      hashx codes export db.hxc --out db.faiss
      hashx codes export db.hxc --format mat --values 01 --out db01.mat
    """
    from hashx.code_formats import export_codes

    s = export_codes(path, out, fmt=fmt, values=values, variable=variable)
    extra = f", variable {s['variable']} with {'+1/-1' if s['values'] == 'pm1' else '0/1'} entries" \
        if s["format"] == "mat" else ""
    click.echo(f"wrote {s['path']}: {s['count']} codes of {s['nbits']} bits as {s['format']}{extra}")


@command.command("import", context_settings=_HELP)
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="hashx code file to write.")
@click.option("--format", "fmt", type=_FORMAT, default=None, help="Input format (default: from the suffix of PATH).")
@click.option("--variable", default=None, help="mat: the variable holding the codes (default B, or the only one).")
@click.option("--ids-out", type=click.Path(dir_okay=False), default=None,
              help="faiss: write the ids here (.npy) when they are not 0..n-1; codes are written in id order.")
def import_(path, out, fmt, variable, ids_out):
    """Write the codes of a faiss index, .npy array or .mat matrix (PATH) to a hashx code file.

    faiss: IndexBinaryFlat, IndexBinaryIDMap(2) and IndexBinaryIVF files. npy:
    packed uint8 codes, or a +-1 / 0-1 matrix of another dtype. mat: a +-1 or
    0/1 n x nbits matrix (v5 or v7.3).

    \b
    Example:
      hashx codes import db.faiss --out db.hxc
      hashx codes import B_test.mat --variable B --out query.hxc
    """
    from hashx.code_formats import import_codes

    s = import_codes(path, out, fmt=fmt, variable=variable, ids_out=ids_out)
    ids = f"; ids in {s['ids']}" if s["ids"] else ""
    click.echo(f"wrote {s['path']}: {s['count']} codes of {s['nbits']} bits from {s['format']}{ids}")

