"""UCAL: two-tower plus modality classifiers behind a sample-scheduled gradient reversal; labels unused."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

import hashx.alignment.grl as grl_module
from hashx.alignment import GANAlignment, GRLAlignment, NoAlignment, grl_weight
from hashx.exceptions import HashxValueError
from hashx.methods import UCAL, TwoTowerSettings, UCALSettings, get_method
from test_method_two_tower import build, params, same_params, shuffled, trained_params

torch.set_num_threads(2)

RAMP = 100  # the tiny settings' grl_ramp_samples


def test_settings_extend_two_towers():
    s = UCALSettings()
    assert isinstance(s, TwoTowerSettings) and get_method("ucal") is UCAL and UCALSettings.method_class is UCAL
    assert (s.alignment, s.grl_schedule, s.positives) == ("grl", "samples", "pairs")
    assert set(TwoTowerSettings.field_names()) < set(UCALSettings.field_names())
    with pytest.raises(HashxValueError, match="'alignment' parameter of UCALSettings.*did you mean 'grl'"):
        UCALSettings(alignment="gril")
    with pytest.raises(HashxValueError, match="'tau' parameter of UCALSettings"):
        UCALSettings(tau=0)
    with pytest.raises(HashxValueError, match="'grl_ramp_samples' parameter of UCALSettings"):
        UCALSettings(grl_ramp_samples=0)


def test_modality_classifiers_on_the_codes():
    method, _ = build("ucal")
    assert isinstance(method.alignment, GRLAlignment)
    assert (method.alignment.schedule, method.alignment.ramp_samples) == ("samples", RAMP)
    assert set(method.modules()) == {"image", "text", "discriminator_image", "discriminator_text"}
    assert method.alignment.nets["image"].in_dim == 16  # nbits: the classifiers see the codes
    assert isinstance(build("ucal", **{"ucal.alignment": "gan"})[0].alignment, GANAlignment)


def test_without_the_adversary_it_is_exactly_two_tower():
    ucal, data = build("ucal", **{"ucal.alignment": "none"})
    assert isinstance(ucal.alignment, NoAlignment)
    two, _ = build("two-tower")
    for method in (ucal, two):
        method.train_epoch(0, data)
        method.train_epoch(1, data)
    assert same_params(params(ucal), params(two))


def test_reversed_gradient_reaches_the_towers_and_not_the_classifiers():
    method, data = build("ucal", **{"ucal.delta": 0.7})
    rows = np.arange(16)
    codes = {"image": method.nets["image"](data.image_batch(rows)).code,
             "text": method.nets["text"](data.text_batch(rows)).code}
    for c in codes.values():
        c.retain_grad()
    seen = 20
    lam = grl_weight("samples", progress=0.0, samples_seen=seen, ramp_samples=RAMP)
    assert lam == pytest.approx(2 / (1 + math.exp(-10 * seen / RAMP)) - 1) and 0.5 < lam < 0.9
    terms = method.alignment_terms(codes, progress=0.0, samples_seen=seen)
    assert set(terms) == {"image/adversarial", "text/adversarial"}
    sum(terms.values()).backward()

    # the same classifier losses written out, without reversal, on copies of the codes
    nets = method.alignment.nets
    leaf = {m: c.detach().clone().requires_grad_(True) for m, c in codes.items()}
    reference = 0.0
    for m, other in (("image", "text"), ("text", "image")):
        logits_m, logits_other = nets[m](leaf[m]), nets[m](leaf[other].detach())
        loss = 0.7 * 0.5 * (F.binary_cross_entropy_with_logits(logits_m, torch.zeros_like(logits_m))
                            + F.binary_cross_entropy_with_logits(logits_other, torch.ones_like(logits_other)))
        assert terms[f"{m}/adversarial"].item() == pytest.approx(loss.item(), rel=1e-6)
        reference = reference + loss
    live_grads = {k: p.grad.clone() for k, p in nets.named_parameters()}
    nets.zero_grad(set_to_none=True)
    reference.backward()
    classifier_grads = {k: p.grad for k, p in nets.named_parameters()}
    # each tower's codes get the classifier's gradient times -lambda (text's only through D_text: anchors detached)
    for m in ("image", "text"):
        torch.testing.assert_close(codes[m].grad, -lam * leaf[m].grad, rtol=1e-5, atol=1e-8)
        assert codes[m].grad.abs().sum() > 0
    # the classifiers' own gradient is not reversed
    for k in live_grads:
        torch.testing.assert_close(live_grads[k], classifier_grads[k], rtol=1e-5, atol=1e-8)
    # and the reversed gradient reaches the towers' weights
    for m in ("image", "text"):
        assert all(p.grad is not None for p in method.nets[m].heads.hash.parameters())
        assert method.nets[m].heads.hash.weight.grad.abs().sum() > 0


def test_weight_follows_the_samples_schedule(monkeypatch):
    method, data = build("ucal")
    lambdas = []
    real = grl_module.grad_reverse

    def recording(x, lambda_):
        lambdas.append(lambda_)
        return real(x, lambda_)

    monkeypatch.setattr(grl_module, "grad_reverse", recording)
    method.train_epoch(1, data)
    n, b = data.n, 16
    steps = math.ceil(n / b)
    seen = [n + min((s + 1) * b, n) for s in range(steps)]
    assert [method.samples_seen(1, s, n) for s in range(steps)] == seen
    expected = [grl_weight("samples", progress=0.0, samples_seen=k, ramp_samples=RAMP) for k in seen]
    assert lambdas == [lam for lam in expected for _ in ("image", "text")]
    # by hand: 52 fit items (64 training minus 12 validation) in batches of 16, epoch 1
    assert n == 52 and seen == [68, 84, 100, 104]
    assert lambdas[0] == pytest.approx(2 / (1 + math.exp(-6.8)) - 1)  # step 0: 68 / 100 of the ramp
    assert lambdas[4] == pytest.approx(2 / (1 + math.exp(-10.0)) - 1)  # step 2: the ramp's end


@pytest.mark.parametrize("alignment", ["grl", "gan"])
def test_one_epoch_trains_every_network_with_finite_losses(alignment):
    method, data = build("ucal", **{"ucal.alignment": alignment})
    before = params(method)
    stats = method.train_epoch(0, data)
    assert {"contrastive", "quantization", "image/adversarial", "text/adversarial"} <= set(stats)
    assert all(math.isfinite(v) for v in stats.values()), stats
    after = params(method)
    for name in method.modules():
        assert any(not torch.equal(before[k], after[k]) for k in before if k.startswith(f"{name}/")), name


def test_trains_with_the_labels_unused():
    plain = trained_params("ucal")
    assert same_params(plain, trained_params("ucal", labels=shuffled))
    assert same_params(plain, trained_params("ucal", labels=torch.zeros_like))  # no labels at all
    labelled = {"ucal.positives": "labels"}
    assert not same_params(trained_params("ucal", **labelled), trained_params("ucal", labels=shuffled, **labelled))
