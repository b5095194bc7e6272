"""hashx's preprocessing equals each backbone's reference transform (torchvision's weight-enum
transforms; open_clip's evaluation transform from the model's config), value for value."""

import numpy as np
import pytest
from features_testing import architecture
from PIL import Image

from hashx.exceptions import HashxValueError
from hashx.features import Preprocessing, get_backbone, list_backbones
from hashx.features._imports import import_open_clip, import_torchvision
from hashx.features.clip_backbones import _preprocess_cfg, open_clip_preprocessing
from hashx.features.torchvision_backbones import torchvision_preprocessing

# (width, height): landscape, portrait, odd sizes (crop offsets round), smaller than the crop (upsampled),
# exactly the crop, and a shorter side already equal to the resize
SIZES = [(64, 48), (37, 81), (333, 251), (20, 10), (224, 224), (300, 256), (256, 301)]


def _images(mode="RGB"):
    rng = np.random.default_rng(1)
    out = []
    for w, h in SIZES:
        yy, xx = np.mgrid[0:h, 0:w]
        base = np.stack([xx * 255 / w, yy * 255 / h, (xx * yy) % 256], axis=-1)
        pixels = np.clip(base + rng.normal(0, 30, (h, w, 3)), 0, 255).astype(np.uint8)
        out.append(Image.fromarray(pixels).convert(mode))
    return out


def _names(family):
    return [n for n in list_backbones() if get_backbone(n).family == family]


@pytest.mark.parametrize("name", _names("torchvision"))
def test_torchvision_preprocessing_equals_the_weights_transforms(name):
    spec = get_backbone(name)
    ours = torchvision_preprocessing(spec)
    reference = import_torchvision().models.get_weight(spec.weights_tag).transforms()
    assert (ours.resize, ours.crop, ours.interpolation) == (256, 224, "bilinear")
    for image in _images():
        expected = reference(image).numpy()
        got = ours(image)
        assert got.shape == (3, 224, 224) and got.dtype == np.float32
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", _names("open_clip"))
@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_open_clip_preprocessing_equals_its_evaluation_transform(name, mode):
    open_clip = import_open_clip()
    spec = get_backbone(name)
    model = architecture(name)  # on the meta device: only its config is read
    cfg = _preprocess_cfg(open_clip, spec, model)
    ours = open_clip_preprocessing(cfg, spec)
    from open_clip.transform import PreprocessCfg, image_transform_v2

    reference = image_transform_v2(PreprocessCfg(**cfg), is_train=False)
    assert (ours.resize, ours.crop, ours.interpolation) == (224, 224, "bicubic")
    for image in _images(mode):
        np.testing.assert_allclose(ours(image), reference(image).numpy(), rtol=0, atol=1e-6)


def test_preprocessing_by_hand():
    # a 4x2 image, shorter side 2 -> resize 2 keeps it; crop 2 takes columns 1..2 (offset round(1.0) = 1)
    pixels = np.arange(24, dtype=np.uint8).reshape(2, 4, 3) * 10
    p = Preprocessing(resize=2, crop=2, interpolation="bilinear", mean=(0.5, 0.5, 0.5), std=(0.25, 0.5, 1.0))
    out = p(Image.fromarray(pixels))
    expected = (pixels[:, 1:3].transpose(2, 0, 1).astype(np.float32) / np.float32(255) - 0.5) \
        / np.array([0.25, 0.5, 1.0], dtype=np.float32)[:, None, None]
    np.testing.assert_allclose(out, expected, rtol=0, atol=1e-7)
    assert p.resized_size(400, 300) == (2, 2) and Preprocessing(
        resize=10, crop=10, interpolation="bicubic", mean=(0, 0, 0), std=(1, 1, 1)).resized_size(30, 20) == (15, 10)


def test_preprocessing_rejects_bad_parameters():
    base = dict(resize=256, crop=224, interpolation="bilinear", mean=(0, 0, 0), std=(1, 1, 1))
    with pytest.raises(HashxValueError, match="'crop' parameter of Preprocessing must be an int in \\[1, 256\\]"):
        Preprocessing(**{**base, "crop": 300})
    with pytest.raises(HashxValueError, match="'interpolation'"):
        Preprocessing(**{**base, "interpolation": "area"})
    with pytest.raises(HashxValueError, match="'std' parameter of Preprocessing must be 3 floats > 0"):
        Preprocessing(**{**base, "std": (1, 0, 1)})
    assert Preprocessing(**base).to_dict()["mean"] == [0.0, 0.0, 0.0]
