"""The trainer contract, for every registered method: fresh run, checkpoint, exact resume, encoding
from the checkpoint alone, same seed same bits."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from hashx.methods import configure, list_methods
from hashx.train import LAST_CHECKPOINT, load_checkpoint, load_encoder, train
from method_testing import TINY_RUN, TINY_SETTINGS, all_tensors
from ssah_testing import tiny_dataset, tiny_split

torch.set_num_threads(2)


class Killed(Exception):
    pass


def _setup(method, **changes):
    values = {**TINY_RUN, **{f"{method}.{k}": v for k, v in TINY_SETTINGS[method].items()}, **changes}
    return configure(method, values)


def _train(method, out, *, progress=None, resume=False, **changes):
    run, settings = _setup(method, **changes)
    ds, split = tiny_dataset(), tiny_split()
    return train(ds, split, out, method=settings, run=run, progress=progress, resume=resume)


def _codes(result):
    ds, split = tiny_dataset(), tiny_split()
    enc = load_encoder(result.best_checkpoint)
    return enc.encode("image", ds.image[split.query]), enc.encode("text", ds.text[split.query])


def test_every_registered_method_is_covered():
    assert set(list_methods()) == set(TINY_SETTINGS)


@pytest.mark.parametrize("method", list_methods())
def test_contract(method, tmp_path):
    # a fresh run, epoch by epoch, with a checkpoint after each
    reports = []
    straight = _train(method, tmp_path / "straight", progress=reports.append, epochs=3)
    assert [r.epoch for r in reports] == [0, 1, 2]
    assert all(np.isfinite(v) for r in reports for v in r.losses.values())
    assert straight.best_checkpoint.is_file() and straight.last_checkpoint.is_file()
    assert load_checkpoint(straight.best_checkpoint)["method"]["name"] == method

    # killed after one epoch, resumed: identical to the uninterrupted run
    def kill(report):
        if report.epoch == 0:
            raise Killed

    with pytest.raises(Killed):
        _train(method, tmp_path / "resumed", progress=kill, epochs=3)
    resumed = _train(method, tmp_path / "resumed", resume=True, epochs=3)
    a = load_checkpoint(tmp_path / "straight" / LAST_CHECKPOINT)["training"]["method"]
    b = load_checkpoint(tmp_path / "resumed" / LAST_CHECKPOINT)["training"]["method"]
    ta, tb = dict(all_tensors(a)), dict(all_tensors(b))
    assert ta.keys() == tb.keys() and ta
    for key in ta:
        assert torch.equal(ta[key], tb[key]), key
    ca, cb = _codes(straight), _codes(resumed)
    np.testing.assert_array_equal(ca[0], cb[0])
    np.testing.assert_array_equal(ca[1], cb[1])

    # encoding needs the checkpoint alone, and the same seed gives the same bits
    again = _codes(_train(method, tmp_path / "again", epochs=3))
    np.testing.assert_array_equal(ca[0], again[0])
    np.testing.assert_array_equal(ca[1], again[1])
    assert ca[0].shape == (tiny_split().query.size, 2) and ca[0].dtype == np.uint8
    other = _codes(_train(method, tmp_path / "other", epochs=3, seed=1))
    assert not (np.array_equal(ca[0], other[0]) and np.array_equal(ca[1], other[1]))


def test_train_does_not_import_the_methods():
    code = "import sys, hashx.train; print('hashx.methods' in sys.modules, 'hashx.alignment' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
