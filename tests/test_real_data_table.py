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
                                 "methods": None, "json": None, "rename": None, **changes})


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
