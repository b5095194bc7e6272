"""benchmarks/real_data.py table: paired differences are per code length, never pooled across them."""

import argparse
import importlib
import json
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def real_data():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module("real_data")
    finally:
        sys.path.remove(str(BENCHMARKS))


def _record(method, bits, seed, direction, value, val):
    return {"protocol": "wiki-like", "method": method, "bits": bits, "seed": seed, "direction": direction,
            "db_codes": "features", "map": value, "val_map": val, "best_epoch": 10, "train_seconds": 1.0}


def _write(folder: Path, method: str, rows: dict) -> None:
    """rows: (bits, seed) -> (i2t, t2i, val)."""
    records = []
    for (bits, seed), (i2t, t2i, val) in rows.items():
        records += [_record(method, bits, seed, "image->text", i2t, val),
                    _record(method, bits, seed, "text->image", t2i, val)]
    path = folder / "wiki-like" / method / "results.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(records))


def _args(out, **changes):
    return argparse.Namespace(**{"out": [str(o) for o in out], "baseline": None, "difference": "variant-minus-baseline",
                                 "methods": None, "json": None, "rename": None, "picks": None,
                                 **changes})


def test_paired_differences_by_code_length(real_data, tmp_path, capsys):
    _write(tmp_path, "base", {(16, 0): (0.30, 0.60, 0.50), (16, 1): (0.32, 0.62, 0.52),
                              (64, 0): (0.40, 0.70, 0.60), (64, 1): (0.42, 0.72, 0.62)})
    # 16 bits: +0.01 and +0.03 on I->T (mean +0.02, std 0.01); 64 bits: -0.05 and -0.01 (mean -0.03)
    _write(tmp_path, "variant", {(16, 0): (0.31, 0.60, 0.50), (16, 1): (0.35, 0.62, 0.53),
                                 (64, 0): (0.35, 0.70, 0.60), (64, 1): (0.41, 0.72, 0.61)})
    args = _args([tmp_path], baseline="base")
    assert real_data.table(args) == 0
    out = capsys.readouterr().out
    query, validation = out.split("validation MAP (what choices are made on)")
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
            for line in query.splitlines() if line.startswith("| variant (")}
    assert set(rows) == {"variant (16 bits)", "variant (64 bits)"}
    assert rows["variant (16 bits)"][0] == "+0.0200 ± 0.0100 (2/2)"
    assert rows["variant (64 bits)"][0] == "-0.0300 ± 0.0200 (0/2)"
    assert rows["variant (16 bits)"][1] == "+0.0000 ± 0.0000 (0/2)"
    # validation rows come from the second table, one per code length as well
    val = {line.split("|")[1].strip(): line.split("|")[2].strip()
           for line in validation.splitlines() if line.startswith("| variant (")}
    assert val == {"variant (16 bits)": "+0.0050 ± 0.0050 (1/2)", "variant (64 bits)": "-0.0050 ± 0.0050 (0/2)"}


def test_flip_reverses_the_sign(real_data, tmp_path, capsys):
    _write(tmp_path, "base", {(32, 0): (0.30, 0.60, 0.50)})
    _write(tmp_path, "variant", {(32, 0): (0.25, 0.60, 0.50)})
    args = _args([tmp_path], baseline="base", difference="baseline-minus-variant")
    real_data.table(args)
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("| variant (32 bits)"))
    assert line.split("|")[2].strip() == "+0.0500 ± 0.0000 (1/1)"


def test_a_proxy_without_the_chosen_methods_is_left_out(real_data, tmp_path, capsys):
    _write(tmp_path, "base", {(32, 0): (0.30, 0.60, 0.50)})
    other = tmp_path / "digits-halves" / "other" / "results.json"
    other.parent.mkdir(parents=True)
    other.write_text(json.dumps([{**_record("other", 32, 0, "image->text", 0.9, 0.9), "protocol": "digits-halves"}]))
    args = _args([tmp_path], methods="base")
    real_data.table(args)
    out = capsys.readouterr().out
    assert "## wiki-like" in out and "digits-halves" not in out


