"""ACMR: triplets, label loss, regularisation and the reversed modality classifier, by hand; one epoch of training."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from hashx.alignment import AlignmentBatch, ModalityClassifierAlignment, create_alignment, dann_curve
from hashx.exceptions import HashxValueError
from hashx.losses import LABEL_LOSSES, LabelSoftmaxLoss, TripletLoss, discriminator_loss, frobenius_penalty
from hashx.losses.triplet import TRIPLET_NEGATIVES, hardest_negatives, squared_distance
from hashx.methods import ACMR, ACMRSettings, configure
from hashx.methods.common_space import PairedBatch
from hashx.train import FitData
from method_testing import TINY_RUN, TINY_SETTINGS
from ssah_testing import tiny_dataset, tiny_split

torch.set_num_threads(2)


def build(**changes):
    """An ACMR built for the tiny data (normalisers fitted) and its FitData."""
    dataset = tiny_dataset()
    run, settings = configure("acmr", {**TINY_RUN, **TINY_SETTINGS["acmr"], **changes})
    data = FitData(dataset, tiny_split(len(dataset)).fit, device=torch.device("cpu"))
    method = settings.build(run=run, data=data, device=torch.device("cpu"))
    method.setup(data)
    return method, data


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
    method, data = build(negatives="input")
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
    method, data = build(margin=0.7)
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


# -- the modality classifier behind the gradient reversal ----------------------------------------------


@pytest.mark.parametrize("schedule, progress", [("constant", 0.3), ("dann", 0.2)])
def test_modality_classifier_gradient_is_reversed_into_both_modalities(schedule, progress):
    torch.manual_seed(0)
    alignment = ModalityClassifierAlignment(schedule=schedule, feature_dim=6, weight=0.5, lr=1e-3)
    g = torch.Generator().manual_seed(1)
    image, text = torch.randn(4, 6, generator=g, requires_grad=True), torch.randn(4, 6, generator=g, requires_grad=True)
    term = alignment.generator_terms("image", AlignmentBatch(image, text), progress=progress, samples_seen=10)
    term["adversarial"].backward()
    net = alignment.nets["modality"]
    reversed_grads = [p.grad.clone() for p in net.parameters()]
    net.zero_grad()
    # the plain classifier loss: image -> 0, text -> 1, without reversal
    image2, text2 = image.detach().clone().requires_grad_(), text.detach().clone().requires_grad_()
    plain = 0.5 * discriminator_loss(net(image2), net(text2))
    plain.backward()
    lam = 1.0 if schedule == "constant" else dann_curve(progress)
    assert term["adversarial"].item() == pytest.approx(plain.item(), rel=1e-6)
    assert torch.allclose(image.grad, -lam * image2.grad, atol=1e-7)
    assert torch.allclose(text.grad, -lam * text2.grad, atol=1e-7)
    assert image2.grad.abs().sum() > 0 and text2.grad.abs().sum() > 0
    for got, want in zip(reversed_grads, (p.grad for p in net.parameters())):
        assert torch.allclose(got, want, atol=1e-7)  # the classifier itself descends its loss


def test_modality_classifier_is_one_network_that_steps_with_the_towers():
    alignment = create_alignment("modality_classifier", feature_dim=8, weight=1.0, lr=1e-3)
    assert list(alignment.modules()) == ["discriminator_modality"]
    assert alignment.generator_optimizers() == [alignment.optimizer]
    assert alignment.discriminator_stage is False


# -- the method -------------------------------------------------------------------------------------------


def test_method_combines_the_terms_with_its_weights():
    method, data = build(alpha=0.5, beta=0.25, gamma=2.0, delta=0.1, reg=0.01, eta=0.3, grl_schedule="constant")
    rows = np.arange(16)
    batch = _batch(data, rows)
    image, text = method.image_net(batch.image), method.text_net(batch.text)
    terms = method.loss_terms(image, text, batch, progress=0.5, samples_seen=16)
    triplets = method.triplets(image, text, batch)
    labels = batch.labels
    ce = LabelSoftmaxLoss()
    d = method.alignment.nets["modality"]
    expected = {
        "triplet": 0.5 * method.inter_modal(image.feature, text.feature, triplets),
        "code_triplet": 2.0 * method.inter_modal(image.code, text.code, triplets),
        "label": 0.25 * (ce(image.label_logit, labels) + ce(text.label_logit, labels)),
        "regularization": 0.01 * frobenius_penalty([method.image_net.body, method.image_net.common,
                                                    method.text_net.body, method.text_net.common]),
        "quantization": 0.3 * 0.5 * (((torch.sign(image.code) - image.code) ** 2).mean()
                                     + ((torch.sign(text.code) - text.code) ** 2).mean()),
        "adversarial": 0.1 * discriminator_loss(d(image.feature), d(text.feature)),
    }
    assert terms.keys() == expected.keys()
    for name in expected:
        assert terms[name].item() == pytest.approx(expected[name].item(), rel=1e-5), name


def test_the_towers_share_the_code_and_label_heads_not_the_projectors():
    method, _ = build()
    image, text = method.image_net, method.text_net
    assert image.hash is text.hash and image.classifier is text.classifier
    assert image.common is not text.common and image.body is not text.body


@pytest.mark.parametrize("alignment", ["modality_classifier", "none"])
def test_one_epoch_trains_every_network_with_finite_losses(alignment):
    method, data = build(alignment=alignment)
    before = {name: {k: v.clone() for k, v in net.state_dict().items()} for name, net in method.modules().items()}
    stats = method.train_epoch(0, data)
    assert all(np.isfinite(v) for v in stats.values())
    assert ("adversarial" in stats) == (alignment != "none")
    assert set(method.modules()) == {"image", "text"} | ({"discriminator_modality"} if alignment != "none" else set())
    for name, net in method.modules().items():
        assert any(not torch.equal(v, before[name][k]) for k, v in net.state_dict().items()), name


def test_without_the_classifier_the_adversarial_term_is_left_out():
    method, data = build(alignment="none")
    rows = np.arange(8)
    batch = _batch(data, rows)
    terms = method.loss_terms(method.image_net(batch.image), method.text_net(batch.text), batch, progress=0.1,
                              samples_seen=8)
    assert "adversarial" not in terms


@pytest.mark.parametrize("field, value", [("alignment", "grl"), ("negatives", "random"), ("margin", -0.1),
                                          ("label_loss", "hinge"), ("lr_classifier", 0.0)])
def test_settings_are_validated(field, value):
    with pytest.raises(HashxValueError, match=f"'{field}'"):
        ACMRSettings(**{field: value})


def test_registered_with_its_settings():
    assert ACMRSettings.method_class is ACMR and ACMR.name == "acmr"
