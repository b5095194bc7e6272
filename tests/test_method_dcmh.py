"""DCMH: its loss terms against hand-computed values, the B update, the per-batch scaling, one epoch."""

from __future__ import annotations

import math

import pytest
import torch

from hashx.exceptions import HashxValueError
from hashx.losses import BitBalanceLoss, PairwiseLikelihoodLoss, SharedCodeQuantization
from hashx.methods import DCMH, DCMHSettings, get_method, list_methods
from method_testing import build_method

torch.set_num_threads(2)


def _softplus(x):
    return math.log1p(math.exp(x))


def test_registered():
    assert "dcmh" in list_methods() and get_method("dcmh") is DCMH
    assert DCMHSettings.method_class is DCMH


def test_bit_balance_by_hand():
    codes = torch.tensor([[0.5, -1.0, 0.25], [0.5, 0.5, -0.25], [0.5, -0.5, 1.0], [0.5, 0.0, 0.0]])
    # bit means 0.5, -0.25, 0.25 -> 0.25 + 0.0625 + 0.0625
    assert BitBalanceLoss()(codes).item() == pytest.approx(0.375)
    # balanced bits cost nothing; a constant bit costs 1
    assert BitBalanceLoss()(torch.tensor([[1.0, 1.0], [-1.0, 1.0]])).item() == pytest.approx(1.0)


def _toy_method(gamma=2.0, eta=0.5):
    """A DCMH whose buffers are replaced by a 3-item, 2-bit toy problem (the networks are not used)."""
    method, _ = build_method("dcmh", gamma=gamma, eta=eta)
    method.buffers = {"code_image": torch.tensor([[0.0, 0.0], [0.5, -0.5], [0.25, 0.25]]),
                      "code_text": torch.tensor([[1.0, 1.0], [1.0, -1.0], [-1.0, -1.0]])}
    method.update_shared_codes()
    labels = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    return method, labels


def test_batch_terms_by_hand():
    method, labels = _toy_method(gamma=2.0, eta=0.5)
    assert method.buffers["shared"].tolist() == [[1, 1], [1, -1], [-1, -1]]
    code = torch.tensor([[0.5, 0.5]])
    terms, loss = method.batch_terms("image", code, torch.tensor([0]), labels)
    # Theta_i0 = 0.5 * G_i . F_0 = 0.5, 0, -0.5; item 0 shares a label with items 0 and 1, not with 2
    pairwise = ((_softplus(0.5) - 0.5) + _softplus(0.0) + _softplus(-0.5)) / 3
    quantization = 2.0 * ((1 - 0.5) ** 2 + (1 - 0.5) ** 2) / 2
    balance = 0.5 * (0.5 ** 2 + 0.5 ** 2)  # the batch's mean code is (0.5, 0.5)
    assert terms["pairwise"].item() == pytest.approx(pairwise, rel=1e-6)
    assert terms["quantization"].item() == pytest.approx(quantization, rel=1e-6)
    assert terms["balance"].item() == pytest.approx(balance, rel=1e-6)
    assert loss.item() == pytest.approx(pairwise + quantization + balance, rel=1e-6)
    # the text stage uses the stored image codes as the other modality
    terms, _ = method.batch_terms("text", code, torch.tensor([0]), labels)
    theta = [0.5 * 0.0, 0.5 * 0.0, 0.5 * 0.25]  # 0.5 * F_i . G'_0 with G'_0 = (0.5, 0.5)
    expected = ((_softplus(theta[0]) - theta[0]) + (_softplus(theta[1]) - theta[1]) + _softplus(theta[2])) / 3
    assert terms["pairwise"].item() == pytest.approx(expected, rel=1e-6)


def test_losses_used_are_the_shared_families():
    method, _ = build_method("dcmh", pairwise_loss="squared_nll")
    assert isinstance(method.quantizer, SharedCodeQuantization) and isinstance(method.balance, BitBalanceLoss)
    assert not isinstance(method.pairwise, PairwiseLikelihoodLoss)
    assert isinstance(build_method("dcmh")[0].pairwise, PairwiseLikelihoodLoss)


def _full_objective(F, G, B, labels, gamma):
    """The pairwise and quantisation terms of J over all items, on the full matrices (the reference)."""
    theta = 0.5 * F @ G.T
    s = (labels @ labels.T > 0).float()
    return (torch.log1p(torch.exp(theta)) - s * theta).mean() + gamma * ((B - F) ** 2).mean()


