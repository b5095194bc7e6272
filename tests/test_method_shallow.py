"""What the four shallow methods share: one epoch sets every hash function and logs finite values, raw images
are refused, only SCRATCH learns per-item codes, several processes are refused with a one-line error."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from hashx.exceptions import HashxValueError
from hashx.methods import configure
from hashx.models import create_model
from hashx.train import check_distributable, train
from hashx_cli.main import cli
from shallow_testing import build
from ssah_testing import tiny_dataset, tiny_split

torch.set_num_threads(2)

SHALLOW = ("cca-itq", "cmfh", "scm-seq", "scratch")


@pytest.mark.parametrize("method", SHALLOW)
def test_one_epoch_sets_every_hash_function_and_logs_finite_values(method):
    built, data = build(method, **({"n_anchors": 20} if method == "scratch" else {}))
    fresh = {m: create_model(s["name"], **s["kwargs"]).state_dict() for m, s in built.encoder_spec().items()}
    logs = built.train_epoch(0, data)
    assert logs and all(np.isfinite(v) for v in logs.values())
    assert built.converged()  # iterations_per_epoch=None: the whole fit in the first epoch
    for modality, net in built.encoder_nets().items():
        for name, value in net.state_dict().items():
            assert not torch.equal(value, fresh[modality][name]), (method, modality, name)
    assert all(torch.isfinite(t).all() for t in built.factors.values() if t.is_floating_point())


@pytest.mark.parametrize("method", SHALLOW)
def test_raw_images_are_refused_with_a_clear_error(method):
    raw = np.zeros((96, 8, 8, 3), dtype=np.uint8)
    with pytest.raises(HashxValueError, match="feature vectors"):
        build(method, tiny_dataset(raw_images=raw))


@pytest.mark.parametrize("method", SHALLOW)
def test_only_scratch_learns_per_item_codes(method):
    built, data = build(method, **({"n_anchors": 20} if method == "scratch" else {}))
    built.train_epoch(0, data)
    assert (built.learned_codes() is not None) == (method == "scratch")


@pytest.mark.parametrize("method", SHALLOW)
def test_several_processes_are_refused_before_any_worker_starts(method, tmp_path):
    run, settings = configure(method, {"nbits": 16, "epochs": 1})
    check_distributable(settings, 1)  # one process is fine
    with pytest.raises(HashxValueError, match=f"{method!r} does not support distributed training"):
        check_distributable(settings, 2)
    for command in (["train", "--method", method], ["bench", "--methods", f"ssah,{method}", "--seeds", "1"]):
        result = CliRunner().invoke(cli, [*command, "--dataset", "synthetic", "--bits", "16", "--epochs", "1",
                                          "--nproc", "2", "--out", str(tmp_path / "out")])
        assert result.exit_code == 1, result.output
        assert result.output.startswith("Error: ") and "does not support distributed training" in result.output
        assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
        assert not (tmp_path / "out").exists()  # refused before any worker or file


def test_the_trainer_refuses_a_distribution_for_a_shallow_method(tmp_path):
    class TwoRanks:  # only what the trainer reads before it refuses
        world_size, active, is_main = 2, True, True

    run, settings = configure("cca-itq", {"nbits": 16, "epochs": 1})
    with pytest.raises(HashxValueError, match="does not support distributed training"):
        train(tiny_dataset(), tiny_split(), tmp_path / "run", method=settings, run=run, distribution=TwoRanks())
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("method", ["scm-seq", "cmfh"])
def test_a_converged_fit_ends_the_run_before_its_planned_epochs(method, tmp_path):
    run, settings = configure(method, {"nbits": 16, "epochs": 5, "seed": 0})
    result = train(tiny_dataset(), tiny_split(), tmp_path / "run", method=settings, run=run)
    assert [h["epoch"] for h in result.history] == [0]  # the whole fit in epoch 0, no idle epochs 1..4
    assert result.best_epoch == 0 and result.stopped_early
