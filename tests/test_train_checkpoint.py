"""Checkpoint round trip, weights-only loading, corrupted and mismatched checkpoints, the encoder."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from hashx._version import __version__
from hashx.exceptions import CheckpointError, HashxTypeError, HashxValueError
from hashx.methods import SSAH, SSAHSettings
from hashx.train.run_config import auto_patience
from hashx.train import (
    BEST_MODEL,
    LAST_CHECKPOINT,
    DataDims,
    FitData,
    RunConfig,
    load_checkpoint,
    load_encoder,
    save_checkpoint,
    train,
)
from ssah_testing import run_tiny, tiny_config, tiny_dataset, tiny_split

LEGACY = Path(__file__).parent / "data" / "legacy"

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    ds, split, config = tiny_dataset(), tiny_split(), tiny_config(epochs=1)
    result = run_tiny(ds, split, out, config)
    return ds, split, config, out, result.best_checkpoint


def _ssah(ds, split, config):
    run, settings = config
    return SSAH(settings, run=run, data=FitData(ds, split.fit, device=torch.device("cpu")), device="cpu")


class Unsafe:
    pass


def test_train_writes_both_files_with_everything_needed(run):
    ds, split, config, out, path = run
    assert path == out / BEST_MODEL and (out / LAST_CHECKPOINT).is_file()
    raw = torch.load(path, weights_only=True)  # plain weights-only torch file
    assert raw["format"] == "hashx-checkpoint" and raw["kind"] == "model"
    # the run is saved resolved: "auto" epochs and patience as the numbers the run planned
    assert config[0].patience == "auto" and raw["run"]["patience"] == auto_patience(config[0].epochs, 1)
    assert raw["run"] == config[0].resolved(n_fit=split.fit.size).to_dict() and raw["run"]["method"] == "ssah"
    assert raw["method"] == {"name": "ssah", "settings": config[1].to_dict()}
    assert "config" not in raw and "device" not in raw["run"] and raw["format_version"] == 2
    assert raw["split_sha256"] == split.sha256
    assert raw["hashx_version"] == __version__
    assert DataDims.from_dict(raw["dims"]) == DataDims.from_dataset(ds)
    assert set(raw["encoder"]) == {"image", "text"}
    last = load_checkpoint(out / LAST_CHECKPOINT, kind="training")
    assert set(last["training"]) == {"method", "trainer"}


def test_encoder_round_trip_codes(run):
    ds, split, config, out, path = run
    best, last = load_encoder(path), load_encoder(out / LAST_CHECKPOINT)
    assert best.nbits == config[0].nbits == 16 and best.method == "ssah"
    assert best.run == config[0].resolved(n_fit=split.fit.size) and best.metadata["method_settings"] == config[1].to_dict()
    q = split.query
    for enc in (best, last):
        codes = enc.encode("image", ds.image[q])
        assert codes.dtype == np.uint8 and codes.shape == (q.size, 2)
    # one epoch only: both files hold the same model
    np.testing.assert_array_equal(best.encode("text", ds.text[q]), last.encode("text", ds.text[q]))
    # the codes are the signs of the networks' outputs, packed MSB first
    cont = best.encode_continuous("image", ds.image[q])
    np.testing.assert_array_equal(np.packbits(cont >= 0, axis=1), best.encode("image", ds.image[q]))
    # encoder rebuilt from the file alone equals the trained networks
    state = load_checkpoint(out / LAST_CHECKPOINT)["training"]["method"]
    method = _ssah(ds, split, config)
    method.load_state_dict(state)
    method.train_mode(False)
    with torch.no_grad():
        direct = method.image_net(torch.from_numpy(ds.image[q])).code.numpy()
    np.testing.assert_allclose(last.encode_continuous("image", ds.image[q]), direct, rtol=0, atol=0)


def test_training_state_round_trip(run, tmp_path):
    ds, split, config, out, path = run
    state = load_checkpoint(out / LAST_CHECKPOINT)["training"]["method"]
    method = _ssah(ds, split, config)
    method.load_state_dict(state)
    again = method.state_dict()
    save_checkpoint(tmp_path / "x.pt", {"kind": "training", "run": config[0].to_dict(), "method": {}, "dims": {},
                                        "split_sha256": "", "epoch": 0, "encoder": {}, "state": again})
    reread = load_checkpoint(tmp_path / "x.pt")["state"]
    for net in ("label", "image", "text"):
        for k, v in state["nets"][net].items():
            assert torch.equal(v, reread["nets"][net][k]), (net, k)
    for k, v in state["buffers"].items():
        assert torch.equal(v, reread["buffers"][k])


def test_corrupted_truncated_and_foreign_files(run, tmp_path):
    *_, path = run
    data = bytearray(path.read_bytes())
    flipped = tmp_path / "flipped.pt"
    middle = data.copy()
    middle[len(middle) // 2] ^= 0xFF  # inside tensor data: only the checksum can notice
    flipped.write_bytes(bytes(middle))
    with pytest.raises(CheckpointError, match="corrupted"):
        load_encoder(flipped)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(bytes(data[: len(data) // 3]))
    with pytest.raises(CheckpointError, match="truncated"):
        load_encoder(truncated)
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError):
        load_encoder(garbage)
    with pytest.raises(CheckpointError, match="does not exist"):
        load_encoder(tmp_path / "missing.pt")
    plain = tmp_path / "plain.pt"
    torch.save({"weights": torch.zeros(3)}, plain)
    with pytest.raises(CheckpointError, match="not a hashx checkpoint"):
        load_encoder(plain)
    with pytest.raises(CheckpointError, match="'training'"):
        load_checkpoint(path, kind="training")


def test_pickled_objects_are_refused(tmp_path):
    evil = tmp_path / "evil.pt"
    torch.save({"format": "hashx-checkpoint", "payload": Unsafe()}, evil, pickle_module=pickle)
    with pytest.raises(CheckpointError, match="cannot be read"):
        load_checkpoint(evil)


def test_newer_format_version_is_refused(run, tmp_path):
    *_, path = run
    ckpt = torch.load(path, weights_only=True)
    ckpt["format_version"] = 99
    torch.save(ckpt, tmp_path / "new.pt")
    with pytest.raises(CheckpointError, match="format version 99"):
        load_checkpoint(tmp_path / "new.pt")


def test_resume_refuses_other_config_split_or_existing_dir(run):
    ds, split, config, out, path = run
    with pytest.raises(CheckpointError, match="run config differs.*nbits"):
        run_tiny(ds, split, out, tiny_config(epochs=1, nbits=32), resume=True)
    with pytest.raises(CheckpointError, match="method settings differs.*alignment"):
        run_tiny(ds, split, out, tiny_config(epochs=1, alignment="grl"), resume=True)
    with pytest.raises(CheckpointError, match="another split"):
        run_tiny(ds, tiny_split(seed=1), out, config, resume=True)
    with pytest.raises(HashxValueError, match="already holds a run"):
        run_tiny(ds, split, out, config)


def test_format1_checkpoint_of_hashx_0_1_still_encodes_bit_for_bit():
    ds, split = tiny_dataset(), tiny_split()
    raw = torch.load(LEGACY / "ssah-format1-model.pt", weights_only=True)
    assert raw["format_version"] == 1 and "config" in raw and raw["config"]["device"] == "cpu"
    enc = load_encoder(LEGACY / "ssah-format1-model.pt")
    expected = np.load(LEGACY / "ssah-format1-codes.npz")
    np.testing.assert_array_equal(enc.encode("image", ds.image[split.query]), expected["image"])
    np.testing.assert_array_equal(enc.encode("text", ds.text[split.query]), expected["text"])
    assert enc.method == "ssah" and enc.nbits == 16 and enc.run.epochs == 3
    assert enc.metadata["method_settings"]["alignment"] == "gan" and "device" not in enc.metadata["method_settings"]
    assert enc.metadata["method_settings"]["align_to"] == "label"  # hashx 0.1 aligned with the label features


def test_format1_training_checkpoint_is_refused_for_resume_with_advice(run, tmp_path):
    ds, split, config, out, path = run
    ckpt = load_checkpoint(out / LAST_CHECKPOINT)
    old = {k: v for k, v in ckpt.items() if k not in ("run", "method", "checksum", "format", "hashx_version")}
    old.update(format_version=1, config={**ckpt["run"], **ckpt["method"]["settings"], "device": "cpu"})
    (tmp_path / "old").mkdir()
    save_checkpoint(tmp_path / "old" / LAST_CHECKPOINT, old)
    with pytest.raises(CheckpointError, match="format 1.*still encodes.*start a new run"):
        run_tiny(ds, split, tmp_path / "old", config, resume=True)


def test_resume_after_a_kill_inside_the_first_epoch_starts_afresh(tmp_path):
    # Killed after model-best.pt was written and before checkpoint-last.pt: resume must not dead-end.
    ds, split = tiny_dataset(), tiny_split()
    straight = run_tiny(ds, split, tmp_path / "straight", tiny_config(epochs=2))
    (tmp_path / "killed").mkdir()
    (tmp_path / "killed" / BEST_MODEL).write_bytes(straight.best_checkpoint.read_bytes())
    (tmp_path / "killed" / f".{LAST_CHECKPOINT}.abc123.tmp").write_bytes(b"half a checkpoint")
    resumed = run_tiny(ds, split, tmp_path / "killed", tiny_config(epochs=2), resume=True)
    assert [h["epoch"] for h in resumed.history] == [0, 1]
    assert not list((tmp_path / "killed").glob("*.tmp"))  # the orphan temporary file is gone
    q = split.query
    a, b = load_encoder(straight.best_checkpoint), load_encoder(resumed.best_checkpoint)
    np.testing.assert_array_equal(a.encode("image", ds.image[q]), b.encode("image", ds.image[q]))


def test_encoder_validates_its_input(run):
    ds, split, config, out, path = run
    enc = load_encoder(path)
    with pytest.raises(HashxValueError, match="'modality'"):
        enc.encode("audio", ds.text)
    with pytest.raises(HashxValueError, match=r"shape \(n, 12\)"):
        enc.encode("text", ds.text[:, :5])
    with pytest.raises(HashxTypeError, match="'data'"):
        enc.encode("image", ds.image.tolist())
    bad = ds.image[:3].copy()
    bad[0, 0] = np.nan
    with pytest.raises(HashxValueError, match="NaN"):
        enc.encode("image", bad)
    with pytest.raises(HashxTypeError, match="'batch_size'"):
        enc.encode("text", ds.text, batch_size=2.5)
    np.testing.assert_array_equal(enc.encode("text", sp.csr_matrix(ds.text)), enc.encode("text", ds.text))
    np.testing.assert_array_equal(enc.encode("text", ds.text, batch_size=7), enc.encode("text", ds.text))
    assert enc.encode("text", ds.text[:0]).shape == (0, 2)


def test_train_validates_arguments(tmp_path):
    ds, split = tiny_dataset(), tiny_split()
    with pytest.raises(HashxTypeError, match="'method'"):
        train(ds, split, tmp_path, method={"nbits": 16})
    with pytest.raises(HashxTypeError, match="'run'"):
        train(ds, split, tmp_path, method=SSAHSettings(), run={"nbits": 16})
    with pytest.raises(HashxValueError, match="'run'.*names method 'dcmh'"):
        train(ds, split, tmp_path, method=SSAHSettings(), run=RunConfig(method="dcmh"))
    with pytest.raises(HashxTypeError, match="'dataset'"):
        run_tiny(ds.image, split, tmp_path, tiny_config())
    with pytest.raises(HashxValueError, match="'split'"):
        run_tiny(tiny_dataset(n=40), split, tmp_path, tiny_config())
    if not torch.cuda.is_available():
        with pytest.raises(HashxValueError, match="CUDA"):
            run_tiny(ds, split, tmp_path, tiny_config(), device="cuda")
