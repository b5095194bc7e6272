"""hashx search --index exact|mih|auto: identical output, the multi-index saved and reused, never torch."""

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

import search_oracle as oracle
from hashx.codefile import save_codes
from hashx_cli.main import cli


@pytest.fixture
def files(tmp_path):
    db, queries = oracle.make_case("clustered", 64, 4000, 5, seed=12)
    save_codes(tmp_path / "db.hxc", db, 64)
    save_codes(tmp_path / "q.hxc", queries, 64)
    return tmp_path, db, queries


def _search(tmp, *args):
    result = CliRunner().invoke(cli, ["search", "--database", str(tmp / "db.hxc"), "--queries", str(tmp / "q.hxc"),
                                      *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_every_index_prints_the_same_results(files):
    tmp, db, queries = files
    outputs = {kind: _search(tmp, "-k", "12", "--index", kind) for kind in ("exact", "mih", "auto")}
    assert outputs["exact"] == outputs["mih"] == outputs["auto"]
    rows = [tuple(map(int, line.split("\t"))) for line in outputs["exact"].splitlines()[1:]]
    D, I = oracle.oracle_search(queries, db, 12, 64)
    assert rows == [(q, r, int(I[q, r]), int(D[q, r])) for q in range(5) for r in range(12)]
    radius = {kind: _search(tmp, "--radius", "10", "--index", kind, "--json") for kind in ("exact", "mih")}
    assert radius["exact"] == radius["mih"]


def test_the_multi_index_is_saved_once_and_rebuilt_when_the_database_changes(files):
    tmp, db, queries = files
    _search(tmp, "-k", "3", "--index", "mih")
    saved = tmp / "db.hxc.mih"
    stamp = saved.stat().st_mtime_ns
    first = saved.read_bytes()
    _search(tmp, "-k", "3", "--index", "mih")
    assert saved.stat().st_mtime_ns == stamp  # reused, not rewritten
    save_codes(tmp / "db.hxc", db[::-1].copy(), 64)
    out = _search(tmp, "-k", "3", "--index", "mih")
    assert saved.read_bytes() != first
    rows = [tuple(map(int, line.split("\t"))) for line in out.splitlines()[1:]]
    D, I = oracle.oracle_search(queries, db[::-1], 3, 64)
    assert rows == [(q, r, int(I[q, r]), int(D[q, r])) for q in range(5) for r in range(3)]


def test_index_file_option_puts_the_multi_index_elsewhere(files):
    tmp, *_ = files
    _search(tmp, "-k", "3", "--index", "mih", "--index-file", str(tmp / "cache.mih"))
    assert (tmp / "cache.mih").exists() and not (tmp / "db.hxc.mih").exists()


def test_mih_search_never_imports_torch(files):
    tmp, *_ = files
    code = ("import sys; from hashx_cli.main import cli; "
            "sys.argv = ['hashx', 'search', '--database', sys.argv[1], '--queries', sys.argv[2], '-k', '4', "
            "'--index', 'mih']\n"
            "try:\n    cli()\nexcept SystemExit:\n    pass\n"
            "print('torch' in sys.modules, file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code, str(tmp / "db.hxc"), str(tmp / "q.hxc")],
                         capture_output=True, text=True, timeout=300, env=dict(os.environ))
    assert out.stderr.strip().splitlines()[-1] == "False", out.stderr
    assert len(out.stdout.splitlines()) == 1 + 5 * 4
