"""Every registered network: output shapes, backward pass, no NaN; plus the building blocks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hashx.exceptions import HashxTypeError, HashxValueError
from hashx.models import (
    HashOutput,
    InputNorm,
    MultiScaleFusion,
    SSAHLocalResponseNorm,
    create_model,
    list_models,
    model_role,
)

torch.set_num_threads(2)

NBITS, N_LABELS, HIDDEN, FEATURE, BATCH = 16, 7, 48, 24, 5
TINY_CNNF = dict(channels=(4, 6, 6, 6, 5), fc_dims=(16, 16))


def _cases(name):
    """(constructor kwargs, input tensor) pairs covering the widths of the acceptance criteria."""
    role = model_role(name)
    g = torch.Generator().manual_seed(0)
    heads = dict(nbits=NBITS, n_labels=N_LABELS)
    if role == "label":
        for c in (2, N_LABELS, 300):
            yield dict(nbits=NBITS, n_labels=c, hidden_dim=HIDDEN, feature_dim=FEATURE), \
                (torch.rand(BATCH, c, generator=g) < 0.3).float()
    elif role == "text":
        for t in (10, 37, 100, 1386, 2000):
            x = (torch.rand(BATCH, t, generator=g) < 0.1).float() * 3
            x[torch.arange(BATCH), torch.arange(BATCH) * 7 % t] += 1.0  # no two rows alike
            yield dict(in_dim=t, hidden_dim=HIDDEN, feature_dim=FEATURE, **heads), x
    elif role == "image" and name == "image_cnnf":
        for size in (64, 224):
            yield dict(feature_dim=FEATURE, **TINY_CNNF, **heads), \
                torch.randint(0, 256, (2, size, size, 3), generator=g, dtype=torch.uint8)
    elif role == "image":
        for d in (128, 1000, 4096):
            yield dict(in_dim=d, hidden_dim=HIDDEN, feature_dim=FEATURE, **heads), \
                torch.randn(BATCH, d, generator=g).abs() * 5
    elif role == "discriminator" and name == "projection_discriminator":
        for d, c in ((FEATURE, 1), (512, N_LABELS)):
            labels = (torch.rand(BATCH, c, generator=g) < 0.5).float()
            yield dict(feature_dim=d, n_labels=c), (torch.randn(BATCH, d, generator=g).relu(), labels)
    elif role == "discriminator":
        for d in (FEATURE, 512):
            yield dict(feature_dim=d), torch.randn(BATCH, d, generator=g).relu()
    else:  # pragma: no cover - a new role must get a case here
        raise AssertionError(f"no test inputs for role {role!r} of model {name!r}")


@pytest.mark.parametrize("name", list_models())
def test_every_model_forward_backward_no_nan(name):
    cases = list(_cases(name))
    assert cases, name
    for kwargs, x in cases:
        torch.manual_seed(0)
        net = create_model(name, **kwargs)
        out = net(*x) if isinstance(x, tuple) else net(x)
        b = (x[0] if isinstance(x, tuple) else x).shape[0]
        if isinstance(out, HashOutput):
            assert out.feature.shape == (b, FEATURE)
            assert out.code.shape == (b, NBITS)
            assert out.label_logit.shape == (b, kwargs["n_labels"])
            assert torch.all(out.code.abs() <= 1)
            assert torch.all(out.feature >= 0)  # ReLU features, as SSAH
            tensors = list(out)
        else:
            assert out.shape == (b,)
            tensors = [out]
        assert all(torch.isfinite(t).all() for t in tensors), (name, kwargs)
        # the codes must depend on the input (no item-independent start, see hashx.models.init)
        if isinstance(out, HashOutput):
            assert not torch.allclose(out.code[0], out.code[1])
        sum(t.float().pow(2).mean() for t in tensors).backward()
        for pname, p in net.named_parameters():
            assert p.grad is not None, (name, pname, kwargs)
            assert torch.isfinite(p.grad).all(), (name, pname, kwargs)
        assert any(p.grad.abs().sum() > 0 for p in net.parameters())


def test_registry_lists_the_ssah_networks():
    assert set(list_models()) >= {"label_net", "image_mlp", "image_cnnf", "text_net", "discriminator"}
    assert model_role("text_net") == "text"


def test_unknown_model_error_lists_valid_names():
    with pytest.raises(HashxValueError) as err:
        create_model("resnet50")
    msg = str(err.value)
    assert "'resnet50'" in msg
    for name in list_models():
        assert repr(name) in msg
    with pytest.raises(HashxTypeError):
        create_model(3)


def test_bad_constructor_arguments_name_the_parameter():
    with pytest.raises(HashxValueError, match="'nbits'"):
        create_model("label_net", n_labels=4, nbits=12)
    with pytest.raises(HashxValueError, match="'in_dim'"):
        create_model("text_net", in_dim=0, n_labels=4, nbits=16)
    with pytest.raises(HashxValueError, match="'kind'"):
        create_model("image_mlp", in_dim=8, n_labels=4, nbits=16, norm="zscore")


def _fusion_oracle(x, windows, weights):
    """Slow numpy multi-scale fusion: VALID average pooling, scalar * ReLU, half-pixel linear resize."""
    b, t = x.shape
    out = [x]
    for w, a in zip(sorted(windows), weights):
        we = min(w, t)
        n = t // we
        pooled = x[:, : n * we].reshape(b, n, we).mean(axis=2)
        branch = np.maximum(pooled * a, 0.0)
        src = np.clip((np.arange(t) + 0.5) * n / t - 0.5, 0, None)
        lo = np.minimum(np.floor(src).astype(int), n - 1)
        hi = np.minimum(lo + 1, n - 1)
        frac = src - np.floor(src)
        out.append(branch[:, lo] * (1 - frac) + branch[:, hi] * frac)
    return np.stack(out, axis=1)


def test_fusion_hand_computed_short_vector():
    fusion = MultiScaleFusion(10)
    assert fusion.effective_windows == (5, 10, 10, 10, 10)  # 15, 30, 50 clamped to the length
    y = fusion(torch.arange(10.0).unsqueeze(0))[0].detach().numpy()
    assert y.shape == (6, 10)
    np.testing.assert_allclose(y[0], np.arange(10.0))
    # window 5 pools to [2, 7]; resized back with half-pixel centres
    np.testing.assert_allclose(y[1], [2, 2, 2, 3, 4, 5, 6, 7, 7, 7], atol=1e-6)
    # windows wider than the vector see its global mean
    for channel in y[2:]:
        np.testing.assert_allclose(channel, np.full(10, 4.5), atol=1e-6)


@pytest.mark.parametrize("t", [3, 10, 49, 101, 1386])
def test_fusion_matches_numpy_oracle(t):
    rng = np.random.default_rng(t)
    x = rng.standard_normal((3, t)).astype(np.float32)
    fusion = MultiScaleFusion(t)
    with torch.no_grad():
        fusion.weight.copy_(torch.tensor([1.0, -0.5, 2.0, 0.3, 1.5]))
        y = fusion(torch.from_numpy(x)).numpy()
    expected = _fusion_oracle(x.astype(np.float64), (50, 30, 15, 10, 5), [1.0, -0.5, 2.0, 0.3, 1.5])
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def test_lrn_matches_tensorflow_formula():
    x = torch.tensor([[1.0, -2.0, 30.0, 4.0, 50.0, 6.0, 0.5]])
    y = SSAHLocalResponseNorm()(x)[0].numpy()
    v = x[0].double().numpy()
    expected = [v[c] / (2.0 + 1e-4 * np.sum(v[max(0, c - 2):c + 3] ** 2)) ** 0.75 for c in range(7)]
    np.testing.assert_allclose(y, expected, rtol=1e-5)
    four_d = SSAHLocalResponseNorm()(x.view(1, 7, 1, 1)).view(1, 7)
    np.testing.assert_allclose(four_d.numpy()[0], expected, rtol=1e-5)


def test_input_norm_fitted_statistics():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((500, 6)) * [1, 10, 100, 0.1, 1, 1] + [5, -3, 0, 1, 2, 0]
    x[:, 5] = 7.0  # constant column: floored std, no blow-up
    std = InputNorm(6, kind="standardize").fit(x.astype(np.float32))
    y = std(torch.tensor(x, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(y[:, :5].mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(y[:, :5].std(0), 1, rtol=1e-3)
    assert np.abs(y[:, 5]).max() < 1e-3
    rms = InputNorm(6, kind="rms").fit(x)
    z = rms(torch.tensor(x, dtype=torch.float32)).numpy()
    assert abs(float(np.mean(z.astype(np.float64) ** 2)) - 1.0) < 1e-4
    assert np.all(np.sign(z) == np.sign(x))  # no shift: signs and zeros kept
    ident = InputNorm(6, kind="none").fit(x)
    np.testing.assert_array_equal(ident(torch.ones(1, 6)).numpy(), np.ones((1, 6)))
    with pytest.raises(HashxValueError, match="'x'"):
        InputNorm(6).fit(np.zeros((4, 5)))


def test_cnnf_rejects_too_small_images():
    net = create_model("image_cnnf", nbits=16, n_labels=3, **TINY_CNNF)
    with pytest.raises(ValueError, match="at least 63"):
        net(torch.zeros(1, 32, 32, 3, dtype=torch.uint8))


def test_init_makes_codes_item_dependent_for_every_text_width():
    """He/LeCun init, zero biases: the starting codes vary across items (SSAH's N(0, 0.01) would not)."""
    for t in (10, 2000):
        torch.manual_seed(0)
        net = create_model("text_net", in_dim=t, n_labels=5, nbits=32, hidden_dim=256, feature_dim=64)
        x = (torch.rand(64, t) < 0.05).float()
        net.norm.fit(x.numpy())
        code = net(x).code
        assert code.std(dim=0).mean() > 0.05, t
