"""CSQ: hash centres (Hadamard and random), item centres, its loss terms by hand, the method's state."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from hashx.exceptions import HashxValueError
from hashx.losses import CentralSimilarityLoss, MagnitudeQuantization, hash_centers, item_centers, tie_breaker
from hashx.losses.hash_centers import hadamard_centers, min_center_distance, random_centers
from hashx.methods import CSQ, CSQSettings, get_method, list_methods
from method_testing import build_method
from ssah_testing import tiny_dataset

torch.set_num_threads(2)


def _hamming(a, b):
    return sum(x != y for x, y in zip(a, b))


def test_registered():
    assert "csq" in list_methods() and get_method("csq") is CSQ
    assert CSQSettings.method_class is CSQ


@pytest.mark.parametrize("nbits", [8, 16, 32])
def test_hadamard_centres_are_pm1_and_half_the_bits_apart(nbits):
    c = hadamard_centers(nbits, nbits)
    assert c.dtype == np.float32 and set(np.unique(c)) == {-1.0, 1.0}
    for i, j in itertools.combinations(range(nbits), 2):
        assert _hamming(c[i], c[j]) == nbits // 2, (i, j)
    both = hadamard_centers(2 * nbits, nbits)  # then the negations: K/2 apart, except from one's own negation
    np.testing.assert_array_equal(both[:nbits], c)
    np.testing.assert_array_equal(both[nbits:], -c)
    for i, j in itertools.combinations(range(2 * nbits), 2):
        assert _hamming(both[i], both[j]) == (nbits if j == i + nbits else nbits // 2), (i, j)


def test_hadamard_refuses_what_it_cannot_build():
    with pytest.raises(HashxValueError, match="power of two"):
        hadamard_centers(4, 24)
    with pytest.raises(HashxValueError, match="2 \\* nbits"):
        hadamard_centers(33, 16)


def _random_centers_reference(n_centers, nbits, seed, candidates):
    """The max-min rule written out with loops, on the same random stream."""
    rng = np.random.default_rng([seed, 0xC5A])
    balanced = np.tile(np.repeat(np.array([1.0, -1.0], dtype=np.float32), nbits // 2), (candidates, 1))
    chosen = []
    for i in range(n_centers):
        draws = rng.permuted(balanced, axis=1)
        best, best_distance = None, -1
        for cand in draws:
            nearest = min((_hamming(cand, c) for c in chosen), default=nbits)
            if nearest > best_distance:
                best, best_distance = cand, nearest
        chosen.append(best)
    return np.array(chosen)


def test_random_centres_follow_the_max_min_rule_and_are_reproducible():
    c = random_centers(12, 16, seed=3, candidates=20)
    np.testing.assert_array_equal(c, _random_centers_reference(12, 16, 3, 20))
    assert c.dtype == np.float32 and set(np.unique(c)) == {-1.0, 1.0}
    assert np.all(c.sum(axis=1) == 0)  # balanced: K/2 bits -1
    np.testing.assert_array_equal(c, random_centers(12, 16, seed=3, candidates=20))
    assert not np.array_equal(c, random_centers(12, 16, seed=4, candidates=20))
    # the rule beats plain draws: many labels on few bits keep a positive distance
    many = random_centers(100, 16, seed=0)
    assert min_center_distance(many) >= 4
    plain = np.random.default_rng(0).permuted(np.tile(np.repeat([1.0, -1.0], 8), (100, 1)), axis=1)
    assert min_center_distance(many) > min_center_distance(plain)


def test_centre_kind_is_chosen_from_bits_and_labels():
    assert hash_centers(20, 16)[1] == "hadamard"
    assert hash_centers(32, 16)[1] == "hadamard"
    assert hash_centers(33, 16)[1] == "random"
    assert hash_centers(10, 24)[1] == "random"
    assert hash_centers(5, 16, kind="random", seed=1)[1] == "random"
    with pytest.raises(HashxValueError, match="'kind'"):
        hash_centers(5, 16, kind="bernoulli")


def test_tie_breaker_is_seeded_pm1():
    t = tie_breaker(64, seed=5)
    assert t.shape == (64,) and set(np.unique(t)) == {-1.0, 1.0}
    np.testing.assert_array_equal(t, tie_breaker(64, seed=5))
    assert not np.array_equal(t, tie_breaker(64, seed=6))


def test_item_centres_by_hand():
    centers = torch.tensor([[1.0, 1.0, 1.0, 1.0], [1.0, -1.0, 1.0, -1.0], [1.0, 1.0, -1.0, -1.0]])
    tie = torch.tensor([-1.0, 1.0, -1.0, -1.0])
    labels = torch.tensor([[0.0, 1.0, 0.0],   # one label: its centre
                           [1.0, 1.0, 0.0],   # mean (1, 0, 1, 0): ties on bits 1 and 3
                           [1.0, 1.0, 1.0],   # mean (1, 1/3, 1/3, -1/3)
                           [0.0, 0.0, 0.0]])  # no label
    targets, has_label = item_centers(labels, centers, tie)
    assert targets.tolist() == [[1, -1, 1, -1], [1, 1, 1, -1], [1, 1, 1, -1], [-1, 1, -1, -1]]
    assert has_label.tolist() == [True, True, True, False]


def test_central_similarity_by_hand():
    code = torch.tensor([[0.5, -0.5], [0.0, 0.8], [0.9, 0.9]])
    centers = torch.tensor([[1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]])
    # p = (h + 1) / 2, t = (c + 1) / 2; BCE = -log p where t = 1, -log(1 - p) where t = 0
    rows = [[-math.log(0.75), -math.log(1 - 0.25)], [-math.log(1 - 0.5), -math.log(0.9)],
            [-math.log(0.95), -math.log(0.95)]]
    loss = CentralSimilarityLoss()
    assert loss(code, centers).item() == pytest.approx(sum(map(sum, rows)) / 6, rel=1e-6)
    mask = torch.tensor([True, False, True])
    assert loss(code, centers, mask).item() == pytest.approx((sum(rows[0]) + sum(rows[2])) / 4, rel=1e-6)
    none = loss(code.requires_grad_(True), centers, torch.zeros(3, dtype=torch.bool))
    assert none.item() == 0.0
    none.backward()  # still a graph, with zero gradient
    assert torch.equal(code.grad, torch.zeros_like(code))


def test_magnitude_quantization_by_hand():
    code = torch.tensor([[0.5, -0.5], [0.0, -1.0]])
    assert MagnitudeQuantization()(code).item() == pytest.approx((0.25 + 0.25 + 1.0 + 0.0) / 4)


def test_method_keeps_seeded_centres_in_its_state():
    method, data = build_method("csq")
    assert method.center_kind == "hadamard"  # 5 labels, 16 bits
    np.testing.assert_array_equal(method.centers.numpy(), hadamard_centers(5, 16))
    np.testing.assert_array_equal(method.tie.numpy(), tie_breaker(16, seed=0))
    state = method.state_dict()
    assert torch.equal(state["centers"]["centers"], method.centers)
    rnd, _ = build_method("csq", centers="random", seed=2)
    again, _ = build_method("csq", centers="random", seed=2)
    assert torch.equal(rnd.centers, again.centers) and torch.equal(rnd.tie, again.tie)
    np.testing.assert_array_equal(rnd.centers.numpy(), random_centers(5, 16, seed=2))
    # loading restores the saved centres
    rnd.load_state_dict(state)
    assert torch.equal(rnd.centers, method.centers) and torch.equal(rnd.tie, method.tie)
    wrong = {**state, "centers": {"centers": torch.ones(4, 16), "tie": method.tie}}
    with pytest.raises(HashxValueError, match="hash centres"):
        rnd.load_state_dict(wrong)


def test_item_targets_use_the_labels_centres():
    method, data = build_method("csq")
    targets, has_label = method.item_targets(data.labels)
    for i in range(data.n):
        mean = (data.labels[i] @ method.centers) / data.labels[i].sum()
        expected = torch.where(mean > 0, 1.0, torch.where(mean < 0, -1.0, method.tie))
        assert torch.equal(targets[i], expected), i
    assert bool(has_label.all())


def test_hadamard_setting_that_cannot_be_built_names_the_setting():
    with pytest.raises(HashxValueError, match="'centers'"):
        build_method("csq", centers="hadamard", nbits=24, setup=False)
    with pytest.raises(HashxValueError, match="'centers'"):
        CSQSettings(centers="walsh")


def test_one_epoch_trains_both_networks_towards_the_centres():
    method, data = build_method("csq", epochs=3)
    before = {name: [p.detach().clone() for p in net.parameters()] for name, net in method.modules().items()}
    first = method.train_epoch(0, data)
    assert all(math.isfinite(v) for v in first.values()), first
    for name, net in method.modules().items():
        assert any(not torch.equal(a, p) for a, p in zip(before[name], net.parameters())), name
    last = method.train_epoch(1, data)
    assert last["image/center"] < first["image/center"] and last["text/center"] < first["text/center"]


def test_unlabelled_items_only_get_the_quantisation_term():
    ds = tiny_dataset()
    ds.labels[:] = 0
    method, data = build_method("csq", dataset=ds)
    stats = method.train_epoch(0, data)
    assert stats["image/center"] == 0.0 and stats["text/center"] == 0.0
    assert stats["image/quantization"] > 0.0


@pytest.mark.parametrize("bad, name", [({"quantization_weight": -0.1}, "quantization_weight"),
                                       ({"center_candidates": 0}, "center_candidates"),
                                       ({"lr_text": -1e-3}, "lr_text"), ({"image_norm": "zscore"}, "image_norm")])
def test_bad_settings_name_the_parameter(bad, name):
    with pytest.raises(HashxValueError, match=f"'{name}'"):
        CSQSettings(**bad)
