"""End to end through the command line on the embedded synthetic dataset:
data export -> train -> encode -> search -> eval -> bench."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from hashx.codefile import load_codes
from hashx_cli.main import cli

# Small networks and a few epochs keep this test quick; the defaults are for real data.
FAST = ["--set", "hidden_dim=256", "--set", "feature_dim=64", "--set", "lr_image=1e-3", "--set", "lr_text=1e-3",
        "--epochs", "6"]


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="module")
def trained(workdir):
    run("data", "export", "--dataset", "synthetic", "--out", workdir / "data")
    out = run("train", "--dataset", "synthetic", "--bits", "16,32", *FAST, "--out", workdir / "run", "-q")
    assert out == ""  # --quiet prints nothing on success
    return workdir


def chance_map(workdir):
    q = np.load(workdir / "data" / "query.npz")["labels"].astype(int)
    r = np.load(workdir / "data" / "retrieval.npz")["labels"].astype(int)
    return float(((q @ r.T) > 0).mean())  # MAP of a random ranking = fraction of relevant items


def test_train_writes_checkpoints_config_and_split(trained):
    for bits in (16, 32):
        run_dir = trained / "run" / f"ssah-{bits}bits"
        assert (run_dir / "model-best.pt").is_file() and (run_dir / "checkpoint-last.pt").is_file()
        config = json.loads((run_dir / "config.json").read_text())
        assert config["run"]["nbits"] == bits and config["run"]["epochs"] == 6
        assert config["method"]["name"] == "ssah" and config["method"]["settings"]["hidden_dim"] == 256
        split = json.loads((trained / "run" / "split.json").read_text())
        assert config["split_sha256"] == split["sha256"]


def test_encode_search_eval_pipeline(trained):
    ckpt = trained / "run" / "ssah-32bits" / "model-best.pt"
    for part, modality in (("query", "image"), ("retrieval", "text"), ("query", "text"), ("retrieval", "image")):
        run("encode", "--checkpoint", ckpt, "--modality", modality, "--input", trained / "data" / f"{part}.npz",
            "--out", trained / f"{part}-{modality}.hxc", "-q")
    codes = load_codes(trained / "query-image.hxc")
    assert codes.nbits == 32 and codes.count == 400
    hits = json.loads(run("search", "--database", trained / "retrieval-text.hxc",
                          "--queries", trained / "query-image.hxc", "-k", "5", "--json"))
    assert len(hits) == 400 and all(len(h["ids"]) == 5 for h in hits)
    chance = chance_map(trained)
    for q, db, margin in (("query-image", "retrieval-text", 0.03), ("query-text", "retrieval-image", 0.05)):
        report = json.loads(run("eval", "--query-codes", trained / f"{q}.hxc", "--db-codes", trained / f"{db}.hxc",
                                "--query-labels", trained / "data" / "query.npz",
                                "--db-labels", trained / "data" / "retrieval.npz", "--json"))
        print(q, report["map"], chance)
        assert report["map"] > chance + margin, (q, report["map"], chance)


def test_encode_rejects_wrong_width_with_a_clear_error(trained, tmp_path):
    np.save(tmp_path / "bad.npy", np.zeros((3, 7), dtype=np.float32))
    r = CliRunner().invoke(cli, ["encode", "--checkpoint", str(trained / "run" / "ssah-16bits" / "model-best.pt"),
                                 "--modality", "image", "--input", str(tmp_path / "bad.npy"),
                                 "--out", str(tmp_path / "x.hxc")])
    assert r.exit_code == 1 and r.output.startswith("Error: ") and "shape (n, 512)" in r.output
    assert not (tmp_path / "x.hxc").exists()


def test_train_refuses_to_overwrite_a_run_and_resume_continues(trained):
    r = CliRunner().invoke(cli, ["train", "--dataset", "synthetic", "--bits", "16", *FAST,
                                 "--out", str(trained / "run"), "-q"])
    assert r.exit_code == 1 and "already holds a run" in r.output
    run("train", "--dataset", "synthetic", "--bits", "16", *FAST, "--out", trained / "run", "--resume", "-q")


def test_bench_writes_records_table_and_plots(workdir):
    out = run("bench", "--dataset", "synthetic", "--methods", "ssah,ssah-noadv", "--bits", "16", "--seeds", "2",
              "--epochs", "2", "--set", "hidden_dim=128", "--set", "feature_dim=32", "--out", workdir / "bench", "-q")
    assert "| ssah |" in out and "| ssah-noadv |" in out
    records = json.loads((workdir / "bench" / "results.json").read_text())
    assert len(records) == 2 * 2 * 4  # methods x seeds x directions
    keys = {"dataset", "protocol", "method", "bits", "seed", "direction", "map", "map_at", "train_seconds"}
    assert all(keys <= set(r) for r in records)
    assert {r["direction"] for r in records} == {"image->text", "text->image", "image->image", "text->text"}
    assert (workdir / "bench" / "results.md").read_text() == out
    assert len(list((workdir / "bench" / "plots").glob("*.png"))) == 4
    # a second invocation finds every run in results.json and trains nothing
    stamp = (workdir / "bench" / "results.json").stat().st_mtime_ns
    again = run("bench", "--dataset", "synthetic", "--methods", "ssah,ssah-noadv", "--bits", "16", "--seeds", "2",
                "--epochs", "2", "--set", "hidden_dim=128", "--set", "feature_dim=32", "--out", workdir / "bench", "-q")
    assert again == out
    assert (workdir / "bench" / "results.json").stat().st_mtime_ns == stamp
    assert all(r["db_codes"] == "features" and r["db_learned"] == 0 for r in records)
    # the learned-codes evaluation reuses the trained models (nothing retrained) and says what it did
    learned = run("bench", "--dataset", "synthetic", "--methods", "ssah", "--bits", "16", "--seeds", "1",
                  "--epochs", "2", "--set", "hidden_dim=128", "--set", "feature_dim=32", "--db-codes", "learned",
                  "--out", workdir / "bench", "-q")
    assert "database coded by features and learned codes" in learned
    records = json.loads((workdir / "bench" / "results.json").read_text())
    new = [r for r in records if r["db_codes"] == "learned"]
    old = [r for r in records if r["db_codes"] == "features" and r["method"] == "ssah" and r["seed"] == 0]
    assert len(new) == 4 and all(r["db_learned"] == 1620 for r in new)  # the fit items of the retrieval set
    assert {r["train_seconds"] for r in new} == {r["train_seconds"] for r in old}
    assert {r["direction"]: r["map"] for r in new} != {r["direction"]: r["map"] for r in old}


def test_bench_unknown_method_lists_valid_names(tmp_path):
    r = CliRunner().invoke(cli, ["bench", "--dataset", "synthetic", "--methods", "ssah-gril", "--out", str(tmp_path)])
    assert r.exit_code == 1 and "Got 'ssah-gril' instead; did you mean 'ssah-grl'?" in r.output
    assert "'ssah-noadv'" in r.output and not (tmp_path / "runs").exists()