def test_two_runs_under_one_name_are_refused_and_rename_pairs_them(real_data, tmp_path, capsys):
    # runs of "ssah" made under an old default and under a new one, in two folders: never merged silently
    old, new = tmp_path / "old", tmp_path / "new"
    _write(old, "ssah", {(32, 0): (0.30, 0.60, 0.50), (32, 1): (0.32, 0.62, 0.52)})
    _write(new, "ssah", {(32, 0): (0.34, 0.61, 0.55), (32, 1): (0.33, 0.62, 0.54)})
    with pytest.raises(SystemExit, match=r"Two runs of 'ssah' on wiki-like, 32 bits, seed 0 .*--rename"):
        real_data.table(_args([old, new]))
    out_json = tmp_path / "t.json"
    assert real_data.table(_args([old, new], rename=[f"{old}:ssah=ssah-projection"], baseline="ssah-projection",
                                 json=str(out_json))) == 0
    text = capsys.readouterr().out
    row = [line for line in text.split("validation MAP (what choices")[0].splitlines()
           if line.startswith("| ssah (32 bits)")]
    assert [c.strip() for c in row[0].split("|")[2:4]] == ["+0.0250 ± 0.0150 (2/2)", "+0.0050 ± 0.0050 (1/2)"]
    saved = json.loads(out_json.read_text())
    assert saved["folders"][0]["renamed"] == {"ssah": "ssah-projection"} and "renamed" not in saved["folders"][1]
    assert sorted({r["method"] for r in saved["records"]}) == ["ssah", "ssah-projection"]
    with pytest.raises(SystemExit, match="FOLDER:OLD=NEW"):
        real_data.table(_args([old], rename=["ssah=x"]))
    with pytest.raises(SystemExit, match="not given to --out"):
        real_data.table(_args([old], rename=[f"{new}:ssah=x"]))


def _rows(text: str, start: str) -> dict:
    return {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
            for line in text.splitlines() if line.startswith(start)}


def test_picks_take_exactly_the_named_runs_under_their_names(real_data, tmp_path, capsys):
    old, new = tmp_path / "old", tmp_path / "new"
    _write(old, "ssah", {(32, 0): (0.30, 0.60, 0.50), (32, 1): (0.32, 0.62, 0.52), (32, 2): (0.9, 0.9, 0.9)})
    _write(new, "ssah", {(32, 0): (0.34, 0.61, 0.55), (32, 1): (0.33, 0.62, 0.54), (64, 0): (0.5, 0.7, 0.6)})
    picks = tmp_path / "grid.picks"
    picks.write_text(f"# the old default's runs, seeds 0 and 1 only\n"
                     f"{old} wiki-like ssah 32 0-1 ssah-projection   # renamed\n"
                     f"\n{new} wiki-like ssah 32 0,1\n")
    out_json = tmp_path / "t.json"
    assert real_data.table(_args([], picks=str(picks), baseline="ssah-projection", json=str(out_json))) == 0
    text = capsys.readouterr().out
    query = text.split("validation MAP (what choices")[0]
    # seed 2 of the old folder and the 64-bit run of the new one are not picked
    assert _rows(query, "| ssah (32 bits)")["ssah (32 bits)"][:2] == ["+0.0250 ± 0.0150 (2/2)",
                                                                      "+0.0050 ± 0.0050 (1/2)"]
    counts = _rows(text.split("## Seeds per cell")[1].split("## Paired")[0], "| ssah")
    assert list(counts.items()) == [("ssah-projection", ["2"]), ("ssah", ["2"])]  # the picks file's order
    assert f"Runs: 2 picks from 2 run folders (`--picks {picks}`" in text
    saved = json.loads(out_json.read_text())
    assert [(p["folder"], p["seeds"], p["name"]) for p in saved["picks"]] == [
        (str(old), [0, 1], "ssah-projection"), (str(new), [0, 1], "ssah")]
    assert sorted((r["method"], r["seed"]) for r in saved["records"] if r["direction"] == "image->text") == [
        ("ssah", 0), ("ssah", 1), ("ssah-projection", 0), ("ssah-projection", 1)]


