"""The raw-image path: CNN-F initialised from a (generated) imagenet-vgg-f.mat trains one epoch."""

from __future__ import annotations

import math

import numpy as np
import torch

from data_builders import write_vggf
from hashx.data.dataset import CrossModalDataset
from hashx.train import load_encoder
from ssah_testing import build_ssah, run_tiny, tiny_config, tiny_split

torch.set_num_threads(2)


def _raw_dataset(n=40, seed=0):
    rng = np.random.default_rng(seed)
    labels = (rng.random((n, 4)) < 0.4).astype(np.uint8)
    labels[np.arange(n), rng.integers(0, 4, n)] = 1
    colours = rng.integers(0, 256, (4, 3))
    images = rng.integers(0, 60, (n, 224, 224, 3)).astype(np.int64)
    for i in range(n):  # each label paints a block of the image in its colour
        for lab in np.flatnonzero(labels[i]):
            images[i, 56 * lab:56 * (lab + 1), :112] += colours[lab]
    images = np.clip(images, 0, 255).astype(np.uint8)
    text = (labels @ (rng.random((4, 9)) < 0.4) > 0).astype(np.float32)
    return CrossModalDataset(image=images, text=text, labels=labels, name="tiny-raw")


def test_cnnf_weights_come_from_the_file(tmp_path):
    written = write_vggf(tmp_path / "vggf.mat", seed=3)
    ds = _raw_dataset(n=8)
    method, _ = build_ssah(ds, tiny_split(n=8, n_query=2, n_train=6, n_val=1), setup=False,
                           vggf_path=str(tmp_path / "vggf.mat"))
    trunk = method.image_net.trunk
    conv1 = written["filters"]["conv1"].transpose(3, 2, 0, 1)
    np.testing.assert_array_equal(trunk.convs[0].weight.detach().numpy(), conv1)
    fc6 = written["filters"]["fc6"].transpose(3, 2, 0, 1).reshape(trunk.fc6.weight.shape[0], -1)
    np.testing.assert_array_equal(trunk.fc6.weight.detach().numpy(), fc6)
    np.testing.assert_array_equal(method.image_net.mean_image.numpy(),
                                  written["average_image"].transpose(2, 0, 1))
    assert method.encoder_spec()["image"]["name"] == "image_cnnf"
    assert method.encoder_spec()["image"]["kwargs"]["channels"] == (4, 6, 6, 6, 5)


def test_raw_images_train_one_epoch_and_encode(tmp_path):
    write_vggf(tmp_path / "vggf.mat", seed=1, widths=(4, 6, 6, 6, 5, 16, 16, 7))
    ds = _raw_dataset()
    split = tiny_split(n=40, n_query=8, n_train=28, n_val=6)
    reports = []
    config = tiny_config(epochs=1, vggf_path=str(tmp_path / "vggf.mat"), batch_size=8, eval_batch_size=8)
    path = run_tiny(ds, split, tmp_path / "run", config, progress=reports.append).best_checkpoint
    assert len(reports) == 1
    assert all(math.isfinite(v) for v in reports[0].losses.values()), reports[0].losses
    assert "image/pair_hash" in reports[0].losses
    enc = load_encoder(path)  # rebuilt without the .mat file
    (tmp_path / "vggf.mat").unlink()
    codes = load_encoder(path).encode("image", ds.image[split.query], batch_size=3)
    assert codes.shape == (8, 2) and codes.dtype == np.uint8
    np.testing.assert_array_equal(codes, enc.encode("image", ds.image[split.query]))
    assert enc.encode("text", ds.text[split.query]).shape == (8, 2)
