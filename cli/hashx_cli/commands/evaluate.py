"""``hashx eval``: MAP@all, MAP@k, P@k, P@r<=R and the PR curve of one retrieval direction."""

from __future__ import annotations

from pathlib import Path

import click

from .._choices import RegistryChoice
from .._output import echo_json, echo_table, json_option, parse_int_list

__all__ = ["command"]


@click.command("eval", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--query-codes", required=True, type=click.Path(dir_okay=False), help="Code file of the queries.")
@click.option("--db-codes", required=True, type=click.Path(dir_okay=False), help="Code file of the database.")
@click.option("--query-labels", required=True, type=click.Path(dir_okay=False),
              help="Labels of the queries (.npy/.npz/.h5/.mat; multi-hot, or class ids).")
@click.option("--db-labels", required=True, type=click.Path(dir_okay=False), help="Labels of the database.")
@click.option("--labels-variable", default=None, help="Variable holding the labels in both label files "
              "(default: labels, LAll, label, L_te, L_tr, ...).")
@click.option("--k", "ks", default="50,100,500,1000", show_default=True,
              help="Comma-separated cut-offs for MAP@k and P@k.")
@click.option("--ties", type=RegistryChoice("hashx.metrics._inputs:TIES"), default="index", show_default=True,
              help="Order of equal distances: by database index, or the expectation over all tie orders.")
@click.option("--radius", type=click.IntRange(min=0), default=2, show_default=True,
              help="Hamming radius of the hash-lookup precision P@r.")
@click.option("--plots", "plots_dir", type=click.Path(file_okay=False), default=None,
              help="Folder to write pr_curve.png and precision_at_k.png into (needs matplotlib).")
@click.option("--name", default="hashx", show_default=True, help="Curve label in the plots.")
@json_option
def command(query_codes, db_codes, query_labels, db_labels, labels_variable, ks, ties, radius, plots_dir, name,
            as_json):
    """Evaluate query codes against database codes.

    An item is relevant to a query when they share at least one label; every
    query counts (one with no relevant item scores 0).  See the README,
    "Metrics", for every definition.

    \b
    Example:
      hashx eval --query-codes q-image.hxc --db-codes db-text.hxc \\
                 --query-labels data/query.npz --db-labels data/retrieval.npz --plots plots/
    """
    from hashx.codefile import load_codes
    from hashx.data import read_modality
    from hashx.metrics import retrieval_report

    ks = parse_int_list(ks, "--k")
    q, db = load_codes(query_codes), load_codes(db_codes)
    if q.nbits != db.nbits:
        raise click.ClickException(f"the query codes have {q.nbits} bits but the database codes have {db.nbits}")
    ql = read_modality(query_labels, "labels", variable=labels_variable, allow_unlabeled=True)
    dl = read_modality(db_labels, "labels", variable=labels_variable, allow_unlabeled=True)
    for what, codes, labels, path in (("query", q, ql, query_labels), ("database", db, dl, db_labels)):
        if codes.count != labels.shape[0]:
            raise click.ClickException(
                f"the {what} code file has {codes.count} codes but {path} has {labels.shape[0]} label rows")
    report = retrieval_report(q.codes, db.codes, ql, dl, ks=ks, ties=ties, radius=radius)
    report.update(nbits=q.nbits, n_query=q.count, n_db=db.count)
    if plots_dir:
        from hashx.plots import plot_pr_curves, plot_precision_at_k

        out = Path(plots_dir)
        out.mkdir(parents=True, exist_ok=True)
        pr = report["pr_curve"]
        plot_pr_curves({name: (pr["precision"], pr["recall"])}, out / "pr_curve.png",
                       title=f"PR curve by Hamming radius ({q.nbits} bits)")
        pc = report["precision_curve"]
        plot_precision_at_k({name: (pc["k"], pc["precision"])}, out / "precision_at_k.png",
                            title=f"Precision@k ({q.nbits} bits)")
        report["plots"] = [str(out / "pr_curve.png"), str(out / "precision_at_k.png")]
    if as_json:
        echo_json(report)
        return
    rows = [["MAP@all", f"{report['map']:.4f}"]]
    rows += [[f"MAP@{k}", f"{v:.4f}"] for k, v in report["map_at"].items()]
    rows += [[f"P@{k}", f"{v:.4f}"] for k, v in report["precision_at"].items()]
    rows.append([f"P@r<={radius}", f"{report['precision_within_radius']:.4f}"])
    click.echo(f"{q.count} queries x {db.count} database codes, {q.nbits} bits, ties={ties}")
    echo_table(["metric", "value"], rows)
    for p in report.get("plots", []):
        click.echo(f"wrote {p}")