def test_seed_counts_show_missing_cells(real_data, tmp_path, capsys):
    _write(tmp_path, "a", {(16, 0): (0.3, 0.6, 0.5), (16, 1): (0.3, 0.6, 0.5), (64, 0): (0.3, 0.6, 0.5)})
    _write(tmp_path, "b", {(64, 0): (0.3, 0.6, 0.5)})
    real_data.table(_args([tmp_path]))
    text = capsys.readouterr().out.split("## Seeds per cell")[1]
    header = next(line for line in text.splitlines() if line.startswith("| method"))
    assert [c.strip() for c in header.split("|")[2:-1]] == ["wiki-like 16", "wiki-like 64"]
    assert _rows(text, "| a") == {"a": ["2", "1"]} and _rows(text, "| b") == {"b": ["–", "1"]}


@pytest.mark.parametrize("row, message", [
    ("{f} wiki-like ssah 32", r"line 1: expected FOLDER PROXY METHOD BITS SEEDS \[NAME\]"),
    ("{f} wiki-like ssah 32 0-1 a b", r"line 1: expected FOLDER PROXY METHOD BITS SEEDS"),
    ("{f} wiki ssah 32 0-1", r"line 1: PROXY must be one of digits-halves, .*; got 'wiki'"),
    ("{f} wiki-like ssah 32b 0-1", r"line 1: BITS must be a whole number; got '32b'"),
    ("{f} wiki-like ssah 32 0-x", r"line 1: SEEDS must look like 0-4 or 0,1,2; got '0-x'"),
    ("{f} wiki-like ssah 32 1-0", r"line 1: SEEDS must look like 0-4 or 0,1,2; got '1-0'"),
    ("{f} wiki-like ssah 32 0,,1", r"line 1: SEEDS must look like 0-4 or 0,1,2; got '0,,1'"),
    ("{f} wiki-like ssah 32 0-2", r"line 1: .*results.json has no 32-bit run of seed\(s\) \[2\]"),
    ("{f} wiki-like ssah 16 0", r"line 1: .*results.json has no 16-bit run of seed\(s\) \[0\]"),
    ("{f} wiki-like other 32 0", r"line 1: .*other/results.json has no 32-bit run of seed\(s\) \[0\]"),
    ("# nothing but a comment", r"no rows"),
])
def test_a_bad_picks_row_is_refused_with_its_line(real_data, tmp_path, row, message):
    _write(tmp_path / "runs", "ssah", {(32, 0): (0.3, 0.6, 0.5), (32, 1): (0.3, 0.6, 0.5)})
    picks = tmp_path / "grid.picks"
    picks.write_text(row.format(f=tmp_path / "runs") + "\n")
    with pytest.raises(SystemExit, match=message):
        real_data.table(_args([], picks=str(picks)))


def test_picks_refuse_one_run_picked_twice_and_out_with_picks(real_data, tmp_path):
    _write(tmp_path / "runs", "ssah", {(32, 0): (0.3, 0.6, 0.5)})
    picks = tmp_path / "grid.picks"
    picks.write_text(f"{tmp_path / 'runs'} wiki-like ssah 32 0\n{tmp_path / 'runs'} wiki-like ssah 32 0\n")
    with pytest.raises(SystemExit, match=r"Two runs of 'ssah' on wiki-like, 32 bits, seed 0 .*NAME in --picks"):
        real_data.table(_args([], picks=str(picks)))
    with pytest.raises(SystemExit, match="one of the two"):
        real_data.table(_args([tmp_path / "runs"], picks=str(picks)))
    with pytest.raises(SystemExit, match="one of the two"):
        real_data.table(_args([]))
    with pytest.raises(SystemExit, match="NAME column"):
        real_data.table(_args([], picks=str(picks), rename=["x:a=b"]))