def test_batch_means_are_the_batch_share_of_the_full_objective():
    """Without the balance term, a batch's gradient is n / b times that of J at the batch's rows."""
    method, data = build_method("dcmh", gamma=0.7, eta=0.0)
    n, rows = data.n, torch.tensor([3, 10, 11, 40, data.n - 1])
    code = (0.9 * torch.rand(len(rows), method.run.nbits, generator=torch.Generator().manual_seed(1)) - 0.45)
    code.requires_grad_(True)
    _, loss = method.batch_terms("image", code, rows, data.labels)
    (grad,) = torch.autograd.grad(loss, code)

    live = code.detach().clone().requires_grad_(True)
    F = torch.index_put(method.buffers["code_image"].clone(), (rows,), live)
    J = _full_objective(F, method.buffers["code_text"], method.buffers["shared"], data.labels, 0.7)
    (full_grad,) = torch.autograd.grad(J, live)
    torch.testing.assert_close(grad, full_grad * n / len(rows), rtol=1e-4, atol=1e-7)


def test_shared_codes_are_sign_of_the_sum_with_zero_to_plus_one():
    method, _ = build_method("dcmh")
    method.buffers["code_image"][:] = 0.0
    method.buffers["code_text"][:] = 0.0
    method.buffers["code_image"][0, :4] = torch.tensor([0.5, -0.5, 0.25, -0.75])
    method.buffers["code_text"][0, :4] = torch.tensor([-0.25, 0.25, -0.25, 0.5])
    method.update_shared_codes()
    b = method.buffers["shared"]
    assert b[0, :4].tolist() == [1.0, -1.0, 1.0, -1.0]  # 0.25, -0.25, 0 -> +1, -0.25
    assert torch.all(b[1:] == 1.0) and torch.all(b[0, 4:] == 1.0)
    learned = method.learned_codes()
    assert torch.equal(learned, b) and learned.data_ptr() != b.data_ptr()


def test_setup_draws_gaussian_codes_from_the_seed():
    method, data = build_method("dcmh", seed=3)
    g = torch.Generator().manual_seed(3)
    F = torch.randn(data.n, method.run.nbits, generator=g)
    G = torch.randn(data.n, method.run.nbits, generator=g)
    assert torch.equal(method.buffers["code_image"], F) and torch.equal(method.buffers["code_text"], G)
    assert torch.equal(method.buffers["shared"], torch.where(F + G >= 0, 1.0, -1.0))
    assert method.learned_codes().shape == (data.n, method.run.nbits)


def test_one_epoch_trains_both_networks_updates_buffers_and_b():
    method, data = build_method("dcmh")
    before = {name: [p.detach().clone() for p in net.parameters()] for name, net in method.modules().items()}
    old = {name: t.clone() for name, t in method.buffers.items()}
    stats = method.train_epoch(0, data)
    assert all(math.isfinite(v) for v in stats.values()), stats
    assert {"image/pairwise", "image/quantization", "image/balance", "text/pairwise", "text/balance"} <= set(stats)
    for name, net in method.modules().items():
        assert any(not torch.equal(a, p) for a, p in zip(before[name], net.parameters())), name
    for name in ("code_image", "code_text"):
        assert not torch.equal(old[name], method.buffers[name]), name
    assert torch.equal(method.buffers["shared"],
                       torch.where(method.buffers["code_image"] + method.buffers["code_text"] >= 0, 1.0, -1.0))


def test_state_round_trip_restores_buffers():
    method, data = build_method("dcmh")
    method.train_epoch(0, data)
    state = {k: v for k, v in method.state_dict().items()}
    saved = {name: t.clone() for name, t in state["buffers"].items()}
    fresh, _ = build_method("dcmh", setup=False)
    fresh.load_state_dict(state)
    for name, t in saved.items():
        assert torch.equal(fresh.buffers[name], t), name


def test_paper_text_width_is_reachable_and_defaults_adapt():
    spec = build_method("dcmh", hidden_dim=8192, setup=False)[0].encoder_spec()
    assert spec["text"]["name"] == "text_mlp" and spec["text"]["kwargs"]["hidden_dim"] == 8192
    auto = DCMHSettings()
    assert auto.hidden_dim == "auto" and auto.text_net == "text_mlp" and auto.image_net == "auto"


@pytest.mark.parametrize("bad, name", [({"gamma": -1.0}, "gamma"), ({"eta": float("nan")}, "eta"),
                                       ({"lr_image": 0.0}, "lr_image"), ({"text_net": "bert"}, "text_net"),
                                       ({"image_passes": 0}, "image_passes"), ({"hidden_dim": 0}, "hidden_dim"),
                                       ({"pairwise_loss": "nl"}, "pairwise_loss")])
def test_bad_settings_name_the_parameter(bad, name):
    with pytest.raises(HashxValueError, match=f"'{name}'"):
        DCMHSettings(**bad)
