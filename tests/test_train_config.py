"""TrainConfig validation and round trip; device resolution."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from hashx.exceptions import HashxTypeError, HashxValueError
from hashx.train import TrainConfig, resolve_device


def test_defaults_round_trip_through_dict():
    config = TrainConfig()
    assert TrainConfig.from_dict(config.to_dict()) == config
    changed = config.replace(nbits=32, alignment="grl")
    assert changed.nbits == 32 and changed.alignment == "grl" and config.nbits == 64


def test_frozen_and_keyword_only():
    config = TrainConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.nbits = 16
    with pytest.raises(TypeError):
        TrainConfig("ssah")


@pytest.mark.parametrize("field, value, error", [
    ("nbits", 12, HashxValueError),
    ("nbits", 16.0, HashxTypeError),
    ("alignment", "wgan", HashxValueError),
    ("pairwise_loss", "hinge", HashxValueError),
    ("quantization", "none", HashxValueError),
    ("alpha", -1.0, HashxValueError),
    ("delta", float("nan"), HashxValueError),
    ("beta", "1", HashxTypeError),
    ("lr_image", 0.0, HashxValueError),
    ("lr_min_factor", 1.5, HashxValueError),
    ("epochs", 0, HashxValueError),
    ("batch_size", 1, HashxValueError),
    ("patience", 0, HashxValueError),
    ("device", "tpu", HashxValueError),
    ("image_norm", "zscore", HashxValueError),
    ("seed", -1, HashxValueError),
])
def test_invalid_settings_name_the_parameter(field, value, error):
    with pytest.raises(error, match=f"'{field}'"):
        TrainConfig(**{field: value})


def test_from_dict_rejects_unknown_settings():
    with pytest.raises(HashxValueError, match="learning_rate"):
        TrainConfig.from_dict({"learning_rate": 0.1})


def test_device_resolution():
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(HashxValueError, match="'device'"):
        resolve_device("banana")
    if not torch.cuda.is_available():
        with pytest.raises(HashxValueError, match="CUDA"):
            resolve_device("cuda")
