"""The SSAH method: registry, composition by config, schedule pieces, one epoch of training."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from hashx.exceptions import HashxTypeError, HashxValueError
from hashx.losses import (
    LabelBCELoss,
    PairwiseLikelihoodLoss,
    SelfSignQuantization,
    SharedCodeQuantization,
    SquaredPairwiseLikelihoodLoss,
)
from hashx.alignment import DetachedGANAlignment, GANAlignment, GRLAlignment, NoAlignment, WGANGPAlignment
from hashx.methods import SSAH, get_method, list_methods
from hashx.train import lr_factor
from ssah_testing import build_ssah, tiny_config

torch.set_num_threads(2)
CPU = torch.device("cpu")


def _method(**changes):
    return build_ssah(**changes)


def test_registry():
    assert "ssah" in list_methods()
    assert get_method("ssah") is SSAH
    with pytest.raises(HashxValueError, match="'ssah'"):
        get_method("dcmh-typo")
    with pytest.raises(HashxValueError, match="did you mean 'ssah'"):
        get_method("sssah")
    with pytest.raises(HashxTypeError):
        get_method(None)


def test_components_are_chosen_by_name():
    official, _ = _method(pairwise_loss="squared_nll", quantization="self_sign", alignment="gan_detached",
                          label_loss="bce")
    assert isinstance(official.pairwise, SquaredPairwiseLikelihoodLoss)
    assert isinstance(official.quantizer, SelfSignQuantization)
    assert isinstance(official.alignment, DetachedGANAlignment)
    assert isinstance(official.label_loss, LabelBCELoss)
    default, _ = _method()
    assert isinstance(default.pairwise, PairwiseLikelihoodLoss)
    assert isinstance(default.quantizer, SharedCodeQuantization)
    # the default, chosen on validation MAP: the paper's discriminators between image and text features
    assert type(default.alignment) is GANAlignment and default.settings.align_to == "modality"
    assert type(_method(alignment="wgan_gp")[0].alignment) is WGANGPAlignment
    assert isinstance(_method(alignment="grl")[0].alignment, GRLAlignment)


def test_ablation_has_no_discriminator_stage_or_term():
    method, data = _method(alignment="none")
    assert isinstance(method.alignment, NoAlignment)
    assert not any(name.startswith("discriminator") for name in method.modules())
    stats = method.train_epoch(0, data)
    assert not any("adversarial" in k or "discriminator" in k for k in stats)
    full, data = _method(alignment="gan")
    stats = full.train_epoch(0, data)
    assert {"image/adversarial", "text/adversarial", "discriminator"} <= set(stats)
    assert {"discriminator_image", "discriminator_text"} <= set(full.modules())


@pytest.mark.parametrize("alignment, extra", [
    ("gan", {}), ("grl", {}), ("gan_detached", {}), ("none", {}), ("projection", {}), ("wgan_gp", {}),
    ("gan", {"instance_noise": 0.5}), ("gan", {"align_to": "label"}), ("wgan_gp", {"align_to": "modality"}),
    ("grl", {"grl_schedule": "samples"}),
])
def test_one_epoch_trains_every_network_with_finite_losses(alignment, extra):
    method, data = _method(alignment=alignment, **extra)
    before = {name: [p.detach().clone() for p in net.parameters()] for name, net in method.modules().items()}
    stats = method.train_epoch(0, data)
    assert all(math.isfinite(v) for v in stats.values()), stats
    for name, net in method.modules().items():
        changed = any(not torch.equal(a, p) for a, p in zip(before[name], net.parameters()))
        assert changed, name
    for name, buffer in method.buffers.items():
        assert buffer.shape[0] == data.n and torch.isfinite(buffer).all(), name


def test_setup_fits_normalisers_and_fills_buffers():
    method, data = _method(image_norm="standardize", text_norm="rms")
    np.testing.assert_allclose(method.image_net.norm.shift.numpy(), data.image.numpy().mean(0), rtol=1e-4, atol=1e-5)
    expected_rms = float(np.sqrt(np.mean(data.text.numpy().astype(np.float64) ** 2)))
    assert method.text_net.norm.scale[0].item() == pytest.approx(1 / expected_rms, rel=1e-5)
    with torch.no_grad():
        method.train_mode(False)
        code = method.text_net(data.text).code
    torch.testing.assert_close(method.buffers["code_text"], code)


def test_shared_codes_are_sign_of_the_sum_with_zero_to_plus_one():
    method, _ = _method()
    method.buffers["code_label"][:] = 0.0
    method.buffers["code_image"][:] = 0.0
    method.buffers["code_text"][:] = 0.0
    method.buffers["code_label"][0, :3] = torch.tensor([0.5, -0.5, 0.5])
    method.buffers["code_image"][0, :3] = torch.tensor([-0.25, 0.25, -0.25])
    method.buffers["code_text"][0, :3] = torch.tensor([-0.125, 0.125, -0.25])
    b = method.shared_codes()
    assert b[0, :3].tolist() == [1.0, -1.0, 1.0]  # 0.125, -0.125, 0.0 -> +1
    assert torch.all(b[1:] == 1.0)


def test_batches_are_seeded_and_cover_every_item_each_pass():
    method, data = _method()
    first = [b.tolist() for b in method.batches(3, "image", 2)]
    again = [b.tolist() for b in method.batches(3, "image", 2)]
    assert first == again
    flat = np.concatenate(first)
    assert np.array_equal(np.sort(flat), np.sort(np.concatenate([np.arange(data.n)] * 2)))
    other = [b.tolist() for b in method.batches(4, "image", 2)]
    assert other != first
    text = [b.tolist() for b in method.batches(3, "text", 2)]
    assert text != first


def test_lr_schedule_does_not_collapse():
    run, _ = tiny_config(epochs=50, lr_min_factor=0.1)
    factors = [lr_factor(run, e) for e in range(50)]
    assert factors[0] == pytest.approx(1.0)
    assert factors[-1] == pytest.approx(0.1)
    assert min(factors) >= 0.1 - 1e-12
    assert all(a >= b for a, b in zip(factors, factors[1:]))
    assert lr_factor(tiny_config(lr_schedule="constant", epochs=50)[0], 49) == 1.0


def test_lr_factor_is_applied_to_every_optimizer():
    method, data = _method(epochs=3, lr_min_factor=0.5)
    method.train_epoch(2, data)
    base = {"label": method.settings.lr_label, "image": method.settings.lr_image, "text": method.settings.lr_text,
            "discriminator": method.settings.lr_discriminator}
    assert set(method.optimizers) == set(base)
    for name, (opt, base_lr) in method.optimizers.items():
        assert base_lr == base[name]
        assert opt.param_groups[0]["lr"] == pytest.approx(base[name] * 0.5), name


def test_image_net_must_fit_the_data_kind():
    with pytest.raises(HashxValueError, match="'image_net' parameter of SSAHSettings"):
        build_ssah(image_net="image_cnnf", setup=False)


def test_official_detached_adversary_leaves_the_codes_exactly_as_without_it():
    """The official code's adversarial module is inert: same networks, bit for bit, as the ablation."""
    detached, data = _method(alignment="gan_detached")
    ablation, _ = _method(alignment="none")
    for epoch in range(2):
        stats = detached.train_epoch(epoch, data)
        ablation.train_epoch(epoch, data)
    assert stats["image/adversarial"] > 0  # the term is there, its gradient is not
    for name in ("label", "image", "text"):
        for (k, a), b in zip(detached.modules()[name].state_dict().items(),
                             ablation.modules()[name].state_dict().values()):
            assert torch.equal(a, b), (name, k)


def test_align_to_modality_uses_the_other_modality_as_anchors():
    method, _ = _method()  # the default
    assert method.anchors("image") is method.buffers["feature_text"]
    assert method.anchors("text") is method.buffers["feature_image"]
    paper, _ = _method(align_to="label")
    assert paper.anchors("image") is paper.anchors("text") is paper.buffers["feature_label"]
