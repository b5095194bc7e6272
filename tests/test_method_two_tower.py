"""The two-tower baseline: the symmetric InfoNCE by hand and by an explicit loop, its positive sets, one epoch."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from hashx.exceptions import HashxTypeError, HashxValueError
from hashx.losses import POSITIVE_SETS, SymmetricInfoNCELoss
from hashx.methods import TwoTower, TwoTowerSettings, configure, get_method
from hashx.train import FitData
from method_testing import TINY_RUN, TINY_SETTINGS
from ssah_testing import tiny_dataset, tiny_split

torch.set_num_threads(2)


def loop_info_nce(image, text, positives, tau):
    """The loss by its definition, one anchor and one positive at a time (plain Python floats)."""
    u = [[x / math.sqrt(sum(y * y for y in row)) for x in row] for row in image.tolist()]
    v = [[x / math.sqrt(sum(y * y for y in row)) for x in row] for row in text.tolist()]
    b = len(u)
    s = [[sum(a * c for a, c in zip(u[i], v[j])) / tau for j in range(b)] for i in range(b)]
    pos = positives.tolist()

    def one_direction(logits, mask):
        total = 0.0
        for i in range(b):
            norm = sum(math.exp(logits[i][k]) for k in range(b))
            ps = [j for j in range(b) if mask[i][j]]
            total += -sum(math.log(math.exp(logits[i][j]) / norm) for j in ps) / len(ps)
        return total / b

    def transposed(m):
        return [list(col) for col in zip(*m)]

    return 0.5 * (one_direction(s, pos) + one_direction(transposed(s), transposed(pos)))


def toy_batch(b=5, k=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    image = torch.tanh(torch.randn(b, k, generator=g, dtype=torch.float64))
    text = torch.tanh(torch.randn(b, k, generator=g, dtype=torch.float64))
    labels = torch.tensor([[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 0, 0], [0, 1, 0]])[:b]
    return image, text, labels


def test_hand_computed_two_items():
    # orthogonal unit codes, tau = 1: logits [[1, 0], [0, 1]]
    image = torch.tensor([[2.0, 0.0], [0.0, 0.5]])
    text = torch.tensor([[1.0, 0.0], [0.0, 3.0]])
    loss = SymmetricInfoNCELoss(tau=1.0)
    # only the pairs: every anchor has -log(e / (e + 1))
    assert loss(image, text).item() == pytest.approx(math.log(1 + math.exp(-1)), rel=1e-6)
    # both items share a label: each anchor averages -log(e/(e+1)) and -log(1/(e+1))
    both = torch.ones(2, 2, dtype=torch.bool)
    assert loss(image, text, both).item() == pytest.approx(math.log(math.e + 1) - 0.5, rel=1e-6)


@pytest.mark.parametrize("positive_set", ["pairs", "labels"])
@pytest.mark.parametrize("tau", [0.1, 0.3, 1.0])
def test_matches_the_explicit_loop(positive_set, tau):
    image, text, labels = toy_batch()
    positives = POSITIVE_SETS[positive_set](labels)
    got = SymmetricInfoNCELoss(tau=tau)(image, text, positives).item()
    assert got == pytest.approx(loop_info_nce(image, text, positives, tau), rel=1e-10)


def test_positive_sets():
    _, _, labels = toy_batch()
    np.testing.assert_array_equal(POSITIVE_SETS["pairs"](labels).numpy(), np.eye(5, dtype=bool))
    expected = np.array([[1, 1, 0, 0, 0],
                         [1, 1, 0, 0, 1],
                         [0, 0, 1, 0, 0],
                         [0, 0, 0, 1, 0],   # no labels: its own pair only
                         [0, 1, 0, 0, 1]], dtype=bool)
    np.testing.assert_array_equal(POSITIVE_SETS["labels"](labels).numpy(), expected)
    # the pairs-only loss is CLIP's: mean of the two cross-entropies against the diagonal
    image, text, _ = toy_batch()
    logits = torch.nn.functional.normalize(image, dim=1) @ torch.nn.functional.normalize(text, dim=1).T / 0.3
    target = torch.arange(5)
    clip = 0.5 * (torch.nn.functional.cross_entropy(logits, target) + torch.nn.functional.cross_entropy(logits.T, target))
    assert SymmetricInfoNCELoss(tau=0.3)(image, text).item() == pytest.approx(clip.item(), rel=1e-12)


@pytest.mark.parametrize("positive_set", ["pairs", "labels"])
def test_symmetric_in_the_modalities_and_scale_free(positive_set):
    image, text, labels = toy_batch()
    positives = POSITIVE_SETS[positive_set](labels)
    loss = SymmetricInfoNCELoss(tau=0.3)
    forward = loss(image, text, positives)
    assert loss(text, image, positives.T).item() == pytest.approx(forward.item(), rel=1e-12)
    assert loss(3.0 * image, 0.5 * text, positives).item() == pytest.approx(forward.item(), rel=1e-12)


def test_temperature_scaling():
    image, text, _ = toy_batch()
    # a very high temperature flattens the logits: chance, log b
    assert SymmetricInfoNCELoss(tau=1e4)(image, text).item() == pytest.approx(math.log(5), rel=1e-4)
    # codes whose pairs are the most similar items: the loss falls to 0 with the temperature
    aligned = torch.eye(4, dtype=torch.float64)
    falling = [SymmetricInfoNCELoss(tau=t)(aligned, aligned).item() for t in (1.0, 0.3, 0.1, 0.01)]
    assert all(a > b for a, b in zip(falling, falling[1:])) and falling[-1] < 1e-12
    # tau = 1: logits are the cosines; by hand for the identity codes, -log(e / (e + 3))
    assert falling[0] == pytest.approx(math.log(1 + 3 / math.e), rel=1e-12)


def test_gradient_matches_finite_differences():
    image, text, labels = toy_batch()
    image.requires_grad_(True)
    text.requires_grad_(True)
    positives = POSITIVE_SETS["labels"](labels)
    loss = SymmetricInfoNCELoss(tau=0.3)
    assert torch.autograd.gradcheck(lambda a, b: loss(a, b, positives), (image, text))


def test_bad_inputs_name_the_parameter():
    image, text, _ = toy_batch()
    with pytest.raises(HashxValueError, match="'tau'"):
        SymmetricInfoNCELoss(tau=0.0)
    with pytest.raises(HashxValueError, match="same shape"):
        SymmetricInfoNCELoss()(image, text[:3])
    with pytest.raises(HashxValueError, match="'positives'.*bool"):
        SymmetricInfoNCELoss()(image, text, torch.eye(5))
    with pytest.raises(HashxValueError, match="diagonal"):
        SymmetricInfoNCELoss()(image, text, torch.zeros(5, 5, dtype=torch.bool))


def test_settings_are_validated():
    with pytest.raises(HashxValueError, match="'positives' parameter of TwoTowerSettings.*did you mean 'labels'"):
        TwoTowerSettings(positives="label")
    with pytest.raises(HashxValueError, match="'tau' parameter of TwoTowerSettings"):
        TwoTowerSettings(tau=-1.0)
    with pytest.raises(HashxTypeError, match="'beta' parameter of TwoTowerSettings"):
        TwoTowerSettings(beta="0.1")
    with pytest.raises(HashxValueError, match="'text_norm'"):
        TwoTowerSettings(text_norm="scale")
    assert get_method("two-tower") is TwoTower and TwoTowerSettings.method_class is TwoTower


def build(method="two-tower", labels=None, **changes):
    """A method of the tiny data (labels optionally replaced), set up, and its FitData."""
    values = {**TINY_RUN, **{f"{method}.{k}": v for k, v in TINY_SETTINGS[method].items()}, **changes}
    run, settings = configure(method, values)
    data = FitData(tiny_dataset(), tiny_split().fit, device=torch.device("cpu"))
    if labels is not None:
        data.labels = labels(data.labels)
    built = settings.build(run=run, data=data, device=torch.device("cpu"))
    built.setup(data)
    return built, data


def params(method):
    """Every network parameter of ``method`` by name (copies)."""
    return {f"{name}/{k}": p.detach().clone() for name, net in method.modules().items()
            for k, p in net.named_parameters()}


def trained_params(method="two-tower", **changes):
    """:func:`params` after one epoch of :func:`build`'s method."""
    built, data = build(method, **changes)
    built.train_epoch(0, data)
    return params(built)


