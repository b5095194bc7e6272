"""The hashx command: help, version, python -m, and one-line errors (no tracebacks)."""

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

import hashx
from hashx_cli.main import COMMANDS, cli




def _all_command_paths():
    """Every command and sub-command, read off the click app (nothing listed by hand)."""
    yield []
    ctx = click.Context(cli)
    for name in COMMANDS:
        yield [name]
        command = cli.get_command(ctx, name)
        if isinstance(command, click.Group):
            for sub in command.commands:
                yield [name, sub]


@pytest.mark.parametrize("path", list(_all_command_paths()), ids=lambda p: " ".join(p) or "hashx")
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_every_command_has_help_with_an_example(path, flag):
    result = CliRunner().invoke(cli, path + [flag])
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output
    assert "hashx" in result.output.split("Example:", 1)[1]


def test_version():
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert hashx.__version__ in result.output


def test_python_dash_m_hashx_runs_the_same_app():
    out = subprocess.run([sys.executable, "-m", "hashx", "--version"], capture_output=True, text=True, check=True)
    assert hashx.__version__ in out.stdout


def test_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(cli, ["frobnicate"])
    assert result.exit_code == 2
    assert "No such command" in result.output


def test_user_errors_are_one_line_without_traceback(tmp_path):
    result = CliRunner().invoke(cli, ["search", "--database", str(tmp_path / "missing.hxc"),
                                      "--queries", str(tmp_path / "missing.hxc")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "does not exist" in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_console_script_error_exit_code(tmp_path):
    bad = tmp_path / "bad.hxc"
    bad.write_bytes(b"garbage that is not a code file")
    out = subprocess.run([sys.executable, "-m", "hashx", "search", "--database", str(bad), "--queries", str(bad)],
                         capture_output=True, text=True)
    assert out.returncode == 1
    assert out.stderr.startswith("Error: ") and "not a hashx code file" in out.stderr
    assert "Traceback" not in out.stderr


def test_search_command_does_not_import_torch(tmp_path):
    import numpy as np

    from hashx.codefile import save_codes

    save_codes(tmp_path / "db.hxc", np.zeros((5, 8), dtype=np.uint8), 64)
    probe = ("import sys; from hashx_cli.main import main\n"
             "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
             "print('modules:', 'torch' in sys.modules, 'hashx.train' in sys.modules, file=sys.stderr)")
    db = str(tmp_path / "db.hxc")
    out = subprocess.run([sys.executable, "-c", probe, "search", "--database", db, "--queries", db, "-k", "2"],
                         capture_output=True, text=True, check=True)
    assert "modules: False False" in out.stderr
    assert out.stdout.splitlines()[1] == "0\t0\t0\t0"  # the search did run
