"""``hashx search``: top-k or radius search of one code file against another."""

from __future__ import annotations

import click

from .._output import echo_json, json_option

__all__ = ["command"]


@click.command("search", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database", required=True, type=click.Path(dir_okay=False), help="Code file to search in.")
@click.option("--queries", required=True, type=click.Path(dir_okay=False), help="Code file of query codes.")
@click.option("-k", "k", type=click.IntRange(min=1), default=None, help="Number of nearest codes per query (default 10).")
@click.option("--radius", type=click.IntRange(min=0), default=None, help="Return every code within this Hamming distance instead of top-k.")
@click.option("--threads", type=click.IntRange(min=1), default=None, help="Threads to use (default: all cores).")
@json_option
def command(database, queries, k, radius, threads, as_json):
    """Search DATABASE for each query's nearest codes by Hamming distance.

    Prints tab-separated lines `query  rank  id  distance` (ids are row numbers
    in the database file; ties are ordered by id), or JSON with --json.

    \b
    Example:
      hashx search --database retrieval-text.hxc --queries query-image.hxc -k 10
      hashx search --database db.hxc --queries q.hxc --radius 2 --json
    """
    from hashx.codefile import load_codes
    from hashx.search import HammingIndex

    if k is not None and radius is not None:
        raise click.UsageError("give either -k or --radius, not both")
    index = HammingIndex.load(database, threads=threads)  # memory-mapped, searched in place
    q = load_codes(queries)
    if q.nbits != index.nbits:
        raise click.ClickException(
            f"the query codes have {q.nbits} bits but the database codes have {index.nbits}; "
            "both files must come from the same model and bit length"
        )
    if radius is None:
        D, I = index.search(q.codes, k or 10)
        results = [(qi, I[qi][I[qi] >= 0], D[qi][I[qi] >= 0]) for qi in range(D.shape[0])]
    else:
        lims, D, I = index.range_search(q.codes, radius)
        results = [(qi, I[lims[qi]:lims[qi + 1]], D[lims[qi]:lims[qi + 1]]) for qi in range(len(lims) - 1)]
    if as_json:
        echo_json([{"query": qi, "ids": ids.tolist(), "distances": d.tolist()} for qi, ids, d in results])
        return
    lines = ["query\trank\tid\tdistance"]
    for qi, ids, d in results:
        lines.extend(f"{qi}\t{r}\t{i}\t{dist}" for r, (i, dist) in enumerate(zip(ids.tolist(), d.tolist())))
    click.echo("\n".join(lines))
