"""Loss terms against hand-computed values; the adversarial gradient reaches the networks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from hashx.losses import (
    LabelBCELoss,
    LabelMSELoss,
    PairwiseLikelihoodLoss,
    SelfSignQuantization,
    SharedCodeQuantization,
    SquaredPairwiseLikelihoodLoss,
    discriminator_loss,
    domain_loss,
    generator_loss,
    grad_reverse,
    label_similarity,
)
from hashx.alignment import AlignmentBatch
from ssah_testing import build_ssah, tiny_dataset

torch.set_num_threads(2)


def softplus(x):
    return math.log1p(math.exp(x))


def test_label_similarity_is_shared_label():
    a = torch.tensor([[1, 0, 1], [0, 1, 0]])
    b = torch.tensor([[1, 0, 0], [0, 0, 1], [0, 1, 1], [0, 0, 0]])
    expected = [[1, 1, 1, 0], [0, 0, 1, 0]]
    np.testing.assert_array_equal(label_similarity(a, b).numpy(), expected)


def test_pairwise_likelihood_hand_computed():
    targets = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    batch = torch.tensor([[2.0, 2.0]], requires_grad=True)
    s = torch.tensor([[1.0], [0.0]])
    # Theta = 0.5 * targets @ batch.T = [[1], [2]]
    expected = ((softplus(1.0) - 1.0) + softplus(2.0)) / 2
    loss = PairwiseLikelihoodLoss()(targets, batch, s)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    loss.backward()
    # d/d batch = mean_i 0.5 * (sigmoid(Theta_i) - S_i) * targets_i
    sig = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    grad = (0.5 * (sig(1) - 1) * np.array([1.0, 0.0]) + 0.5 * sig(2) * np.array([0.0, 2.0])) / 2
    np.testing.assert_allclose(batch.grad.numpy()[0], grad, rtol=1e-6)


def test_squared_pairwise_hand_computed():
    targets = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    batch = torch.tensor([[2.0, 2.0]])
    s = torch.tensor([[1.0], [0.0]])
    expected = ((0.999 * 1.0 - softplus(1.0)) ** 2 + (0.0 - softplus(2.0)) ** 2) / 2
    assert SquaredPairwiseLikelihoodLoss()(targets, batch, s).item() == pytest.approx(expected, rel=1e-6)


def test_pairwise_is_numerically_stable_for_large_inner_products():
    targets = torch.full((3, 64), 40.0)
    batch = torch.full((2, 64), 40.0, requires_grad=True)  # Theta = 51,200
    s = torch.tensor([[1.0, 0.0]] * 3)
    loss = PairwiseLikelihoodLoss()(targets, batch, s)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(batch.grad).all()
    # similar pairs cost ~0, dissimilar ones ~Theta
    assert loss.item() == pytest.approx(51200 / 2, rel=1e-6)


def test_quantization_hand_computed():
    code = torch.tensor([[0.5, -0.5]], requires_grad=True)
    shared = torch.tensor([[1.0, 1.0]])
    assert SharedCodeQuantization()(code, shared).item() == pytest.approx((0.25 + 2.25) / 2)
    loss = SelfSignQuantization()(code, shared)  # its own sign [1, -1]; shared ignored
    assert loss.item() == pytest.approx(0.25)
    loss.backward()
    np.testing.assert_allclose(code.grad.numpy(), [[-0.5, 0.5]])  # sign taken as a constant
    zero = torch.zeros(1, 2)
    assert SelfSignQuantization()(zero).item() == pytest.approx(1.0)  # 0 -> +1, as hashx.binarize


def test_label_losses_hand_computed():
    logits = torch.tensor([[0.0, math.log(3.0)]])
    labels = torch.tensor([[1.0, 1.0]])
    assert LabelMSELoss()(logits, labels).item() == pytest.approx((0.25 + 0.0625) / 2)
    assert LabelBCELoss()(logits, labels).item() == pytest.approx(-(math.log(0.5) + math.log(0.75)) / 2)


def test_adversarial_losses_hand_computed():
    zero = torch.zeros(4)
    assert discriminator_loss(zero, zero).item() == pytest.approx(math.log(2))
    assert generator_loss(zero).item() == pytest.approx(math.log(2))
    two = torch.full((3,), 2.0)
    assert domain_loss(two, True).item() == pytest.approx(math.log1p(math.exp(-2)))
    assert domain_loss(two, False).item() == pytest.approx(math.log1p(math.exp(2)))
    assert discriminator_loss(-two, two).item() == pytest.approx(math.log1p(math.exp(-2)))


def test_gradient_reversal():
    x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = grad_reverse(x, 0.7)
    torch.testing.assert_close(y, x.detach())
    (y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [-0.7, -1.4, -2.1], rtol=1e-6)


def _adversarial_grads(alignment):
    """Gradients of the adversarial terms alone on the image and text networks' parameters."""
    method, _ = build_ssah(tiny_dataset(image_dim=10, text_dim=12, n_labels=4), alignment=alignment, setup=False)
    g = torch.Generator().manual_seed(0)
    label_feature = method.label_net((torch.rand(8, 4, generator=g) < 0.5).float()).feature.detach()
    grads = {}
    for modality, net, x in (("image", method.image_net, torch.randn(8, 10, generator=g)),
                             ("text", method.text_net, (torch.rand(8, 12, generator=g) < 0.4).float())):
        net.zero_grad(set_to_none=True)
        terms = method.alignment.generator_terms(modality, AlignmentBatch(net(x).feature, label_feature),
                                                 progress=0.5, samples_seen=100)
        if not terms:
            grads[modality] = None
            continue
        assert set(terms) == {"adversarial"}
        sum(terms.values()).backward()
        grads[modality] = sum(float(p.grad.abs().sum()) for p in net.parameters() if p.grad is not None)
    return grads


@pytest.mark.parametrize("alignment", ["gan", "grl"])
def test_adversarial_loss_alone_trains_image_and_text_networks(alignment):
    grads = _adversarial_grads(alignment)
    assert grads["image"] > 0 and grads["text"] > 0


def test_detached_official_switch_sends_no_adversarial_gradient():
    grads = _adversarial_grads("gan_detached")
    assert grads == {"image": 0.0, "text": 0.0}


def test_no_adversarial_module_adds_no_term():
    assert _adversarial_grads("none") == {"image": None, "text": None}
