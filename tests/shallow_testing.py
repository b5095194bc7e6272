"""Helpers for the shallow-method tests (CCA-ITQ, CMFH, SCM-seq, SCRATCH); not a test module."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from hashx.data.dataset import CrossModalDataset
from hashx.methods import configure
from hashx.train import FitData
from ssah_testing import tiny_dataset, tiny_split


def sparse_twin(dataset: CrossModalDataset) -> CrossModalDataset:
    """The same dataset with its text as a scipy CSR matrix."""
    return CrossModalDataset(image=dataset.image, text=sp.csr_matrix(dataset.text), labels=dataset.labels,
                             name=dataset.name)


def build(method: str, dataset=None, split=None, **values):
    """``(method, FitData)``: ``method`` built on the fit items (tiny data by default).

    ``values`` are run or method settings (``nbits``, ``seed``, ``iterations_per_epoch``, ...).
    """
    dataset = tiny_dataset() if dataset is None else dataset
    split = tiny_split(len(dataset)) if split is None else split
    run, settings = configure(method, {"nbits": 16, **values})
    data = FitData(dataset, split.fit, device=torch.device("cpu"))
    built = settings.build(run=run, data=data, device=torch.device("cpu"))
    built.setup(data)
    return built, data


def fit_steps(method, data) -> list:
    """Train epoch by epoch until the method converges; return the logged values of every epoch."""
    logs = []
    epoch = 0
    while not method.converged():
        logs.append(method.train_epoch(epoch, data))
        epoch += 1
        if epoch > 10_000:
            raise RuntimeError("no convergence")
    return logs


def fit_seeds(method: str, *seeds, **values) -> tuple[list, object]:
    """One fitted method per seed (on the same tiny data), and their FitData."""
    fitted = [build(method, seed=seed, **values) for seed in seeds]
    for m, data in fitted:
        fit_steps(m, data)
    return [m for m, _ in fitted], fitted[0][1]


def fit_dense_and_sparse(method: str, **values):
    """The method fitted on the tiny data with dense text and with the same text as CSR.

    Asserts that both give the same codes, image and text, on every item; returns
    ``(dense_fit, sparse_fit)`` for method-specific checks of their factors.
    """
    dense, split = tiny_dataset(), tiny_split()
    a, data_a = build(method, dense, split, **values)
    b, data_b = build(method, sparse_twin(dense), split, **values)
    fit_steps(a, data_a)
    fit_steps(b, data_b)
    for modality, x in (("image", dense.image), ("text", dense.text)):
        np.testing.assert_array_equal(codes(a, x, modality), codes(b, x, modality))
    return a, b


def codes(method, x, modality) -> np.ndarray:
    """+1/-1 codes of rows ``x`` (dense array) by the method's live hash function."""
    with torch.no_grad():
        out = method.nets[modality](torch.as_tensor(np.asarray(x, dtype=np.float32)))
    return np.where(out.code.numpy() >= 0, 1, -1)


def chance_map(labels_q: np.ndarray, labels_db: np.ndarray) -> float:
    """About the MAP of a random ranking: the mean fraction of relevant database items per query.

    On the synthetic set about half the database is relevant to a query; random 32-bit codes score
    within 0.01 of this value (0.515-0.517 over five draws on a 1,200-item set, whose value is 0.512),
    so a margin of a few hundredths is far beyond luck.
    """
    relevant = (labels_q @ labels_db.T) > 0
    return float(relevant.mean(axis=1)[relevant.any(axis=1)].mean())


def synthetic_maps(method: str, **values) -> tuple[float, float, float]:
    """(I->T MAP, T->I MAP, chance MAP) of ``method`` trained on the synthetic protocol (query vs retrieval)."""
    import tempfile

    from hashx.data import load_protocol
    from hashx.metrics import mean_average_precision
    from hashx.train import load_encoder, train

    ds, split = load_protocol("synthetic")
    run, settings = configure(method, {"nbits": 32, "epochs": 1, **values})
    q, db = ds.subset(split.query), ds.subset(split.retrieval)
    with tempfile.TemporaryDirectory() as out:
        enc = load_encoder(train(ds, split, out, method=settings, run=run).best_checkpoint)
        i2t = mean_average_precision(enc.encode("image", q.image), enc.encode("text", db.text), q.labels, db.labels)
        t2i = mean_average_precision(enc.encode("text", q.text), enc.encode("image", db.image), q.labels, db.labels)
    return float(i2t), float(t2i), chance_map(q.labels.astype(float), db.labels.astype(float))


def explicit_centered(x, *, unit_norm=False) -> np.ndarray:
    """The centred (and optionally unit-mean-squared-norm) float64 matrix, built densely: the tests' oracle."""
    x = np.asarray(x.toarray() if sp.issparse(x) else x, dtype=np.float64)
    xc = x - x.mean(axis=0)
    if unit_norm:
        xc *= np.sqrt(x.shape[0] / np.sum(xc ** 2))
    return xc
