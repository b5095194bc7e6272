"""``hashx search``: top-k or radius search of one code file against another."""

from __future__ import annotations

import click

from .._choices import RegistryChoice
from .._output import echo_json, json_option

__all__ = ["command"]


@click.command("search", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--database", required=True, type=click.Path(dir_okay=False), help="Code file to search in.")
@click.option("--queries", required=True, type=click.Path(dir_okay=False), help="Code file of query codes.")
@click.option("-k", "k", type=click.IntRange(min=1), default=None, help="Number of nearest codes per query (default 10).")
@click.option("--radius", type=click.IntRange(min=0), default=None, help="Return every code within this Hamming distance instead of top-k.")
@click.option("--index", "index_kind", type=RegistryChoice("hashx.search:INDEX_KINDS"), default="auto", show_default=True,
              help="exact: linear scan; mih: multi-index hashing, its tables saved beside the database "
                   "(DATABASE.mih) and reused while the database is unchanged; auto: whichever "
                   "hashx.search.choose_index predicts faster for the database size, code length and k.")
@click.option("--index-file", type=click.Path(dir_okay=False), default=None,
              help="Where the multi-index is kept (default: DATABASE.mih).")
@click.option("--threads", type=click.IntRange(min=1), default=None, help="Threads to use (default: all cores).")
@json_option
def command(database, queries, k, radius, index_kind, index_file, threads, as_json):
    """Search DATABASE for each query's nearest codes by Hamming distance.

    Prints tab-separated lines `query  rank  id  distance` (ids are row numbers
    in the database file; ties are ordered by id), or JSON with --json. Both
    indexes give identical results.

    \b
    Example:
      hashx search --database retrieval-text.hxc --queries query-image.hxc -k 10
      hashx search --database db.hxc --queries q.hxc --radius 2 --json
      hashx search --database db.hxc --queries q.hxc -k 10 --index mih
    """
    from hashx.codefile import load_codes, read_header
    from hashx.search import open_index

    if k is not None and radius is not None:
        raise click.UsageError("give either -k or --radius, not both")
    q = load_codes(queries)
    nbits = read_header(database)["nbits"]
    if q.nbits != nbits:
        raise click.ClickException(
            f"the query codes have {q.nbits} bits but the database codes have {nbits}; "
            "both files must come from the same model and bit length"
        )
    index = open_index(database, index=index_kind, k=k or 10, nq=max(q.count, 1), index_path=index_file,
                       threads=threads)
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
