"""hashx search, hashx eval and hashx data, against the library and the slow oracles."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from search_oracle import clustered_codes, oracle_range_search, oracle_search

import hashx
from hashx.codefile import save_codes
from hashx.metrics import mean_average_precision, precision_at_k
from hashx_cli.main import cli


@pytest.fixture
def code_files(tmp_path):
    rng = np.random.default_rng(11)
    db = clustered_codes(rng, 300, 32)
    q = clustered_codes(rng, 7, 32)
    save_codes(tmp_path / "db.hxc", db, 32)
    save_codes(tmp_path / "q.hxc", q, 32)
    return tmp_path, q, db


def _run(args):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return result.output


def test_search_top_k_json_equals_oracle(code_files):
    tmp, q, db = code_files
    out = json.loads(_run(["search", "--database", str(tmp / "db.hxc"), "--queries", str(tmp / "q.hxc"),
                           "-k", "9", "--json"]))
    D, I = oracle_search(q, db, 9, 32)
    assert [r["ids"] for r in out] == I.tolist()
    assert [r["distances"] for r in out] == D.tolist()


def test_search_tsv_and_k_beyond_database(code_files):
    tmp, q, db = code_files
    lines = _run(["search", "--database", str(tmp / "db.hxc"), "--queries", str(tmp / "q.hxc"),
                  "-k", "1000"]).splitlines()
    assert lines[0] == "query\trank\tid\tdistance"
    rows = [tuple(int(v) for v in line.split("\t")) for line in lines[1:]]
    assert len(rows) == 7 * 300  # padding (-1 ids) is not printed
    D, I = oracle_search(q, db, 300, 32)
    assert rows[:300] == [(0, r, int(I[0, r]), int(D[0, r])) for r in range(300)]


def test_search_radius_equals_oracle(code_files):
    tmp, q, db = code_files
    out = json.loads(_run(["search", "--database", str(tmp / "db.hxc"), "--queries", str(tmp / "q.hxc"),
                           "--radius", "9", "--json"]))
    lims, D, I = oracle_range_search(q, db, 9)
    for qi, r in enumerate(out):
        assert r["ids"] == I[lims[qi]:lims[qi + 1]].tolist()
        assert r["distances"] == D[lims[qi]:lims[qi + 1]].tolist()


def test_search_errors(code_files):
    tmp, q, db = code_files
    save_codes(tmp / "q64.hxc", np.zeros((2, 8), np.uint8), 64)
    runner = CliRunner()
    r = runner.invoke(cli, ["search", "--database", str(tmp / "db.hxc"), "--queries", str(tmp / "q64.hxc")])
    assert r.exit_code == 1 and "64 bits but the database codes have 32" in r.output
    r = runner.invoke(cli, ["search", "--database", str(tmp / "db.hxc"), "--queries", str(tmp / "q.hxc"),
                            "-k", "3", "--radius", "2"])
    assert r.exit_code == 2 and "either -k or --radius" in r.output
    r = runner.invoke(cli, ["search", "--database", str(tmp / "db.hxc"), "--queries", str(tmp / "q.hxc"), "-k", "0"])
    assert r.exit_code == 2 and "-k" in r.output


@pytest.fixture
def eval_files(tmp_path):
    rng = np.random.default_rng(5)
    ql = (rng.random((20, 4)) < 0.4).astype(np.uint8)
    dl = (rng.random((150, 4)) < 0.4).astype(np.uint8)
    w = rng.normal(size=(4, 16))
    qc = hashx.pack_codes(hashx.binarize(ql @ w + rng.normal(size=(20, 16))))
    dc = hashx.pack_codes(hashx.binarize(dl @ w + rng.normal(size=(150, 16))))
    save_codes(tmp_path / "q.hxc", qc, 16)
    save_codes(tmp_path / "db.hxc", dc, 16)
    np.save(tmp_path / "ql.npy", ql)
    np.savez(tmp_path / "dl.npz", labels=dl)
    return tmp_path, qc, dc, ql, dl


@pytest.mark.parametrize("ties", ["index", "average"])
def test_eval_json_equals_library(eval_files, ties):
    tmp, qc, dc, ql, dl = eval_files
    out = json.loads(_run(["eval", "--query-codes", str(tmp / "q.hxc"), "--db-codes", str(tmp / "db.hxc"),
                           "--query-labels", str(tmp / "ql.npy"), "--db-labels", str(tmp / "dl.npz"),
                           "--k", "10,50", "--ties", ties, "--json"]))
    assert out["map"] == mean_average_precision(qc, dc, ql, dl, ties=ties)
    assert out["map_at"]["10"] == mean_average_precision(qc, dc, ql, dl, k=10, ties=ties)
    assert out["precision_at"]["50"] == pytest.approx(precision_at_k(qc, dc, ql, dl, 50, ties=ties), rel=1e-12)
    assert len(out["pr_curve"]["precision"]) == 17


def test_eval_table_and_plots(eval_files):
    tmp, *_ = eval_files
    out = _run(["eval", "--query-codes", str(tmp / "q.hxc"), "--db-codes", str(tmp / "db.hxc"),
                "--query-labels", str(tmp / "ql.npy"), "--db-labels", str(tmp / "dl.npz"),
                "--plots", str(tmp / "plots")])
    assert "MAP@all" in out and "P@r<=2" in out
    for name in ("pr_curve.png", "precision_at_k.png"):
        assert (tmp / "plots" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eval_row_count_mismatch_is_a_clear_error(eval_files):
    tmp, *_ = eval_files
    r = CliRunner().invoke(cli, ["eval", "--query-codes", str(tmp / "q.hxc"), "--db-codes", str(tmp / "db.hxc"),
                                 "--query-labels", str(tmp / "dl.npz"), "--db-labels", str(tmp / "dl.npz")])
    assert r.exit_code == 1
    assert "query code file has 20 codes but" in r.output and "150 label rows" in r.output


def test_data_export_split_verify_inspect(tmp_path):
    out = _run(["data", "export", "--dataset", "synthetic", "--out", str(tmp_path / "d")])
    assert "query 400" in out
    from hashx.data import load_generic

    q = load_generic(tmp_path / "d" / "query.npz")
    assert len(q) == 400 and q.labels.shape[1] == 24
    _run(["data", "split", "--dataset", "synthetic", "--split-seed", "3", "--out", str(tmp_path / "s3.json")])
    ok = _run(["data", "verify", "--dataset", "synthetic", "--split-seed", "3", "--split", str(tmp_path / "s3.json")])
    assert ok.startswith("OK:") and "identical to the protocol's split for split seed 3" in ok
    differs = _run(["data", "verify", "--dataset", "synthetic", "--split", str(tmp_path / "s3.json")])
    assert "differs from the protocol's split for split seed 0" in differs
    text = (tmp_path / "s3.json").read_text().replace('"query": [', '"query": [1,', 1)
    (tmp_path / "s3.json").write_text(text)
    r = CliRunner().invoke(cli, ["data", "verify", "--dataset", "synthetic", "--split", str(tmp_path / "s3.json")])
    assert r.exit_code == 1 and r.output.startswith("Error: ") and "Traceback" not in r.output
    info = json.loads(_run(["data", "inspect", "--dataset", "synthetic", "--json"]))
    assert info["items"] == 4000 and info["split"]["query"] == 400 and info["labels"]["items_without_label"] == 0
