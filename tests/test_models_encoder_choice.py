"""Networks and normalisation chosen from the data ("auto" settings)."""

import numpy as np
import pytest
import torch

from hashx.exceptions import HashxValueError
from hashx.models import (
    MIN_FUSION_DIM,
    MIN_HIDDEN_DIM,
    SPARSE_ZERO_FRACTION,
    choose_hidden_dim,
    choose_input_norm,
    choose_text_net,
    modality_net_specs,
)
from hashx.train import DataDims
from ssah_testing import build_ssah, tiny_dataset

rng = np.random.default_rng(0)


@pytest.mark.parametrize("values, expected", [
    (rng.poisson(0.02, (50, 400)).astype(np.float32), "rms"),               # sparse bag-of-words
    ((rng.random((50, 400)) < 0.03).astype(np.float32), "rms"),             # binary tags
    (rng.poisson(0.3, (50, 40)).astype(np.float32), "standardize"),         # dense counts (~74% zeros)
    (rng.integers(0, 17, (50, 16)) * (rng.random((50, 16)) < 0.5), "standardize"),  # pixel intensities
    (rng.dirichlet(np.ones(10), 50), "standardize"),                        # topic proportions
    (np.eye(10)[rng.integers(0, 10, 50)], "standardize"),                   # one-hot rows sum to 1
    (rng.standard_normal((50, 40)), "standardize"),                         # dense real features
    (np.abs(rng.standard_normal((50, 40))), "standardize"),                 # ReLU activations
    (torch.from_numpy(rng.poisson(0.02, (50, 400)).astype(np.float32)), "rms"),  # a tensor too
])
def test_input_norm_follows_what_the_values_are(values, expected):
    assert choose_input_norm(values)[0] == expected


def test_counts_are_sparse_from_the_stated_fraction_of_zeros_on():
    n = 1000
    at = np.zeros((1, n))
    at[0, : round(n * (1 - SPARSE_ZERO_FRACTION))] = 3.0       # exactly the threshold: sparse
    assert choose_input_norm(at)[0] == "rms"
    below = at.copy()
    below[0, round(n * (1 - SPARSE_ZERO_FRACTION))] = 1.0      # one zero fewer: dense
    assert choose_input_norm(below)[0] == "standardize"
    assert "zeros" in choose_input_norm(at)[1] and "zeros" in choose_input_norm(below)[1]
    assert choose_input_norm(at - 0.5)[0] == "standardize"    # not integers (nor non-negative)


def test_text_net_and_width_rules():
    assert choose_text_net(1386)[0] == "text_net" and choose_text_net(MIN_FUSION_DIM)[0] == "text_net"
    assert choose_text_net(MIN_FUSION_DIM - 1)[0] == "text_mlp" and choose_text_net(10)[0] == "text_mlp"
    sizes = (1, 10, 1350, 2000, 2896, 2897, 5792, 5793, 10000, 200000)
    assert [choose_hidden_dim(n) for n in sizes] == [1024, 1024, 1024, 1024, 1024, 2048, 2048, 4096, 4096, 4096]


def test_specs_resolve_auto_and_keep_explicit_values():
    dims = DataDims(image_kind="features", image_dim=128, text_dim=10, n_labels=10)
    image = rng.poisson(0.05, (2000, 128)).astype(np.float32)
    text = rng.dirichlet(np.ones(10), 2000).astype(np.float32)
    specs = modality_net_specs(dims=dims, nbits=32, n_fit=2000, image_values=image, text_values=text)
    assert specs["image"].name == "image_mlp" and specs["text"].name == "text_mlp"
    assert specs["image"].kwargs["norm"] == "rms" and specs["text"].kwargs["norm"] == "standardize"
    assert specs["image"].kwargs["hidden_dim"] == specs["text"].kwargs["hidden_dim"] == 1024
    fixed = modality_net_specs(dims=dims, nbits=32, n_fit=2000, image_values=image, text_values=text,
                               text_net="text_net", hidden_dim=64, image_norm="none", text_norm="rms")
    assert fixed["text"].name == "text_net" and fixed["text"].kwargs["hidden_dim"] == 64
    assert (fixed["image"].kwargs["norm"], fixed["text"].kwargs["norm"]) == ("none", "rms")
    with pytest.raises(HashxValueError, match="'text_norm'.*'auto'"):
        modality_net_specs(dims=dims, nbits=32, n_fit=10, image_values=image, text_values=text, text_norm="zscore")


def test_ssah_with_auto_settings_builds_what_the_data_asks_for():
    ds = tiny_dataset(text_dim=12)
    method, _ = build_ssah(ds, text_net="auto", hidden_dim="auto", text_norm="auto", image_norm="auto", setup=False)
    spec = method.encoder_spec()
    assert spec["text"]["name"] == "text_mlp" and spec["text"]["kwargs"]["hidden_dim"] == MIN_HIDDEN_DIM
    # the tiny text is binary but dense (about a third of its entries are ones): standardised, not RMS-scaled
    assert float(np.mean(ds.text == 0)) < SPARSE_ZERO_FRACTION
    assert spec["text"]["kwargs"]["norm"] == "standardize" and spec["image"]["kwargs"]["norm"] == "standardize"
    assert method.label_net.body[0].out_features == MIN_HIDDEN_DIM
