"""What the four shallow methods share: one epoch sets every hash function and logs finite values, raw images
are refused, only SCRATCH learns per-item codes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hashx.exceptions import HashxValueError
from hashx.models import create_model
from shallow_testing import build
from ssah_testing import tiny_dataset

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
