"""RunConfig and SSAHSettings: validation, round trips, routing of settings; device resolution."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from hashx.exceptions import DataFormatError, HashxTypeError, HashxValueError
from hashx.methods import SSAHSettings, configure, make_settings, split_overrides
from hashx.train import RunConfig, read_settings_file, resolve_device, write_run_file


def test_defaults_round_trip_through_dict():
    for cls in (RunConfig, SSAHSettings):
        config = cls()
        assert cls.from_dict(config.to_dict()) == config
    changed = RunConfig().replace(nbits=32)
    assert changed.nbits == 32 and RunConfig().nbits == 64
    assert SSAHSettings().replace(alignment="grl").alignment == "grl"


def test_frozen_and_keyword_only():
    with pytest.raises(dataclasses.FrozenInstanceError):
        RunConfig().nbits = 16
    with pytest.raises(TypeError):
        RunConfig("ssah")
    with pytest.raises(TypeError):
        SSAHSettings("image_mlp")


def test_run_config_holds_no_method_knob_and_no_device():
    fields = set(RunConfig.field_names())
    assert fields == {"method", "nbits", "epochs", "batch_size", "seed", "lr_schedule", "lr_min_factor", "val_every",
                      "patience", "eval_batch_size", "max_epochs"}
    assert "device" not in SSAHSettings.field_names() and not fields & set(SSAHSettings.field_names())


@pytest.mark.parametrize("cls, field, value, error", [
    (RunConfig, "nbits", 12, HashxValueError),
    (RunConfig, "nbits", 16.0, HashxTypeError),
    (RunConfig, "nbits", 8192, HashxValueError),
    (RunConfig, "lr_min_factor", 1.5, HashxValueError),
    (RunConfig, "epochs", 0, HashxValueError),
    (RunConfig, "batch_size", 1, HashxValueError),
    (RunConfig, "patience", 0, HashxValueError),
    (RunConfig, "seed", -1, HashxValueError),
    (RunConfig, "method", 3, HashxTypeError),
    (SSAHSettings, "alignment", "wgan", HashxValueError),
    (SSAHSettings, "grl_schedule", "linear", HashxValueError),
    (SSAHSettings, "pairwise_loss", "hinge", HashxValueError),
    (SSAHSettings, "quantization", "none", HashxValueError),
    (SSAHSettings, "text_net", "image_mlp", HashxValueError),
    (SSAHSettings, "alpha", -1.0, HashxValueError),
    (SSAHSettings, "delta", float("nan"), HashxValueError),
    (SSAHSettings, "beta", "1", HashxTypeError),
    (SSAHSettings, "lr_image", 0.0, HashxValueError),
    (SSAHSettings, "image_norm", "zscore", HashxValueError),
])
def test_invalid_settings_name_the_parameter(cls, field, value, error):
    with pytest.raises(error, match=f"'{field}'"):
        cls(**{field: value})


def test_component_names_are_checked_against_the_registries_with_a_suggestion():
    with pytest.raises(HashxValueError, match=r"'gan', 'gan_detached', 'grl', 'none'.*did you mean 'gan'\?"):
        SSAHSettings(alignment="gna")
    with pytest.raises(HashxValueError, match=r"did you mean 'nll'\?"):
        SSAHSettings(pairwise_loss="nl")


def test_from_dict_rejects_unknown_settings_with_a_suggestion():
    with pytest.raises(HashxValueError, match=r"'learning_rate'"):
        RunConfig.from_dict({"learning_rate": 0.1})
    with pytest.raises(HashxValueError, match=r"'alignmnet' \(did you mean 'alignment'\?\)"):
        SSAHSettings.from_dict({"alignmnet": "grl"})


def test_settings_route_to_run_and_method_qualified_or_bare():
    run, settings = configure("ssah", {"epochs": 3, "run.seed": 4, "alignment": "grl", "ssah.delta": 0.5})
    assert (run.method, run.epochs, run.seed) == ("ssah", 3, 4)
    assert (settings.alignment, settings.delta) == ("grl", 0.5)
    assert make_settings("ssah", alignment="none") == SSAHSettings(alignment="none")
    run_values, method_values, unused = split_overrides({"epochs": 2, "lr_image": 0.1, "zzz": 1}, method="ssah")
    assert run_values == {"epochs": 2} and method_values == {"lr_image": 0.1} and unused == ["zzz"]


def test_bad_settings_are_named():
    with pytest.raises(HashxValueError, match=r"'alignmnt' \(did you mean 'alignment'\?\)"):
        configure("ssah", {"alignmnt": "grl"})
    with pytest.raises(HashxValueError, match=r"'ssah.alpah'.*did you mean 'alpha'"):
        configure("ssah", {"ssah.alpah": 1.0})
    with pytest.raises(HashxValueError, match=r"'run.nbit'.*did you mean 'nbits'"):
        configure("ssah", {"run.nbit": 16})
    with pytest.raises(HashxValueError, match="neither 'run' nor a method"):
        configure("ssah", {"foo.alpha": 1.0})
    with pytest.raises(HashxValueError, match="name method 'dcmh'"):
        configure("ssah", {"method": "dcmh"})
    with pytest.raises(HashxValueError, match=r"'method'.*did you mean 'ssah'"):
        configure("sash", {})
    assert configure("ssah", {"zzz": 1}, strict=False)[1] == SSAHSettings()


def test_run_file_round_trip_and_the_layouts_it_reads(tmp_path):
    run, settings = configure("ssah", {"epochs": 3, "nbits": 32, "alignment": "grl"})
    path = write_run_file(tmp_path / "config.json", run, settings, dataset="tiny", split_sha256="ab" * 32)
    payload = json.loads(path.read_text())
    assert payload["run"]["epochs"] == 3 and payload["method"]["settings"]["alignment"] == "grl"
    assert payload["dataset"] == "tiny" and "device" not in payload["run"]
    assert configure("ssah", read_settings_file(path)) == (run, settings)
    # hashx 0.1 wrote one flat dict of SSAH's settings, with device and provenance entries
    old = {**{k: v for k, v in run.to_dict().items() if k != "method"}, "method": "ssah", **settings.to_dict(),
           "device": "cpu", "dataset": "tiny", "split_sha256": "cd" * 32}
    (tmp_path / "old.json").write_text(json.dumps(old))
    assert configure("ssah", read_settings_file(tmp_path / "old.json")) == (run, settings)
    # ... and one written before align_to existed meant the label network's features
    del old["align_to"]
    (tmp_path / "older.json").write_text(json.dumps(old))
    assert configure("ssah", read_settings_file(tmp_path / "older.json"))[1].align_to == "label"
    (tmp_path / "flat.json").write_text(json.dumps({"ssah.alignment": "none", "epochs": 2}))
    assert configure("ssah", read_settings_file(tmp_path / "flat.json"))[1].alignment == "none"
    for text in ("[1, 2]", "{not json", '{"run": 3}'):
        (tmp_path / "bad.json").write_text(text)
        with pytest.raises(DataFormatError, match="bad.json"):
            read_settings_file(tmp_path / "bad.json")


def test_device_resolution():
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(HashxValueError, match="'device'"):
        resolve_device("banana")
    if not torch.cuda.is_available():
        with pytest.raises(HashxValueError, match="CUDA"):
            resolve_device("cuda")
