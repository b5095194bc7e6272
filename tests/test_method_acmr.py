"""ACMR: triplets, label loss, regularisation and the reversed modality classifier, by hand; one epoch of training."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from hashx.alignment import GRLAlignment, dann_curve
from hashx.exceptions import HashxValueError
from hashx.losses import LABEL_LOSSES, LabelSoftmaxLoss, TripletLoss, discriminator_loss, frobenius_penalty
from hashx.losses.triplet import TRIPLET_NEGATIVES, hardest_negatives, squared_distance
from hashx.methods import ACMR, ACMRSettings
from hashx.methods.common_space import PairedBatch
from hashx.models import HashOutput
from dist_testing import check_two_workers_match_one_process
from method_testing import build_method

torch.set_num_threads(2)


def _batch(data, rows):
    return PairedBatch(rows, data.image_batch(rows), data.text_batch(rows), data.label_batch(rows))


# -- triplets ------------------------------------------------------------------------------------------


def test_triplet_loss_hand_made_batch():
    anchors = torch.zeros(3, 2)
    positives = torch.tensor([[1.0, 1.0], [0.0, 0.0], [0.0, 0.0]])  # d = 1, 0, 0
    negatives = torch.tensor([[0.0, 0.0], [2.0, 2.0], [1.0, 1.0]])  # d = 0, 4, 1
    loss = TripletLoss(margin=1.0)
    # hinges: 1 + 1 - 0 = 2 (violates), 1 + 0 - 4 < 0 (satisfied), 1 + 0 - 1 = 0 (on the margin)
    assert loss(anchors, positives, negatives).item() == pytest.approx(2 / 3)
    valid = torch.tensor([True, True, False])
    assert loss(anchors, positives, negatives, valid).item() == pytest.approx(1.0)
    assert TripletLoss(margin=0.5)(anchors, positives, negatives).item() == pytest.approx(1.5 / 3)


def test_triplet_loss_without_a_triplet_is_zero_with_zero_gradient():
    anchors = torch.randn(2, 3, requires_grad=True)
    loss = TripletLoss()(anchors, torch.zeros(2, 3), torch.ones(2, 3), torch.tensor([False, False]))
    loss.backward()
    assert loss.item() == 0.0 and torch.equal(anchors.grad, torch.zeros(2, 3))


def test_squared_distance_of_sign_codes_is_four_hamming_over_bits():
    a = torch.tensor([[1.0, 1.0, -1.0, 1.0]])
    b = torch.tensor([[1.0, -1.0, 1.0, 1.0]])
    assert squared_distance(a, b).item() == pytest.approx(4 * 2 / 4)


def test_hardest_negatives_pick_the_most_similar_item_sharing_no_label():
    labels = torch.tensor([[1.0, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 0], [1, 1, 1]])
    similarity = torch.tensor([
        [9.0, 8, 1, 2, 7],   # anchor 0 (label 0): candidates 2, 3 -> 3
        [0.0, 9, 5, 6, 7],   # anchor 1 (labels 0, 1): candidate 2 only
        [3.0, 3, 9, 1, 8],   # anchor 2 (label 2): candidates 0, 1, 3 -> 0 (first of the tied 0 and 1)
        [1.0, 9, 2, 9, 9],   # anchor 3 (label 1): candidates 0, 2 -> 2
        [1.0, 1, 1, 1, 9],   # anchor 4 (every label): no candidate
    ])
    index, valid = hardest_negatives(similarity, labels)
    assert index[:4].tolist() == [3, 2, 0, 2]
    assert valid.tolist() == [True, True, True, True, False]


def test_negatives_by_input_similarity_follow_an_explicit_loop():
    method, data = build_method("acmr", negatives="input")
    rows = np.arange(20)
    batch = _batch(data, rows)
    image, text = method.image_net(batch.image), method.text_net(batch.text)
    triplets = method.triplets(image, text, batch)
    labels = batch.labels.numpy()
    for modality, inputs in (("image", batch.image.numpy()), ("text", batch.text.numpy())):
        index, valid = triplets[modality]
        for i in range(len(rows)):
            candidates = [k for k in range(len(rows)) if float(labels[i] @ labels[k]) == 0]
            assert bool(valid[i]) == bool(candidates)
            if candidates:
                def cos(k):
                    return float(inputs[i] @ inputs[k]) / (np.linalg.norm(inputs[i]) * np.linalg.norm(inputs[k]))
                best = max(cos(k) for k in candidates)
                assert cos(int(index[i])) == pytest.approx(best, abs=1e-6)
                assert int(index[i]) in candidates


def test_hardest_negatives_in_the_common_space_rank_by_distance():
    anchors = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    candidates = torch.tensor([[5.0, 5.0], [0.5, 0.0]])
    similarity = TRIPLET_NEGATIVES["hardest"](None, anchors, candidates)
    expected = -torch.tensor([[25.0, 0.125], [16.0, 0.625]])
    assert torch.allclose(similarity, expected)


def test_inter_modal_loss_uses_both_directions_and_the_pairs_as_positives():
    method, data = build_method("acmr", margin=0.7)
    rows = np.arange(12)
    batch = _batch(data, rows)
    image, text = method.image_net(batch.image), method.text_net(batch.text)
    triplets = method.triplets(image, text, batch)
    u, v = image.feature.detach(), text.feature.detach()
    total = 0.0
    for anchors, others, (index, valid) in ((u, v, triplets["image"]), (v, u, triplets["text"])):
        hinges = [max(0.0, 0.7 + float(((anchors[i] - others[i]) ** 2).mean())
                      - float(((anchors[i] - others[int(index[i])]) ** 2).mean()))
                  for i in range(len(rows)) if valid[i]]
        total += sum(hinges) / max(len(hinges), 1)
    assert method.inter_modal(u, v, triplets).item() == pytest.approx(total, rel=1e-5)


# -- label loss and regularisation ---------------------------------------------------------------------


def test_softmax_label_loss_hand_values():
    logits = torch.tensor([[0.0, math.log(3.0)]] * 3)  # softmax = (1/4, 3/4)
    labels = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    expected = (math.log(4.0) + (-0.5 * math.log(0.25) - 0.5 * math.log(0.75)) + 0.0) / 3
    assert LabelSoftmaxLoss()(logits, labels).item() == pytest.approx(expected, rel=1e-6)
    assert LABEL_LOSSES["softmax"] is LabelSoftmaxLoss


def test_frobenius_penalty_sums_weight_norms_once_per_layer_without_biases():
    a, b = nn.Linear(2, 1), nn.Linear(1, 2)
    with torch.no_grad():
        a.weight.copy_(torch.tensor([[3.0, 4.0]]))
        b.weight.copy_(torch.tensor([[1.0], [0.0]]))
        a.bias.fill_(100.0)
    shared = nn.Sequential(a, b)
    assert frobenius_penalty([shared, nn.Sequential(a)]).item() == pytest.approx(6.0)


# -- the modality classifiers behind the gradient reversal (hashx's GRL component) ---------------------


@pytest.mark.parametrize("schedule, progress", [("constant", 0.3), ("dann", 0.2)])
def test_modality_classifiers_reverse_the_gradient_into_both_projectors(schedule, progress):
    method, _ = build_method("acmr", grl_schedule=schedule, delta=0.5)
    assert isinstance(method.alignment, GRLAlignment)
    g = torch.Generator().manual_seed(1)
    u, v = torch.randn(4, 16, generator=g, requires_grad=True), torch.randn(4, 16, generator=g, requires_grad=True)
    labels = torch.eye(4, 3)
    image, text = HashOutput(u, None, None), HashOutput(v, None, None)
    batch = PairedBatch(np.arange(4), None, None, labels)
    terms = method.item_terms(image, text, batch, progress=progress, samples_seen=10)
    assert set(terms) == {"image/adversarial", "text/adversarial"}
    sum(terms.values()).backward()
    nets = method.alignment.nets
    reversed_grads = {m: [p.grad.clone() for p in nets[m].parameters()] for m in ("image", "text")}
    # by hand, without reversal: D_image tells U (0) from V (1), D_text tells V (0) from U (1)
    u2, v2 = u.detach().clone().requires_grad_(), v.detach().clone().requires_grad_()
    nets.zero_grad()
    plain_image = 0.5 * 0.5 * (F.binary_cross_entropy_with_logits(nets["image"](u2), torch.zeros(4))
                               + F.binary_cross_entropy_with_logits(nets["image"](v.detach()), torch.ones(4)))
    plain_text = 0.5 * 0.5 * (F.binary_cross_entropy_with_logits(nets["text"](v2), torch.zeros(4))
                              + F.binary_cross_entropy_with_logits(nets["text"](u.detach()), torch.ones(4)))
    (plain_image + plain_text).backward()
    lam = 1.0 if schedule == "constant" else dann_curve(progress)
    assert terms["image/adversarial"].item() == pytest.approx(plain_image.item(), rel=1e-6)
    assert terms["text/adversarial"].item() == pytest.approx(plain_text.item(), rel=1e-6)
    # each projector gets minus lambda times the gradient of its own classifier's loss, nothing from the other's
    assert torch.allclose(u.grad, -lam * u2.grad, atol=1e-7)
    assert torch.allclose(v.grad, -lam * v2.grad, atol=1e-7)
    assert u2.grad.abs().sum() > 0 and v2.grad.abs().sum() > 0
    for m in ("image", "text"):  # the classifiers themselves descend their loss
        for got, want in zip(reversed_grads[m], (p.grad for p in nets[m].parameters())):
            assert torch.allclose(got, want, atol=1e-7)


def test_modality_classifiers_step_with_the_towers():
    method, _ = build_method("acmr")
    assert set(method.alignment.modules()) == {"discriminator_image", "discriminator_text"}
    assert method.alignment.generator_optimizers() == [method.alignment.optimizer]
    assert method.alignment.discriminator_stage is False
    assert "discriminator" in method.optimizers


# -- the method -------------------------------------------------------------------------------------------


def test_method_combines_the_terms_with_its_weights():
    method, data = build_method("acmr", alpha=0.5, beta=0.25, gamma=2.0, delta=0.1, reg=0.01, eta=0.3,
                                grl_schedule="constant")
    rows = np.arange(16)
    batch = _batch(data, rows)
    image, text = method.image_net(batch.image), method.text_net(batch.text)
    terms = method.loss_terms(image, text, batch, progress=0.5, samples_seen=16)
    triplets = method.triplets(image, text, batch)
    labels = batch.labels
    ce = LabelSoftmaxLoss()
    d = method.alignment.nets
    expected = {
        "triplet": 0.5 * method.inter_modal(image.feature, text.feature, triplets),
        "code_triplet": 2.0 * method.inter_modal(image.code, text.code, triplets),
        "label": 0.25 * (ce(image.label_logit, labels) + ce(text.label_logit, labels)),
        "regularization": 0.01 * frobenius_penalty([method.image_net.body, method.image_net.common,
                                                    method.text_net.body, method.text_net.common]),
        "quantization": 0.3 * 0.5 * (((torch.sign(image.code) - image.code) ** 2).mean()
                                     + ((torch.sign(text.code) - text.code) ** 2).mean()),
        "image/adversarial": 0.1 * discriminator_loss(d["image"](image.feature), d["image"](text.feature)),
        "text/adversarial": 0.1 * discriminator_loss(d["text"](text.feature), d["text"](image.feature)),
    }
    assert terms.keys() == expected.keys()
    for name in expected:
        assert terms[name].item() == pytest.approx(expected[name].item(), rel=1e-5), name


def test_the_towers_share_the_code_and_label_heads_not_the_projectors():
    method, _ = build_method("acmr")
    image, text = method.image_net, method.text_net
    assert image.hash is text.hash and image.classifier is text.classifier
    assert image.common is not text.common and image.body is not text.body


@pytest.mark.parametrize("alignment", ["grl", "none"])
def test_one_epoch_trains_every_network_with_finite_losses(alignment):
    method, data = build_method("acmr", alignment=alignment)
    before = {name: {k: v.clone() for k, v in net.state_dict().items()} for name, net in method.modules().items()}
    stats = method.train_epoch(0, data)
    assert all(np.isfinite(v) for v in stats.values())
    assert ("image/adversarial" in stats and "text/adversarial" in stats) == (alignment != "none")
    classifiers = {"discriminator_image", "discriminator_text"} if alignment != "none" else set()
    assert set(method.modules()) == {"image", "text"} | classifiers
    for name, net in method.modules().items():
        assert any(not torch.equal(v, before[name][k]) for k, v in net.state_dict().items()), name


def test_without_the_classifier_the_adversarial_term_is_left_out():
    method, data = build_method("acmr", alignment="none")
    rows = np.arange(8)
    batch = _batch(data, rows)
    terms = method.loss_terms(method.image_net(batch.image), method.text_net(batch.text), batch, progress=0.1,
                              samples_seen=8)
    assert not any("adversarial" in name for name in terms)


@pytest.mark.parametrize("field, value", [("alignment", "gan"), ("negatives", "random"), ("margin", -0.1),
                                          ("label_loss", "hinge"), ("lr_classifier", 0.0)])
def test_settings_are_validated(field, value):
    with pytest.raises(HashxValueError, match=f"'{field}'"):
        ACMRSettings(**{field: value})


def test_registered_with_its_settings():
    assert ACMRSettings.method_class is ACMR and ACMR.name == "acmr"


# -- data-parallel training ---------------------------------------------------------------------------


@pytest.mark.slow
def test_two_workers_take_the_single_process_steps(tmp_path):
    # 52 fit items in batches of 17: the last batch has one item, so rank 0 runs the weight-0 stand-in
    assert ACMR.supports_distribution
    check_two_workers_match_one_process("acmr", tmp_path, {"batch_size": 17})
