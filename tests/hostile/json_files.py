"""JSON files: a benchmark's results.json (hashx.experiments.read_records) and settings files
(hashx.train.read_settings_file).  The references apply the rules in those functions' docstrings
to what ``json`` decodes."""

from __future__ import annotations

import json

from . import Family, Rejected, family

RESULTS, SETTINGS = "results.json", "config.json"
_RECORD_KEYS = ("method", "bits", "seed", "direction", "map")
_PROVENANCE = ("dataset", "split_sha256", "hashx_version")


def _decode(path):
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except Exception as exc:  # not UTF-8, not JSON, nested too deeply for the decoder
        raise Rejected(f"undecodable ({type(exc).__name__})") from None


# -- results.json -------------------------------------------------------------------
def _records_seeds():
    rec = [{"method": "ssah", "bits": 16, "seed": s, "direction": d, "map": 0.5 + s / 10, "map_at": {"50": 0.6}}
           for s in range(2) for d in ("i2t", "t2i")]
    return [{RESULTS: json.dumps(rec, indent=2).encode()}, {RESULTS: b"[]"}]


def _records_hostile():
    return [(label, {RESULTS: data}) for label, data in (
        ("empty file", b""),
        ("truncated", json.dumps([{"method": "a"}])[:-3].encode()),
        ("an object", b'{"method": "ssah"}'),
        ("a record without map", json.dumps([{"method": "a", "bits": 1, "seed": 0, "direction": "i2t"}]).encode()),
        ("a list of numbers", b"[1, 2, 3]"),
        ("deeply nested", b"[" * 100000 + b"]" * 100000),
        ("not utf-8", b"\xff\xfe[]"),
        ("NaN map", b'[{"method": "a", "bits": 1, "seed": 0, "direction": "i2t", "map": NaN}]'),
    )]


def _records_reference(folder):
    records = _decode(folder / RESULTS)
    if not isinstance(records, list) or not all(isinstance(r, dict) and all(k in r for k in _RECORD_KEYS)
                                                for r in records):
        raise Rejected("not a list of records")
    return records


def _records_read(folder):
    from hashx.experiments.runner import read_records

    return read_records(folder / RESULTS)


def _same_json(got, want) -> bool:
    return json.dumps(got, sort_keys=True, default=repr) == json.dumps(want, sort_keys=True, default=repr)


family(Family("results.json", RESULTS, _records_seeds, _records_hostile, _records_read, _records_reference,
              _same_json))


# -- settings files -------------------------------------------------------------------
def _settings_seeds():
    run_file = {"run": {"method": "ssah", "nbits": 32, "epochs": 8, "seed": 1},
                "method": {"name": "ssah", "settings": {"alignment": "gan", "alpha": 1.0}},
                "dataset": "synthetic", "split_sha256": "ab" * 32, "hashx_version": "0.2.0"}
    return [{SETTINGS: json.dumps(run_file, indent=2).encode()},
            {SETTINGS: json.dumps({"epochs": 3, "ssah.alignment": "grl", "device": "cpu"}).encode()}]


def _settings_hostile():
    return [(label, {SETTINGS: data}) for label, data in (
        ("empty file", b""),
        ("a list", b"[1]"),
        ("run not an object", b'{"run": 3}'),
        ("method settings not an object", b'{"method": {"name": "ssah", "settings": [1]}}'),
        ("method name not a string", b'{"method": {"name": 5, "settings": {"a": 1}}}'),
        ("deeply nested", b'{"a": ' + b"[" * 100000 + b"]" * 100000 + b"}"),
        ("not utf-8", b"\xff{}"),
        ("huge number", b'{"epochs": 1e400}'),
    )]


def _settings_reference(folder):
    values = _decode(folder / SETTINGS)
    if not isinstance(values, dict):
        raise Rejected("not an object")
    values = {k: v for k, v in values.items() if k not in _PROVENANCE}
    flat = {}
    if "run" in values or isinstance(values.get("method"), dict):
        run, method = values.pop("run", {}), values.pop("method", {})
        if not isinstance(run, dict) or not isinstance(method, dict) or not isinstance(method.get("settings", {}),
                                                                                       dict):
            raise Rejected("malformed run/method")
        name = method.get("name", run.get("method"))
        flat.update({f"run.{k}": v for k, v in run.items()})
        if method.get("settings"):
            if not isinstance(name, str):
                raise Rejected("method name")
            flat.update({f"{name}.{k}": v for k, v in method["settings"].items()})
    if "device" in values:  # hashx 0.1's layout: its SSAH aligned with the label features only
        del values["device"]
        if values.get("method", "ssah") == "ssah" and "align_to" not in values and "ssah.align_to" not in values:
            values["align_to"] = "label"
    flat.update(values)
    return flat


def _settings_read(folder):
    from hashx.train import read_settings_file

    return read_settings_file(folder / SETTINGS)


family(Family("settings", SETTINGS, _settings_seeds, _settings_hostile, _settings_read, _settings_reference,
              _same_json))
