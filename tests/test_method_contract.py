"""The trainer contract, for every registered method: fresh run, checkpoint, exact resume, encoding
from the checkpoint alone, same seed same bits; and data-parallel training under 2 gloo workers (or, for a
method that cannot distribute, the trainer's refusal)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from dist_testing import query_maps, run_workers, train_each_worker
from hashx.exceptions import HashxValueError
from hashx.methods import configure, get_method, list_methods
from hashx.train import LAST_CHECKPOINT, Distribution, load_checkpoint, load_encoder, train
from method_testing import SEED_INDEPENDENT, TINY_RUN, TINY_SETTINGS, all_tensors
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
    assert 1 <= len(reports) <= 3 and [r.epoch for r in reports] == list(range(len(reports)))
    # fewer epochs only when the method converged (a closed form fits in epoch 0): the run ends there
    assert len(reports) == 3 or (straight.stopped_early and len(reports) == len(straight.history))
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
    same = np.array_equal(ca[0], other[0]) and np.array_equal(ca[1], other[1])
    assert same == (method in SEED_INDEPENDENT)  # the seed is used, unless the method has no randomness


#: The distributed case's run: 64 fit items in batches of 21 make parts of 10 and 11 items (unequal shard
#: weights) and a last batch of one item (an empty part: rank 0 runs a stand-in item of weight 0).
DIST_RUN = {**TINY_RUN, "epochs": 2, "batch_size": 21}
DISTRIBUTED = [m for m in list_methods() if get_method(m).supports_distribution]


@pytest.fixture(scope="module")
def two_worker_runs(tmp_path_factory):
    """Every distributable method trained by one launch of 2 gloo workers: ``out/<method>``."""
    out = tmp_path_factory.mktemp("two-workers")
    run_workers(train_each_worker, 2, str(out), DISTRIBUTED, DIST_RUN)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("method", list_methods())
def test_distributed_contract(method, tmp_path, request):
    if not get_method(method).supports_distribution:
        # a method that cannot train data-parallel is refused before any collective call
        run, settings = _setup(method, **DIST_RUN)
        with pytest.raises(HashxValueError, match="does not support distributed training"):
            train(tiny_dataset(), tiny_split(), tmp_path, method=settings, run=run,
                  distribution=Distribution(rank=0, world_size=2))
        return
    ddp_dir = request.getfixturevalue("two_worker_runs") / method
    single = _train(method, tmp_path / "single", **DIST_RUN)
    ddp = json.loads((ddp_dir / "result.json").read_text())
    # the same global batches and objective: the loss curves agree up to float summation order
    assert len(ddp["history"]) == len(single.history) == DIST_RUN["epochs"]
    for a, b in zip(single.history, ddp["history"]):
        assert a["losses"].keys() == b["losses"].keys()
        for name in a["losses"]:
            assert b["losses"][name] == pytest.approx(a["losses"][name], rel=1e-3, abs=1e-5), (a["epoch"], name)
    # rank 0 wrote checkpoints that load and encode, and retrieve as well as the single process's
    ddp_state = load_checkpoint(ddp_dir / LAST_CHECKPOINT)
    assert ddp_state["method"]["name"] == method
    # the whole training state (networks, optimisers, per-item state) is the single process's, up to float order
    ta = dict(all_tensors(load_checkpoint(single.last_checkpoint)["training"]["method"]))
    tb = dict(all_tensors(ddp_state["training"]["method"]))
    assert ta.keys() == tb.keys() and ta
    for key in ta:
        torch.testing.assert_close(tb[key], ta[key], rtol=1e-3, atol=1e-4, msg=key)
    assert not list(ddp_dir.glob(".*.tmp"))
    for x, y in zip(query_maps(single.best_checkpoint), query_maps(ddp_dir / "model-best.pt")):
        assert abs(x - y) <= 0.01, (x, y)


def test_a_method_that_cannot_distribute_is_refused(tmp_path):
    # the refusal branch of test_distributed_contract, for a method class that declares it
    run, settings = _setup("dcmh")

    class OneProcessDCMH(get_method("dcmh")):
        supports_distribution = False

    class OneProcessSettings(type(settings)):
        method_class = OneProcessDCMH

    local = OneProcessSettings(**settings.to_dict())
    with pytest.raises(HashxValueError, match="does not support distributed training"):
        train(tiny_dataset(), tiny_split(), tmp_path, method=local, run=run,
              distribution=Distribution(rank=0, world_size=2))
    assert not list(tmp_path.iterdir())  # refused before anything was written


def test_train_does_not_import_the_methods():
    code = "import sys, hashx.train; print('hashx.methods' in sys.modules, 'hashx.alignment' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
