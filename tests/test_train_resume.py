"""Determinism (same seed -> same codes bit for bit) and kill-and-resume equivalence."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hashx.train import LAST_CHECKPOINT, load_checkpoint, load_encoder
from method_testing import all_tensors
from ssah_testing import run_tiny, tiny_config, tiny_dataset, tiny_split

torch.set_num_threads(2)


class Killed(Exception):
    pass


def _codes(result, ds, rows):
    enc = load_encoder(result.best_checkpoint)
    return enc.encode("image", ds.image[rows]), enc.encode("text", ds.text[rows])


def test_same_seed_same_codes_bit_for_bit(tmp_path):
    ds, split = tiny_dataset(), tiny_split()
    config = tiny_config(epochs=2, alignment="gan")
    a = _codes(run_tiny(ds, split, tmp_path / "a", config), ds, split.query)
    b = _codes(run_tiny(ds, split, tmp_path / "b", config), ds, split.query)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    c = _codes(run_tiny(ds, split, tmp_path / "c", tiny_config(epochs=2, alignment="gan", seed=1)), ds, split.query)
    assert not (np.array_equal(a[0], c[0]) and np.array_equal(a[1], c[1]))


@pytest.mark.parametrize("alignment", ["gan", "grl"])
def test_kill_and_resume_equals_uninterrupted(tmp_path, alignment):
    ds, split = tiny_dataset(), tiny_split()
    config = tiny_config(epochs=3, alignment=alignment)
    straight = run_tiny(ds, split, tmp_path / "straight", config)

    def kill_after_first_epoch(report):
        if report.epoch == 0:
            raise Killed

    with pytest.raises(Killed):
        run_tiny(ds, split, tmp_path / "resumed", config, progress=kill_after_first_epoch)
    assert load_checkpoint(tmp_path / "resumed" / LAST_CHECKPOINT)["epoch"] == 0
    seen = []
    resumed = run_tiny(ds, split, tmp_path / "resumed", config, resume=True, progress=lambda r: seen.append(r.epoch))
    assert seen == [1, 2]

    a = load_checkpoint(tmp_path / "straight" / LAST_CHECKPOINT)
    b = load_checkpoint(tmp_path / "resumed" / LAST_CHECKPOINT)
    ta, tb = dict(all_tensors(a["training"]["method"])), dict(all_tensors(b["training"]["method"]))
    assert ta.keys() == tb.keys() and len(ta) > 10
    for key in ta:
        assert torch.equal(ta[key], tb[key]), key
    strip = [{k: v for k, v in h.items() if k != "seconds"} for h in a["training"]["trainer"]["history"]]
    assert strip == [{k: v for k, v in h.items() if k != "seconds"} for h in b["training"]["trainer"]["history"]]
    ca, cb = _codes(straight, ds, split.query), _codes(resumed, ds, split.query)
    np.testing.assert_array_equal(ca[0], cb[0])
    np.testing.assert_array_equal(ca[1], cb[1])
    # a finished run resumes to a no-op
    again = run_tiny(ds, split, tmp_path / "resumed", config, resume=True, progress=seen.append)
    assert again.best_checkpoint == resumed.best_checkpoint and again.best_epoch == resumed.best_epoch
    assert seen == [1, 2]


def test_model_selection_uses_validation_and_early_stopping(tmp_path):
    ds, split = tiny_dataset(), tiny_split()
    reports = []
    config = tiny_config(epochs=6, patience=1, lr_image=0.3, lr_text=0.3)  # diverging lr: stops early
    result = run_tiny(ds, split, tmp_path, config, progress=reports.append)
    scores = [0.5 * (r.val_map_i2t + r.val_map_t2i) for r in reports]
    best = int(np.argmax(scores))
    assert load_checkpoint(result.best_checkpoint)["epoch"] == reports[-1].best_epoch == best == result.best_epoch
    assert result.best_score == pytest.approx(max(scores))
    assert result.stopped_early == (len(reports) < 6) and len(result.history) == len(reports)
    assert reports[-1].stopping == (len(reports) < 6)
    assert all(r.val_map_i2t is not None for r in reports)
