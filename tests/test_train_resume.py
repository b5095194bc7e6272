"""Determinism (same seed -> same codes bit for bit) and kill-and-resume equivalence."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hashx.train import LAST_CHECKPOINT, load_checkpoint, load_encoder, train
from ssah_testing import tiny_config, tiny_dataset, tiny_split

torch.set_num_threads(2)


class Killed(Exception):
    pass


def _codes(path, ds, rows):
    enc = load_encoder(path)
    return enc.encode("image", ds.image[rows]), enc.encode("text", ds.text[rows])


def test_same_seed_same_codes_bit_for_bit(tmp_path):
    ds, split = tiny_dataset(), tiny_split()
    config = tiny_config(epochs=2, alignment="gan")
    a = _codes(train(ds, split, config, tmp_path / "a"), ds, split.query)
    b = _codes(train(ds, split, config, tmp_path / "b"), ds, split.query)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    c = _codes(train(ds, split, config.replace(seed=1), tmp_path / "c"), ds, split.query)
    assert not (np.array_equal(a[0], c[0]) and np.array_equal(a[1], c[1]))


def _all_tensors(obj, prefix=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _all_tensors(v, f"{prefix}/{k}")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _all_tensors(v, f"{prefix}/{i}")
    elif isinstance(obj, torch.Tensor):
        yield prefix, obj


@pytest.mark.parametrize("alignment", ["gan", "grl"])
def test_kill_and_resume_equals_uninterrupted(tmp_path, alignment):
    ds, split = tiny_dataset(), tiny_split()
    config = tiny_config(epochs=3, alignment=alignment)
    straight = train(ds, split, config, tmp_path / "straight")

    def kill_after_first_epoch(report):
        if report.epoch == 0:
            raise Killed

    with pytest.raises(Killed):
        train(ds, split, config, tmp_path / "resumed", progress=kill_after_first_epoch)
    assert load_checkpoint(tmp_path / "resumed" / LAST_CHECKPOINT)["epoch"] == 0
    seen = []
    resumed = train(ds, split, config, tmp_path / "resumed", resume=True, progress=lambda r: seen.append(r.epoch))
    assert seen == [1, 2]

    a = load_checkpoint(tmp_path / "straight" / LAST_CHECKPOINT)
    b = load_checkpoint(tmp_path / "resumed" / LAST_CHECKPOINT)
    ta, tb = dict(_all_tensors(a["training"]["method"])), dict(_all_tensors(b["training"]["method"]))
    assert ta.keys() == tb.keys() and len(ta) > 10
    for key in ta:
        assert torch.equal(ta[key], tb[key]), key
    strip = [{k: v for k, v in h.items() if k != "seconds"} for h in a["training"]["trainer"]["history"]]
    assert strip == [{k: v for k, v in h.items() if k != "seconds"} for h in b["training"]["trainer"]["history"]]
    ca, cb = _codes(straight, ds, split.query), _codes(resumed, ds, split.query)
    np.testing.assert_array_equal(ca[0], cb[0])
    np.testing.assert_array_equal(ca[1], cb[1])
    # a finished run resumes to a no-op
    assert train(ds, split, config, tmp_path / "resumed", resume=True, progress=seen.append) == resumed
    assert seen == [1, 2]


def test_model_selection_uses_validation_and_early_stopping(tmp_path):
    ds, split = tiny_dataset(), tiny_split()
    reports = []
    config = tiny_config(epochs=6, patience=1, lr_image=0.3, lr_text=0.3)  # diverging lr: stops early
    path = train(ds, split, config, tmp_path, progress=reports.append)
    scores = [0.5 * (r.val_map_i2t + r.val_map_t2i) for r in reports]
    best = int(np.argmax(scores))
    assert load_checkpoint(path)["epoch"] == reports[-1].best_epoch == best
    assert reports[-1].stopping == (len(reports) < 6)
    assert all(r.val_map_i2t is not None for r in reports)
