"""epochs="auto": a plan from the training-set size, extended while validation MAP still rises, capped."""

from __future__ import annotations

import pytest
import torch

import hashx.train.trainer as trainer_module
from hashx.exceptions import HashxValueError
from hashx.train import LAST_CHECKPOINT, RunConfig, lr_factor, load_checkpoint
from hashx.train.run_config import auto_epochs, auto_patience
from ssah_testing import run_tiny, tiny_config, tiny_dataset, tiny_split

torch.set_num_threads(2)


class Killed(Exception):
    pass


def test_auto_epochs_and_patience_follow_the_training_set_size():
    assert auto_epochs(1956, 128, 300) == 125  # 16 steps an epoch, about 2,000 steps
    assert auto_epochs(1226, 128, 300) == 200
    assert auto_epochs(9000, 128, 300) == 30 and auto_epochs(200_000, 128, 300) == 30  # at least 30
    assert auto_epochs(52, 16, 300) == 300 and auto_epochs(52, 16, 12) == 12  # the cap
    assert auto_patience(125, 1) == 31 and auto_patience(30, 1) == 10 and auto_patience(188, 4) == 11
    run = RunConfig(epochs="auto", patience="auto").resolved(n_fit=1956)
    assert (run.epochs, run.patience) == (125, 31) and not run.adaptive
    assert RunConfig(epochs=7, patience=None).resolved(n_fit=10) == RunConfig(epochs=7, patience=None)
    with pytest.raises(HashxValueError, match="'max_epochs'"):
        RunConfig(max_epochs=0)


def test_lr_stays_at_its_floor_after_the_plan():
    run = RunConfig(epochs=10, lr_min_factor=0.2)
    assert lr_factor(run, 9) == pytest.approx(0.2) and lr_factor(run, 15) == pytest.approx(0.2)


def _scripted(monkeypatch, scores):
    """Replace validation by a scripted sequence of scores (one per evaluation)."""
    calls = iter(scores)
    monkeypatch.setattr(trainer_module._Validator, "__call__", lambda self, method: (next(calls),) * 2)


def _auto(monkeypatch, plan, **changes):
    monkeypatch.setattr("hashx.train.run_config.AUTO_TARGET_STEPS", plan * 4)  # 52 fit items / 16 = 4 steps
    monkeypatch.setattr("hashx.train.run_config.AUTO_MIN_EPOCHS", 1)
    return tiny_config(epochs="auto", **changes)


def test_a_rising_curve_extends_the_plan_up_to_the_cap(monkeypatch, tmp_path):
    _scripted(monkeypatch, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    reports = []
    result = run_tiny(tiny_dataset(), tiny_split(), tmp_path, _auto(monkeypatch, 2, patience=2, max_epochs=6),
                      progress=reports.append)
    assert [r.epoch for r in reports] == [0, 1, 2, 3, 4, 5]  # 2 planned, +2, +2, then the cap
    assert [r.epochs for r in reports] == [2, 4, 4, 6, 6, 6]
    assert result.run.epochs == 2 and result.best_epoch == 5 and not result.stopped_early


def test_a_curve_that_stops_rising_is_not_extended_and_patience_ends_it(monkeypatch, tmp_path):
    _scripted(monkeypatch, [0.3, 0.2, 0.1])
    reports = []
    run_tiny(tiny_dataset(), tiny_split(), tmp_path / "a", _auto(monkeypatch, 3, patience=5, max_epochs=20),
             progress=reports.append)
    assert [r.epoch for r in reports] == [0, 1, 2]  # the last evaluation set no new best
    _scripted(monkeypatch, [0.3, 0.2, 0.1, 0.5])
    reports = []
    result = run_tiny(tiny_dataset(), tiny_split(), tmp_path / "b", _auto(monkeypatch, 6, patience=2, max_epochs=20),
                      progress=reports.append)
    assert [r.epoch for r in reports] == [0, 1, 2] and reports[-1].stopping and result.stopped_early


def test_explicit_epochs_are_never_extended(monkeypatch, tmp_path):
    _scripted(monkeypatch, [0.1, 0.2, 0.3])
    reports = []
    run_tiny(tiny_dataset(), tiny_split(), tmp_path, tiny_config(epochs=3, max_epochs=20), progress=reports.append)
    assert [r.epoch for r in reports] == [0, 1, 2]


def test_an_extended_run_resumes_with_its_plan(monkeypatch, tmp_path):
    scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    config = _auto(monkeypatch, 2, patience=2, max_epochs=6)

    def kill(report):
        if report.epoch == 2:
            raise Killed

    _scripted(monkeypatch, scores)
    with pytest.raises(Killed):
        run_tiny(tiny_dataset(), tiny_split(), tmp_path, config, progress=kill)
    assert load_checkpoint(tmp_path / LAST_CHECKPOINT)["training"]["trainer"]["plan"] == 4
    _scripted(monkeypatch, scores[3:])
    seen = []
    result = run_tiny(tiny_dataset(), tiny_split(), tmp_path, config, resume=True, progress=seen.append)
    assert [r.epoch for r in seen] == [3, 4, 5] and result.best_epoch == 5