def test_a_damaged_results_file_is_refused_with_its_name(real_data, tmp_path):
    path = tmp_path / "runs" / "wiki-like" / "ssah" / "results.json"
    path.parent.mkdir(parents=True)
    path.write_text('[{"method": "ssah"')  # cut short
    with pytest.raises(SystemExit, match=r"results.json' is corrupted"):
        real_data.table(_args([tmp_path / "runs"]))
    picks = tmp_path / "grid.picks"
    picks.write_text(f"{tmp_path / 'runs'} wiki-like ssah 32 0\n")
    with pytest.raises(SystemExit, match=r"results.json' is corrupted"):
        real_data.table(_args([], picks=str(picks)))


def test_restore_rebuilds_the_picked_runs_so_the_table_is_the_same(real_data, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(Path("old"), "ssah", {(32, 0): (0.30, 0.60, 0.50), (32, 1): (0.32, 0.62, 0.52), (32, 2): (0.9, 0.9, 0.9)})
    _write(Path("new"), "ssah", {(32, 0): (0.34, 0.61, 0.55), (32, 1): (0.33, 0.62, 0.54)})
    (Path("new") / "meta.json").write_text(json.dumps({"command": "real_data.py run --out new", "cpu": "x"}))
    picks = tmp_path / "grid.picks"
    picks.write_text("old wiki-like ssah 32 0-1 ssah-projection\nnew wiki-like ssah 32 0,1\n")
    saved = tmp_path / "t.json"
    assert real_data.table(_args([], picks=str(picks), baseline="ssah-projection", json=str(saved))) == 0
    before = capsys.readouterr().out

    restore = argparse.Namespace(json=str(saved), to="restored")
    assert real_data.restore(restore) == 0
    assert "restored 8 records of 2 picks into 2 results files" in capsys.readouterr().out
    old = json.loads((tmp_path / "restored/old/wiki-like/ssah/results.json").read_text())
    # under the folder's own method name, and only the picked seeds (seed 2 was not picked)
    assert sorted({(r["method"], r["seed"]) for r in old}) == [("ssah", 0), ("ssah", 1)]
    assert json.loads((tmp_path / "restored/new/meta.json").read_text())["command"] == "real_data.py run --out new"
    monkeypatch.chdir(tmp_path / "restored")
    assert real_data.table(_args([], picks=str(picks), baseline="ssah-projection")) == 0
    assert capsys.readouterr().out == before

    monkeypatch.chdir(tmp_path)
    assert real_data.restore(restore) == 0  # again: everything is there already
    assert "restored 0 records" in capsys.readouterr().out
    path = tmp_path / "restored/new/wiki-like/ssah/results.json"
    path.write_text(json.dumps([_record("ssah", 32, 1, "image->text", 0.99, 0.5)]))  # another run's result
    with pytest.raises(SystemExit, match=r"already holds another result for ssah 32 bits seed 1"):
        real_data.restore(restore)
    with pytest.raises(SystemExit, match=r"is not a table written with --picks and --json"):
        real_data.restore(argparse.Namespace(json=str(tmp_path / "grid.picks"), to="."))


def test_the_picks_header_names_the_machines_and_dates_of_first_and_last_commands(real_data, tmp_path, capsys):
    old, new = tmp_path / "old", tmp_path / "new"
    _write(old, "ssah", {(32, 0): (0.30, 0.60, 0.50)})
    _write(new, "ssah", {(32, 0): (0.34, 0.61, 0.55)})
    (old / "meta.json").write_text(json.dumps({"command": "run --out old", "cpu": "cpu A", "date": "2026-11-30"}))
    (new / "meta.json").write_text(json.dumps({
        "command": "run --out new", "cpu": "cpu A", "date": "2026-12-01",
        "last": {"command": "run --out new --seeds 5", "cpu": "cpu B", "date": "2026-12-02"}}))
    picks = tmp_path / "grid.picks"
    picks.write_text(f"{old} wiki-like ssah 32 0 ssah-projection\n{new} wiki-like ssah 32 0\n")
    assert real_data.table(_args([], picks=str(picks), baseline="ssah-projection")) == 0
    text = capsys.readouterr().out
    assert "machines: cpu A, cpu B; dates: 2026-11-30, 2026-12-01, 2026-12-02." in text
