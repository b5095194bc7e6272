"""Checkpoint round trip, weights-only loading, corrupted and mismatched checkpoints, the encoder."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from hashx._version import __version__
from hashx.exceptions import CheckpointError, HashxTypeError, HashxValueError
from hashx.methods import SSAH
from hashx.train import (
    BEST_MODEL,
    LAST_CHECKPOINT,
    DataDims,
    load_checkpoint,
    load_encoder,
    save_checkpoint,
    train,
)
from ssah_testing import tiny_config, tiny_dataset, tiny_split

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    ds, split, config = tiny_dataset(), tiny_split(), tiny_config(epochs=1)
    path = train(ds, split, config, out)
    return ds, split, config, out, path


class Unsafe:
    pass


def test_train_writes_both_files_with_everything_needed(run):
    ds, split, config, out, path = run
    assert path == out / BEST_MODEL and (out / LAST_CHECKPOINT).is_file()
    raw = torch.load(path, weights_only=True)  # plain weights-only torch file
    assert raw["format"] == "hashx-checkpoint" and raw["kind"] == "model"
    assert raw["config"] == config.to_dict()
    assert raw["split_sha256"] == split.sha256
    assert raw["hashx_version"] == __version__
    assert DataDims.from_dict(raw["dims"]) == DataDims.from_dataset(ds)
    assert set(raw["encoder"]) == {"image", "text"}
    last = load_checkpoint(out / LAST_CHECKPOINT, kind="training")
    assert set(last["training"]) == {"method", "trainer"}


def test_encoder_round_trip_codes(run):
    ds, split, config, out, path = run
    best, last = load_encoder(path), load_encoder(out / LAST_CHECKPOINT)
    assert best.nbits == config.nbits == 16
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
    method = SSAH(config, DataDims.from_dataset(ds), device=torch.device("cpu"))
    method.load_state_dict(state)
    method.train_mode(False)
    with torch.no_grad():
        direct = method.image_net(torch.from_numpy(ds.image[q])).code.numpy()
    np.testing.assert_allclose(last.encode_continuous("image", ds.image[q]), direct, rtol=0, atol=0)


def test_training_state_round_trip(run, tmp_path):
    ds, split, config, out, path = run
    state = load_checkpoint(out / LAST_CHECKPOINT)["training"]["method"]
    method = SSAH(config, DataDims.from_dataset(ds), device=torch.device("cpu"))
    method.load_state_dict(state)
    again = method.state_dict()
    save_checkpoint(tmp_path / "x.pt", {"kind": "training", "config": config.to_dict(), "dims": {},
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
    with pytest.raises(CheckpointError, match="nbits"):
        train(ds, split, config.replace(nbits=32), out, resume=True)
    with pytest.raises(CheckpointError, match="another split"):
        train(ds, tiny_split(seed=1), config, out, resume=True)
    with pytest.raises(HashxValueError, match="already holds a run"):
        train(ds, split, config, out)


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
    with pytest.raises(HashxTypeError, match="'config'"):
        train(ds, split, {"nbits": 16}, tmp_path)
    with pytest.raises(HashxTypeError, match="'dataset'"):
        train(ds.image, split, tiny_config(), tmp_path)
    with pytest.raises(HashxValueError, match="'split'"):
        train(tiny_dataset(n=40), split, tiny_config(), tmp_path)
    if not torch.cuda.is_available():
        with pytest.raises(HashxValueError, match="CUDA"):
            train(ds, split, tiny_config(device="cuda"), tmp_path)
