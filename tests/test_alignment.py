"""Alignment components: registry, the gradient-reversal schedules, the discriminator step, options."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from hashx.alignment import (
    ALIGNMENTS,
    GRL_SCHEDULES,
    AlignmentBatch,
    GANAlignment,
    GRLAlignment,
    NoAlignment,
    create_alignment,
    dann_curve,
    grl_weight,
)
from hashx.exceptions import HashxTypeError, HashxValueError
from hashx.losses import discriminator_loss

torch.set_num_threads(2)


def test_registry_lists_every_component_and_suggests_the_closest():
    assert ALIGNMENTS.names() == ["gan", "gan_detached", "grl", "none", "projection", "wgan_gp"]
    assert GRL_SCHEDULES.names() == ["constant", "dann", "samples"]
    with pytest.raises(HashxValueError, match=r"'alignment' parameter of create_alignment.*did you mean 'grl'"):
        create_alignment("gril")
    with pytest.raises(HashxTypeError, match="'alignment'"):
        create_alignment(None)


def test_dann_curve_hand_computed():
    assert dann_curve(0.0) == 0.0
    assert dann_curve(0.5) == pytest.approx(2 / (1 + math.exp(-5)) - 1)
    assert dann_curve(1.0) == pytest.approx(2 / (1 + math.exp(-10)) - 1)
    assert dann_curve(2.0) == dann_curve(1.0) and dann_curve(-1.0) == 0.0  # clipped to [0, 1]
    values = [dann_curve(p) for p in np.linspace(0, 1, 11)]
    assert all(a < b for a, b in zip(values, values[1:]))


def test_three_grl_schedules():
    kw = {"samples_seen": 5_000, "ramp_samples": 20_000}
    assert grl_weight("constant", progress=0.0, **kw) == 1.0
    assert grl_weight("constant", progress=0.9, samples_seen=0, ramp_samples=1) == 1.0
    assert grl_weight("dann", progress=0.3, **kw) == pytest.approx(2 / (1 + math.exp(-3)) - 1)
    # "samples" depends on samples seen, not on progress: the same on a small and a large training set
    assert grl_weight("samples", progress=0.9, **kw) == pytest.approx(2 / (1 + math.exp(-2.5)) - 1)
    assert grl_weight("samples", progress=0.1, **kw) == grl_weight("samples", progress=0.9, **kw)
    # with ramp_samples = the run's total samples it equals the DANN schedule
    total = 40 * 2_000
    for seen in (0, 8_000, 40_000, 80_000):
        assert grl_weight("samples", progress=seen / total, samples_seen=seen, ramp_samples=total) == pytest.approx(
            grl_weight("dann", progress=seen / total, samples_seen=seen, ramp_samples=total))
    with pytest.raises(HashxValueError, match="'schedule'"):
        grl_weight("linear", progress=0.5, **kw)
    with pytest.raises(HashxValueError, match="'ramp_samples'"):
        grl_weight("samples", progress=0.5, samples_seen=1, ramp_samples=0)


def _batch(seed=0, n=6, d=16):
    g = torch.Generator().manual_seed(seed)
    return AlignmentBatch(torch.randn(n, d, generator=g), torch.randn(n, d, generator=g) + 1.0)


def _kwargs(**extra):
    return {"feature_dim": 16, "weight": 0.5, "lr": 1e-2, "device": "cpu", **extra}


def test_create_alignment_passes_only_the_options_a_component_takes():
    torch.manual_seed(0)
    gan = create_alignment("gan", **_kwargs(schedule="samples", ramp_samples=7))
    assert isinstance(gan, GANAlignment) and not hasattr(gan, "schedule")
    grl = create_alignment("grl", **_kwargs(schedule="samples", ramp_samples=7))
    assert isinstance(grl, GRLAlignment) and (grl.schedule, grl.ramp_samples) == ("samples", 7)
    assert isinstance(create_alignment("none", **_kwargs()), NoAlignment)
    with pytest.raises(HashxValueError, match="'schedule'"):
        create_alignment("grl", **_kwargs(schedule="nope"))
    with pytest.raises(HashxValueError, match="'lr'"):
        create_alignment("gan", **_kwargs(lr=0.0))


def test_gan_discriminator_step_is_the_mean_over_modalities_and_descends():
    torch.manual_seed(0)
    gan = create_alignment("gan", **_kwargs())
    batches = {"image": _batch(1), "text": _batch(2)}
    with torch.no_grad():
        expected = 0.5 * sum(float(discriminator_loss(gan.nets[m](b.features), gan.nets[m](b.anchors)))
                             for m, b in batches.items())
    first = gan.discriminator_step(batches)
    assert first == pytest.approx(expected, rel=1e-6)
    for _ in range(30):
        last = gan.discriminator_step(batches)
    assert last < first  # the discriminators learn to separate features from anchors


def test_generator_terms_carry_the_weight_and_grl_reverses_the_gradient():
    torch.manual_seed(0)
    grl = create_alignment("grl", **_kwargs(schedule="constant"))
    b = _batch(3)
    features = b.features.clone().requires_grad_(True)
    term = grl.generator_terms("image", AlignmentBatch(features, b.anchors), progress=0.5, samples_seen=10)
    d = grl.nets["image"]
    with torch.no_grad():
        expected = 0.5 * float(discriminator_loss(d(b.features), d(b.anchors)))
    assert float(term["adversarial"].detach()) == pytest.approx(expected)
    term["adversarial"].backward()
    reversed_grad = features.grad.clone()
    features.grad = None
    (0.5 * discriminator_loss(d(features), d(b.anchors))).backward()
    torch.testing.assert_close(reversed_grad, -features.grad)  # lambda = 1 with the constant schedule
    assert grl.generator_optimizers() == [grl.optimizer]


def test_alignment_state_round_trip():
    torch.manual_seed(0)
    a = create_alignment("gan", **_kwargs())
    a.discriminator_step({"image": _batch(1), "text": _batch(2)})
    torch.manual_seed(1)
    b = create_alignment("gan", **_kwargs())
    b.load_state_dict(a.state_dict())
    for (k, va), vb in zip(a.nets.state_dict().items(), b.nets.state_dict().values()):
        assert torch.equal(va, vb), k
    assert a.discriminator_step({"image": _batch(4), "text": _batch(5)}) == b.discriminator_step(
        {"image": _batch(4), "text": _batch(5)})


def test_projection_discriminator_needs_and_uses_the_labels():
    torch.manual_seed(0)
    proj = create_alignment("projection", **_kwargs(n_labels=3))
    b = _batch(6)
    labels = torch.tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 0, 0], [1, 0, 1]], dtype=torch.float32)
    batch = AlignmentBatch(b.features, b.anchors, labels)
    first = proj.discriminator_step({"image": batch, "text": batch})
    for _ in range(30):
        last = proj.discriminator_step({"image": batch, "text": batch})
    assert last < first
    with torch.no_grad():  # the labels change the score
        assert not torch.allclose(proj.score("image", b.features, labels, progress=0.0),
                                  proj.score("image", b.features, labels.roll(1, 0), progress=0.0))
    with pytest.raises(HashxValueError, match="labels"):
        proj.discriminator_step({"image": b})
    with pytest.raises(HashxValueError, match="'n_labels'"):
        create_alignment("projection", **_kwargs())


def test_instance_noise_is_relative_annealed_and_reproducible():
    torch.manual_seed(0)
    a = create_alignment("gan", **_kwargs(instance_noise=0.5, seed=3))
    x = torch.full((4000, 16), 2.0)
    assert torch.equal(a.noisy(x, 1.0), x)  # annealed to nothing at the end
    noise = a.noisy(x, 0.5) - x  # sd = 0.5 * (1 - 0.5) * rms(x) = 0.5
    assert float(noise.std()) == pytest.approx(0.5, rel=0.02) and a.draws == 1
    b = create_alignment("gan", **_kwargs(instance_noise=0.5, seed=3))
    assert torch.equal(b.noisy(x, 0.5) - x, noise)  # the same numbered draw
    assert not torch.equal(a.noisy(x, 0.5) - x, noise)  # the next draw differs
    none = create_alignment("gan", **_kwargs())
    assert torch.equal(none.noisy(x, 0.0), x)


class _LinearCritic(torch.nn.Module):
    def __init__(self, w):
        super().__init__()
        self.w = torch.nn.Parameter(w)

    def forward(self, x):
        return x @ self.w


def test_wgan_gp_critic_loss_by_hand_with_a_linear_critic():
    torch.manual_seed(0)
    wgan = create_alignment("wgan_gp", **_kwargs(gp_weight=2.0, modalities=("image",)))
    w = torch.tensor([3.0, 4.0] + [0.0] * 14)  # ||w|| = 5: the penalty is (5 - 1)^2 = 16 at every point
    wgan.nets["image"] = _LinearCritic(w.clone())
    wgan.forward = dict(wgan.nets.items())
    wgan.optimizer = torch.optim.SGD(wgan.nets.parameters(), lr=0.0)
    b = _batch(7)
    expected = float((b.features @ w).mean() - (b.anchors @ w).mean() + 2.0 * 16.0)
    assert wgan.discriminator_step({"image": b}) == pytest.approx(expected, rel=1e-5)
    features = b.features.clone().requires_grad_(True)
    term = wgan.generator_terms("image", AlignmentBatch(features, b.anchors), progress=0.0, samples_seen=1)
    assert float(term["adversarial"].detach()) == pytest.approx(-0.5 * float((b.features @ w).mean()), rel=1e-5)
    term["adversarial"].backward()
    torch.testing.assert_close(features.grad, (-0.5 * w / b.features.shape[0]).expand_as(features))


def _critic_gradients(name, batch, **step):
    """The gradients of one float64 discriminator step of a fresh component ``name`` (seeded alike)."""
    torch.manual_seed(0)
    alignment = create_alignment(name, **_kwargs(seed=3, modalities=("image",)))
    alignment.nets.double()
    alignment.optimizer = torch.optim.SGD(alignment.nets.parameters(), lr=0.0)
    alignment.discriminator_step({"image": batch}, **step)
    return torch.cat([p.grad.reshape(-1) for p in alignment.nets.parameters()])


@pytest.mark.parametrize("name", ["gan", "wgan_gp"])
def test_discriminator_steps_on_the_parts_of_a_batch_average_to_the_whole_batch_step(name):
    # the data-parallel arithmetic, exact in float64: rank r's part start:stop of a B-item batch, its loss
    # weighted by (stop - start) * W / B and the per-item draws (the penalty's interpolation) made for the
    # global batch; the mean of the ranks' gradients is the one-process gradient
    b = AlignmentBatch(*(x.double() for x in _batch(n=7)[:2]))
    whole = _critic_gradients(name, b)
    bounds = [(0, 3), (3, 7)]

    def ranks_mean(with_part):
        return sum(_critic_gradients(name, AlignmentBatch(b.features[i:j], b.anchors[i:j]), weight=(j - i) * 2 / 7,
                                     part=(i, j, 7) if with_part else None) for i, j in bounds) / 2

    torch.testing.assert_close(ranks_mean(True), whole, rtol=1e-10, atol=1e-12)
    # drawing each part's numbers for the part alone gives another step (a penalty draws per item; a GAN not)
    assert torch.allclose(ranks_mean(False), whole, rtol=1e-10, atol=1e-12) == (name == "gan")
