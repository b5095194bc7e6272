"""DSCMR: its loss terms against hand-computed values, the weight-shared towers, one epoch of training."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from hashx.data.dataset import CrossModalDataset
from hashx.exceptions import HashxValueError
from hashx.losses import CommonSpaceDiscriminationLoss, LabelSpaceLoss, ModalityInvarianceLoss
from hashx.losses.common_space import cosine_matrix
from hashx.methods import DSCMR, DSCMRSettings, configure
from hashx.models import CommonSpaceTower, create_model
from hashx.models.common_tower import share_parts
from hashx.train import load_encoder, train
from dist_testing import check_two_workers_match_one_process
from method_testing import TINY_RUN, TINY_SETTINGS, build_method
from ssah_testing import tiny_dataset, tiny_split

torch.set_num_threads(2)


def _softplus(x):
    return math.log(1.0 + math.exp(x))


# -- the loss terms, by hand --------------------------------------------------------------------------


def test_label_space_loss_is_the_mean_of_per_item_residual_norms():
    predictions = torch.tensor([[1.0, 0.0], [0.5, 0.5], [3.0, 4.0]])
    labels = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    # residual norms: 0, sqrt(0.5), 5
    expected = (0.0 + math.sqrt(0.5) + 5.0) / 3
    assert LabelSpaceLoss()(predictions, labels).item() == pytest.approx(expected, rel=1e-6)


def test_modality_invariance_is_the_mean_euclidean_distance_of_the_pairs():
    image = torch.tensor([[3.0, 4.0], [1.0, 1.0]])
    text = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    assert ModalityInvarianceLoss()(image, text).item() == pytest.approx(2.5, rel=1e-6)


def test_common_space_discrimination_hand_case():
    # cosines are 0 or 1, S = identity (two items, one label each)
    image = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    text = torch.tensor([[3.0, 0.0], [1.0, 0.0]])
    labels = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    sim, same = _softplus(0.5) - 0.5, _softplus(0.5)  # G = 0.5 with S = 1, with S = 0
    log2 = math.log(2.0)
    # image-image: cos = I; image-text: rows (1, 1), (0, 0); text-text: all cosines 1
    uu = (2 * sim + 2 * log2) / 4
    uv = (sim + same + 2 * log2) / 4
    vv = (2 * sim + 2 * same) / 4
    got = CommonSpaceDiscriminationLoss()(image, text, labels).item()
    assert got == pytest.approx(uu + uv + vv, rel=1e-6)


def test_common_space_discrimination_equals_an_explicit_loop():
    g = torch.Generator().manual_seed(3)
    image, text = torch.randn(5, 4, generator=g), torch.randn(5, 4, generator=g)
    labels = (torch.rand(5, 3, generator=g) < 0.4).float()
    labels[0] = torch.tensor([1.0, 0.0, 0.0])

    def cos(a, b):
        return float(a @ b) / (float(a.norm()) * float(b.norm()))

    total = 0.0
    for a, b in ((image, image), (image, text), (text, text)):
        block = 0.0
        for i in range(5):
            for j in range(5):
                s = 1.0 if float(labels[i] @ labels[j]) > 0 else 0.0
                gamma = 0.5 * cos(a[i], b[j])
                block += _softplus(gamma) - s * gamma
        total += block / 25
    got = CommonSpaceDiscriminationLoss()(image, text, labels).item()
    assert got == pytest.approx(total, rel=1e-5)


def test_cosine_matrix_of_a_zero_row_is_zero_not_nan():
    c = cosine_matrix(torch.tensor([[0.0, 0.0], [1.0, 1.0]]), torch.tensor([[2.0, 2.0]]))
    assert torch.allclose(c, torch.tensor([[0.0], [1.0]]), atol=1e-6)


def test_method_combines_the_terms_with_its_weights():
    method, data = build_method("dscmr", alpha=0.5, beta=0.25, gamma=2.0, eta=0.3)
    rows = np.arange(10)
    image, text = method.image_net(data.image_batch(rows)), method.text_net(data.text_batch(rows))
    labels = data.label_batch(rows)
    from hashx.methods.common_space import PairedBatch

    terms = method.loss_terms(image, text, PairedBatch(rows, data.image_batch(rows), data.text_batch(rows), labels),
                              progress=0.5, samples_seen=10)
    j1 = LabelSpaceLoss()(image.label_logit, labels) + LabelSpaceLoss()(text.label_logit, labels)
    j2 = CommonSpaceDiscriminationLoss()(image.feature, text.feature, labels)
    j3 = ModalityInvarianceLoss()(image.feature, text.feature)
    j2_codes = CommonSpaceDiscriminationLoss()(image.code, text.code, labels)
    quant = 0.5 * (((torch.sign(image.code) - image.code) ** 2).mean()
                   + ((torch.sign(text.code) - text.code) ** 2).mean())
    expected = {"label_space": j1, "common_space": 0.5 * j2, "invariance": 0.25 * j3, "code_space": 2.0 * j2_codes,
                "quantization": 0.3 * quant}
    assert terms.keys() == expected.keys()
    for name in expected:
        assert terms[name].item() == pytest.approx(expected[name].item(), rel=1e-5), name


# -- the weight-shared towers --------------------------------------------------------------------------


def test_the_towers_share_the_last_layer_the_classifier_and_the_hash_layer():
    method, _ = build_method("dscmr")
    image, text = method.image_net, method.text_net
    assert image.common is text.common and image.classifier is text.classifier and image.hash is text.hash
    assert image.body is not text.body
    unique = {id(p) for p in list(image.parameters()) + list(text.parameters())}
    optimised = [p for group in method.optimizers["networks"][0].param_groups for p in group["params"]]
    assert len(optimised) == len(unique) == len({id(p) for p in optimised})


def test_each_tower_is_rebuilt_alone_from_its_kwargs_and_state(tmp_path):
    run, settings = configure("dscmr", {**TINY_RUN, **TINY_SETTINGS["dscmr"], "epochs": 1})
    ds, split = tiny_dataset(), tiny_split()
    result = train(ds, split, tmp_path, method=settings, run=run)
    encoder = load_encoder(result.best_checkpoint)
    image, text = encoder.nets["image"], encoder.nets["text"]
    assert isinstance(image, CommonSpaceTower) and image.common is not text.common
    # the shared weights were saved in both towers, equal
    for part in ("common", "hash", "classifier"):
        for a, b in zip(getattr(image, part).parameters(), getattr(text, part).parameters()):
            assert torch.equal(a, b), part


def test_share_parts_rejects_unknown_parts_and_different_shapes():
    a = create_model("common_space_image", in_dim=6, n_labels=3, nbits=8, hidden_dim=5, feature_dim=4)
    b = create_model("common_space_text", in_dim=7, n_labels=3, nbits=16, hidden_dim=5, feature_dim=4)
    with pytest.raises(HashxValueError, match="'parts'"):
        share_parts(a, b, ["body"])
    with pytest.raises(HashxValueError, match="'hash'"):
        share_parts(a, b, ["hash"])
    share_parts(a, b, ["common", "classifier"])
    assert a.common is b.common


# -- training ----------------------------------------------------------------------------------------------


def test_one_epoch_trains_every_network_with_finite_losses():
    method, data = build_method("dscmr")
    before = {name: {k: v.clone() for k, v in net.state_dict().items()} for name, net in method.modules().items()}
    stats = method.train_epoch(0, data)
    assert set(stats) == {"label_space", "common_space", "invariance", "code_space", "quantization", "lr_factor"}
    assert all(np.isfinite(v) for v in stats.values())
    for name, net in method.modules().items():
        changed = [k for k, v in net.state_dict().items() if not torch.equal(v, before[name][k])]
        assert any(k.startswith("body") for k in changed), name
        assert {"common.0.weight", "hash.weight", "classifier.weight"} <= set(changed), name
    shared_i, shared_t = method.image_net.state_dict(), method.text_net.state_dict()
    assert torch.equal(shared_i["common.0.weight"], shared_t["common.0.weight"])


def test_raw_images_are_refused_with_a_clear_error():
    ds = tiny_dataset()
    raw = CrossModalDataset(image=np.zeros((len(ds), 64, 64, 3), np.uint8), text=ds.text, labels=ds.labels,
                            name="raw")
    with pytest.raises(HashxValueError, match="image feature vectors"):
        build_method("dscmr", raw)


@pytest.mark.parametrize("field, value", [("alpha", -1.0), ("feature_dim", 0), ("lr", 0.0), ("image_norm", "zscore")])
def test_settings_are_validated(field, value):
    with pytest.raises(HashxValueError, match=f"'{field}'"):
        DSCMRSettings(**{field: value})


def test_registered_with_its_settings():
    assert DSCMRSettings.method_class is DSCMR and DSCMR.name == "dscmr"


# -- data-parallel training ---------------------------------------------------------------------------


@pytest.mark.slow
def test_two_workers_take_the_single_process_steps(tmp_path):
    # 52 fit items in batches of 17: the last batch has one item, so rank 0 runs the weight-0 stand-in
    assert DSCMR.supports_distribution
    check_two_workers_match_one_process("dscmr", tmp_path, {"batch_size": 17})