def same_params(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def shuffled(labels):
    """The fit items' labels in a fixed random order."""
    return labels[torch.from_numpy(np.random.default_rng(1).permutation(labels.shape[0]))]


@pytest.mark.parametrize("positives", ["pairs", "labels"])
def test_one_epoch_trains_both_towers_with_finite_losses(positives):
    method, data = build(**{"two-tower.positives": positives})
    assert set(method.modules()) == {"image", "text"}  # nothing between the towers but the loss
    before = {name: [p.detach().clone() for p in net.parameters()] for name, net in method.modules().items()}
    stats = method.train_epoch(0, data)
    assert set(stats) == {"contrastive", "quantization", "lr_factor"}
    assert all(math.isfinite(v) for v in stats.values()), stats
    for name, net in method.modules().items():
        assert any(not torch.equal(a, p) for a, p in zip(before[name], net.parameters())), name
    assert method.learned_codes() is None


def test_terms_of_a_batch_are_the_losses_of_its_codes():
    method, data = build(**{"two-tower.positives": "labels", "two-tower.beta": 0.5})
    rows = np.arange(8)
    codes = {"image": method.nets["image"](data.image_batch(rows)).code,
             "text": method.nets["text"](data.text_batch(rows)).code}
    terms = method.loss_terms(codes, rows, data)
    positives = POSITIVE_SETS["labels"](data.labels[:8])
    expected = loop_info_nce(codes["image"].double(), codes["text"].double(), positives, method.settings.tau)
    assert terms["contrastive"].item() == pytest.approx(expected, rel=1e-5)
    quant = sum(((torch.where(c >= 0, 1.0, -1.0) - c) ** 2).mean().item() for c in codes.values()) / 2
    assert terms["quantization"].item() == pytest.approx(0.5 * quant, rel=1e-5)


def test_label_positives_read_the_labels_and_pairs_do_not():
    assert same_params(trained_params(), trained_params(labels=shuffled))
    with_labels = {"two-tower.positives": "labels"}
    assert not same_params(trained_params(**with_labels), trained_params(labels=shuffled, **with_labels))
