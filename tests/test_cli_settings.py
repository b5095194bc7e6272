"""How hashx train / bench resolve --config, --set and the explicit flags (nothing silently overridden)."""

import json

import pytest
from click.testing import CliRunner

from hashx_cli.main import cli

TINY = ["--dataset", "synthetic", "--set", "hidden_dim=32", "--set", "feature_dim=16", "--set", "eval_batch_size=512"]


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _config(out, method="ssah", bits=16):
    return json.loads((out / f"{method}-{bits}bits" / "config.json").read_text())


def test_set_values_are_not_overridden_by_flag_defaults(tmp_path):
    r = invoke("train", *TINY, "--set", "seed=5", "--set", "nbits=8", "--epochs", "1", "--out", tmp_path, "-q")
    assert r.exit_code == 0, r.output
    config = _config(tmp_path, bits=8)
    assert config["run"]["seed"] == 5 and config["run"]["nbits"] == 8 and config["run"]["epochs"] == 1
    assert not (tmp_path / "ssah-16bits").exists()  # --set nbits replaces the default 16,32,64


def test_contradicting_a_set_value_with_a_flag_is_a_usage_error(tmp_path):
    for args, word in ((["--set", "seed=5", "--seed", "3"], "--seed 3 contradicts seed=5"),
                       (["--set", "nbits=32", "--bits", "16"], "either with --bits or with --set nbits"),
                       (["--set", "epochs=4", "--epochs", "2"], "--epochs 2 contradicts epochs=4")):
        r = invoke("train", *TINY, *args, "--out", tmp_path, "-q")
        assert r.exit_code == 2 and word in r.output, r.output
        assert not list(tmp_path.iterdir())


def test_bad_values_are_one_line_errors_before_any_work(tmp_path):
    for args, word in ((["--set", "nbits=abc"], "'nbits' parameter of RunConfig must be an int"),
                       (["--set", "ssah.alignmnt=grl"], "did you mean 'alignment'"),
                       (["--set", "nosuch=1"], "Unknown setting(s) 'nosuch'"),
                       (["--bits", "16,16"], "lists [16] more than once"),
                       (["--bits", "100000"], "'nbits' parameter of RunConfig must be an int in [8, 4096]")):
        r = invoke("train", *TINY, *args, "--epochs", "1", "--out", tmp_path / "x", "-q")
        assert r.exit_code == 1 and r.output.startswith("Error: ") and word in r.output, (args, r.output)
        assert "Traceback" not in r.output and not (tmp_path / "x" / "ssah-16bits" / "model-best.pt").exists()


def test_config_json_written_by_train_is_accepted_by_config(tmp_path):
    r = invoke("train", *TINY, "--set", "ssah.alignment=grl", "--bits", "16", "--epochs", "1", "--seed", "3",
               "--out", tmp_path / "a", "-q")
    assert r.exit_code == 0, r.output
    r = invoke("train", "--dataset", "synthetic", "--config", tmp_path / "a" / "ssah-16bits" / "config.json",
               "--bits", "16", "--out", tmp_path / "b", "-q")
    assert r.exit_code == 0, r.output
    a, b = _config(tmp_path / "a"), _config(tmp_path / "b")
    assert a["run"] == b["run"] and a["method"] == b["method"] and b["run"]["seed"] == 3
    assert b["method"]["settings"]["alignment"] == "grl"
    assert (tmp_path / "a" / "ssah-16bits" / "model-best.pt").read_bytes() != b""
    # hashx 0.1's flat config.json (device and provenance included) is read too
    old = {**a["run"], **a["method"]["settings"], "device": "cpu", "dataset": "synthetic", "split_sha256": "x"}
    (tmp_path / "old.json").write_text(json.dumps(old))
    r = invoke("train", "--dataset", "synthetic", "--config", tmp_path / "old.json", "--bits", "16",
               "--out", tmp_path / "c", "-q")
    assert r.exit_code == 0, r.output
    assert _config(tmp_path / "c")["method"] == a["method"]


def test_method_variant_and_method_conflicts(tmp_path):
    r = invoke("train", *TINY, "--method", "ssah-noadv", "--bits", "8", "--epochs", "1", "--out", tmp_path, "-q")
    assert r.exit_code == 0, r.output
    assert _config(tmp_path, bits=8)["method"]["settings"]["alignment"] == "none"
    r = invoke("train", *TINY, "--method", "ssah", "--set", "method=dcmh", "--out", tmp_path / "y", "-q")
    assert r.exit_code == 2 and "contradicts" in r.output


@pytest.mark.parametrize("args, word", [
    (["--set", "nosuch=1"], "apply to none of the methods"),
    (["--set", "dcmhh.x=1"], "neither 'run' nor a method"),
    (["--bits", "16,16"], "lists 16 more than once"),
    (["--methods", "ssah,ssah"], "lists ssah more than once"),
])
def test_bench_checks_every_setting_before_training(tmp_path, args, word):
    r = invoke("bench", "--dataset", "synthetic", "--epochs", "1", *args, "--out", tmp_path, "-q")
    assert r.exit_code == 1 and word in r.output, r.output
    assert not (tmp_path / "runs").exists()


def test_bench_refuses_a_corrupted_results_file_in_one_line(tmp_path):
    (tmp_path / "results.json").write_text('[{"method": "ssah", "bits"')
    r = invoke("bench", "--dataset", "synthetic", "--epochs", "1", "--bits", "8", "--seeds", "1", "--out", tmp_path)
    assert r.exit_code == 1 and r.output.startswith("Error: Results file") and "corrupted" in r.output
    assert "Traceback" not in r.output and not (tmp_path / "runs").exists()
