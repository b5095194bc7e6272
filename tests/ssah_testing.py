"""Tiny seeded datasets, splits and configs for the SSAH / training tests (not a test module)."""

from __future__ import annotations

import numpy as np

from hashx.data.dataset import CrossModalDataset
from hashx.data.split import Split
from hashx.methods import configure
from hashx.train import train


def tiny_dataset(n=96, *, n_labels=5, image_dim=20, text_dim=12, seed=0, raw_images=None) -> CrossModalDataset:
    """Labels with structure, image/text features that carry them (plus noise)."""
    rng = np.random.default_rng(seed)
    labels = (rng.random((n, n_labels)) < 0.3).astype(np.uint8)
    labels[np.arange(n), rng.integers(0, n_labels, n)] = 1
    proj_i = rng.standard_normal((n_labels, image_dim))
    proj_t = rng.random((n_labels, text_dim)) < 0.3
    image = (labels @ proj_i + 0.3 * rng.standard_normal((n, image_dim))).astype(np.float32)
    text = ((labels @ proj_t + (rng.random((n, text_dim)) < 0.05)) > 0).astype(np.float32)
    if raw_images is not None:
        image = raw_images
    return CrossModalDataset(image=image, text=text, labels=labels, name="tiny")


def tiny_split(n=96, *, n_query=16, n_train=64, n_val=12, seed=0) -> Split:
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n)
    query = np.sort(perm[:n_query])
    retrieval = np.sort(perm[n_query:])
    train = np.sort(perm[n_query:n_query + n_train])
    val = np.sort(rng.choice(train, n_val, replace=False))
    return Split(protocol="tiny", seed=seed, query=query, retrieval=retrieval, train=train, val=val)


def tiny_config(**changes):
    """``(RunConfig, SSAHSettings)`` of a tiny, fast SSAH run; ``changes`` may name run or SSAH settings."""
    values = dict(nbits=16, hidden_dim=32, feature_dim=16, epochs=2, batch_size=16, lr_label=1e-3,
                  lr_image=1e-3, lr_text=1e-3, lr_discriminator=1e-3, eval_batch_size=64, seed=0)
    values.update(changes)
    return configure("ssah", values)


def run_tiny(dataset, split, out_dir, config, **kwargs):
    """:func:`hashx.train.train` with a ``(run, settings)`` pair from :func:`tiny_config`."""
    run, method = config
    return train(dataset, split, out_dir, method=method, run=run, **kwargs)


def build_ssah(dataset=None, split=None, *, setup=True, **changes):
    """An :class:`~hashx.methods.SSAH` built for the tiny data, and its :class:`~hashx.train.FitData`."""
    import torch

    from hashx.train import FitData

    dataset = tiny_dataset() if dataset is None else dataset
    split = tiny_split(len(dataset)) if split is None else split
    run, settings = tiny_config(**changes)
    data = FitData(dataset, split.fit, device=torch.device("cpu"))
    method = settings.build(run=run, data=data, device=torch.device("cpu"))
    if setup:
        method.setup(data)
    return method, data
