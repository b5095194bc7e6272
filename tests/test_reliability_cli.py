"""The command line's contract on the hostile-input corpus (issue 15): every `hashx` command that reads
a corpus file either succeeds or exits 1 with one `Error: ...` line and no traceback; a file the library
refuses always gives exit 1.  A sample of every reader family goes through CliRunner; a few inputs go
through the real `hashx` executable."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hostile import FAMILIES, judge, write_input
from hostile.arrays import npz_bytes, seed_arrays

from hashx.codefile import save_codes
from hashx_cli.main import cli

REPO = Path(__file__).resolve().parents[1]
LEGACY_MODEL = REPO / "tests" / "data" / "legacy" / "ssah-format1-model.pt"
#: Mutated inputs per family on top of its hostile cases and first seed.
MUTATIONS = 3


def _commands(name, folder, aux):
    """The commands that read this family's file: ``(args, run_always, strict)``.

    ``run_always``: run it even when the library accepts the file; ``strict``: the command reads all
    the library's reader reads, so a refused file must make it fail (`data inspect` of an HDF5 file
    does not read raw images, which stay on disk; `encode --modality text` reads the text only)."""
    f = folder / FAMILIES[name].primary
    if name.startswith("codes-import"):
        return [(["codes", "import", f, "--out", folder / "out.hxc"], True, True)]
    if name == "codefile":
        return [(["search", "--database", f, "--queries", f, "-k", "3"], True, True),
                (["codes", "info", f], True, True),
                (["eval", "--query-codes", f, "--db-codes", f, "--query-labels", aux / "l.npy",
                  "--db-labels", aux / "l.npy"], True, True)]
    if name in ("generic.npz", "generic.h5"):
        return [(["data", "inspect", "--dataset", "files", "--data-dir", f], True, name == "generic.npz"),
                (["encode", "--checkpoint", LEGACY_MODEL, "--modality", "text", "--input", f,
                  "--out", folder / "out.hxc", "-q"], True, False)]
    if name.startswith("mat-"):
        return [(["encode", "--checkpoint", LEGACY_MODEL, "--modality", "image", "--input", f,
                  "--out", folder / "out.hxc", "-q"], True, False)]
    if name.startswith("labels"):
        return [(["eval", "--query-codes", aux / "c.hxc", "--db-codes", aux / "c.hxc",
                  "--query-labels", folder / "query.npy", "--db-labels", folder / "database.npz"], True, True)]
    if name.startswith("split"):
        return [(["data", "verify", "--dataset", "digits-quadrants", "--split", f], True, True)]
    if name == "checkpoint":
        return [(["encode", "--checkpoint", f, "--modality", "image", "--input", aux / "x.npy",
                  "--out", folder / "out.hxc", "-q"], True, True)]
    if name == "settings":  # an accepted settings file would start training: only refused ones run
        return [(["train", "--dataset", "digits-quadrants", "--config", f, "--epochs", "1", "--out", folder / "r",
                  "-q"], False, True)]
    if name == "results.json":  # idem: an accepted results.json lets the benchmark train
        return [(["bench", "--dataset", "digits-quadrants", "--bits", "16", "--seeds", "1", "--epochs", "1",
                  "--out", folder], False, True)]
    raise AssertionError(name)


def _inputs(name):
    fam = FAMILIES[name]
    rng = random.Random(name)
    seeds = fam.seeds()
    out = [("seed", seeds[0])] + list(fam.hostile())
    for i in range(MUTATIONS):
        out.append((f"mutation {i}", fam.mutate(rng.choice(seeds), rng)))
    return out


@pytest.fixture(scope="module")
def aux(tmp_path_factory):
    folder = tmp_path_factory.mktemp("aux")
    save_codes(folder / "c.hxc", np.zeros((4, 2), np.uint8), 16)
    np.save(folder / "l.npy", np.eye(4, dtype=np.uint8)[[0, 1, 2, 3, 0]])
    np.save(folder / "x.npy", np.zeros((2, 20), np.float32))
    return folder


def check_contract(result, refused: bool, where: str) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"{where}: traceback {type(result.exception).__name__}: {result.exception}"
    assert "Traceback" not in result.output, where
    if refused:
        assert result.exit_code == 1, f"{where}: the library refuses the file but the command exited 0"
    if result.exit_code != 0:
        lines = result.stderr.strip().splitlines()
        assert result.exit_code == 1 and len(lines) == 1 and lines[0].startswith("Error: "), \
            f"{where}: exit {result.exit_code}, stderr {result.stderr!r}"


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_command_on_a_corpus_sample(name, aux):
    for label, files in _inputs(name):
        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            folder = write_input(Path(tmp) / "in", files)
            refused = judge(FAMILIES[name], folder)[0] == "clear_error"
            for args, always, strict in _commands(name, folder, aux):
                if not (always or refused):
                    continue
                result = CliRunner().invoke(cli, [str(a) for a in args])
                check_contract(result, refused and strict, f"{name} [{label}] hashx {args[0]}")


@pytest.mark.parametrize("args_of", [
    lambda d: ["data", "inspect", "--dataset", "files", "--data-dir", d / "csr.npz"],
    lambda d: ["search", "--database", d / "cut.hxc", "--queries", d / "cut.hxc", "-k", "3"],
    lambda d: ["eval", "--query-codes", d / "c.hxc", "--db-codes", d / "c.hxc", "--query-labels", d / "obj.npz",
               "--db-labels", d / "obj.npz"],
], ids=["inspect-malformed-csr", "search-truncated-code-file", "eval-object-array-labels"])
def test_the_real_executable(tmp_path, args_of):
    arrays = seed_arrays(0, n=20, csr=True)
    arrays["text_indptr"] = arrays["text_indptr"].copy()
    arrays["text_indptr"][5] = 10**6
    (tmp_path / "csr.npz").write_bytes(npz_bytes(arrays))
    save_codes(tmp_path / "c.hxc", np.zeros((2, 2), np.uint8), 16)
    (tmp_path / "cut.hxc").write_bytes((tmp_path / "c.hxc").read_bytes()[:-1])
    np.savez(tmp_path / "obj.npz", labels=np.array([[1], [0, 1]], dtype=object), allow_pickle=True)
    env = dict(os.environ, PYTHONPATH=f"{REPO}:{REPO / 'cli'}")
    proc = subprocess.run([sys.executable, "-m", "hashx", *[str(a) for a in args_of(tmp_path)]],
                          capture_output=True, text=True, env=env, timeout=300)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
