"""Every registered backbone, with random weights in its published file format: features equal the
backbone's own package (model + weights loader + preprocessing), shapes, metadata, determinism,
no download, and clear errors for missing, truncated and wrong weights files."""

import hashlib

import numpy as np
import pytest
import torch
from features_testing import architecture, loaded_backbone, make_images, no_network, weights_file  # noqa: F401
from PIL import Image

from hashx import __version__
from hashx.exceptions import CheckpointError, HashxValueError
from hashx.features import extract_image_features, get_backbone, list_backbones, load_backbone
from hashx.features._imports import import_open_clip, import_torchvision
from hashx.features.weights_file import read_state_dict, resolve_weights_path

SIZES = [(40, 30), (30, 52)]  # landscape and portrait; batch_size=1 below makes two batches


def _reference_features(name, path, images, texts=None):
    """Features computed by the backbone's own package: its loader, its transform, its forward pass."""
    spec = get_backbone(name)
    pil = [Image.open(p).convert("RGB") for p in images]
    with torch.inference_mode():
        if spec.family == "torchvision":
            tv = import_torchvision()
            model = architecture(name)  # torchvision's own builder; shapes only, then the file's tensors
            model.load_state_dict(torch.load(path, weights_only=True), assign=True)
            model.eval()
            transform = tv.models.get_weight(spec.weights_tag).transforms()
            # the feature is read off the layer itself with a hook, not by cutting the model
            layer = model.avgpool if spec.arch.startswith("resnet") else model.classifier[4]
            seen = []
            layer.register_forward_hook(lambda m, i, o: seen.append(torch.flatten(o, 1)))
            model(torch.stack([transform(im) for im in pil]))
            return seen[0].numpy(), None
        open_clip = import_open_clip()
        model, _, preprocess = open_clip.create_model_and_transforms(
            spec.arch, pretrained=str(path), force_quick_gelu=spec.quick_gelu)
        model.eval()
        image = model.encode_image(torch.stack([preprocess(im) for im in pil])).numpy()
        text = model.encode_text(open_clip.get_tokenizer(spec.arch)(texts)).numpy() if texts else None
        return image, text


@pytest.mark.slow
@pytest.mark.parametrize("name", list_backbones())
def test_backbone_features_equal_the_reference_package(name, tmp_path, no_network):  # noqa: F811
    spec = get_backbone(name)
    path = weights_file(name)
    images = make_images(tmp_path / "img", SIZES)
    info = extract_image_features(tmp_path / "img", backbone=name, weights=path, out=tmp_path / "a.npz",
                                  batch_size=1, chunk_size=1)
    with np.load(tmp_path / "a.npz", allow_pickle=False) as z:
        features, paths = z["image"], z["paths"]
    assert features.shape == (2, spec.dim) and features.dtype == np.float32
    assert paths.tolist() == ["im1.png", "im2.jpg"]
    assert np.isfinite(features).all() and features.std() > 0

    meta = info.meta
    assert meta["backbone"] == name and meta["dim"] == spec.dim and meta["count"] == 2
    assert meta["weights_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert meta["weights_file"] == path.name and meta["hashx_version"] == __version__
    assert meta["layer"] == spec.layer and meta["versions"]["torch"] == torch.__version__

    texts = ["a dog on the grass", "sky clouds sunset", "", "x " * 200] if spec.has_text else None
    ref_image, ref_text = _reference_features(name, path, images, texts)
    np.testing.assert_allclose(features, ref_image, rtol=1e-4, atol=1e-4 * np.abs(ref_image).max())

    # determinism: a second load of the same file, same batches -> the same bits
    backbone = loaded_backbone(name)
    extract_image_features(tmp_path / "img", backbone=backbone, out=tmp_path / "b.npz", batch_size=1, chunk_size=1)
    with np.load(tmp_path / "b.npz", allow_pickle=False) as z:
        np.testing.assert_array_equal(z["image"], features)
    if spec.has_text:
        ours = backbone.encode_texts(texts)
        assert ours.shape == (4, spec.dim) and ours.dtype == np.float32
        np.testing.assert_allclose(ours, ref_text, rtol=1e-4, atol=1e-4 * np.abs(ref_text).max())
        np.testing.assert_array_equal(backbone.encode_texts(texts), ours)
    else:
        with pytest.raises(HashxValueError, match="no text tower"):
            backbone.encode_texts(["x"])


@pytest.mark.parametrize("name", list_backbones())
def test_registry_agrees_with_the_packages(name):
    spec = get_backbone(name)
    if spec.family == "torchvision":
        weights = import_torchvision().models.get_weight(spec.weights_tag)
        assert weights.url == spec.source and weights.url.endswith("/" + spec.weights_files[0])
    else:
        cfg = import_open_clip().get_pretrained_cfg(spec.arch, spec.weights_tag)
        assert cfg["hf_hub"].rstrip("/") in spec.source
        assert bool(cfg.get("quick_gelu", False)) == spec.quick_gelu


def test_unknown_backbone_lists_the_valid_names():
    with pytest.raises(HashxValueError, match="'resnet50', 'vgg16', 'vgg19', 'clip-vit-b-32'.*did you mean 'resnet50'"):
        get_backbone("resnet18")


def test_missing_weights_file_says_what_to_fetch_and_where(tmp_path):
    missing = tmp_path / "weights" / "r50.pth"
    with pytest.raises(CheckpointError) as err:
        load_backbone("resnet50", missing)
    text = str(err.value)
    assert "resnet50-0676ba61.pth" in text and "https://download.pytorch.org/models/resnet50-0676ba61.pth" in text
    assert str(missing) in text and "never downloads" in text
    with pytest.raises(CheckpointError, match="open_clip_model.safetensors or open_clip_pytorch_model.bin"):
        load_backbone("clip-vit-b-32", tmp_path)  # a folder without the file
    with pytest.raises(CheckpointError, match="vit_base_patch32_clip_224.openai"):
        load_backbone("clip-vit-b-32", None)


def test_a_folder_holding_the_published_file_name_is_accepted(tmp_path):
    (tmp_path / "vgg19-dcbb9e9d.pth").write_bytes(b"x")
    assert resolve_weights_path(get_backbone("vgg19"), tmp_path) == tmp_path / "vgg19-dcbb9e9d.pth"


def test_truncated_weights_file_is_a_clear_error(tmp_path):
    data = weights_file("resnet50").read_bytes()
    cut = tmp_path / "cut.pth"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(CheckpointError, match="truncated, corrupted or not a PyTorch file"):
        load_backbone("resnet50", cut)
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"certainly not a zip archive")
    with pytest.raises(CheckpointError, match="cannot be loaded"):
        load_backbone("resnet50", junk)


def test_weights_of_another_architecture_are_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError) as err:
        load_backbone("vgg16", weights_file("resnet50"))  # (fails before any VGG weights are made)
    text = str(err.value)
    assert "does not fit backbone 'vgg16'" in text and "missing key(s)" in text and "unexpected key(s)" in text
    assert "vgg16-397923af.pth" in text
    state = torch.load(weights_file("resnet50"), weights_only=True)
    state["fc.weight"] = torch.zeros(10, 2048)  # a 10-class head: right keys, wrong shape
    torch.save(state, tmp_path / "r50-10.pth")
    with pytest.raises(CheckpointError,
                       match=r"shape mismatch\(es\) \(fc.weight: file \(10, 2048\), model \(1000, 2048\)"):
        load_backbone("resnet50", tmp_path / "r50-10.pth")
    with pytest.raises(CheckpointError, match="does not fit backbone 'clip-vit-b-32'"):
        load_backbone("clip-vit-b-32", tmp_path / "r50-10.pth")


def test_pickled_models_and_torchscript_are_refused_without_running_them(tmp_path):
    torch.save(torch.nn.Linear(2, 2), tmp_path / "model.pth")
    with pytest.raises(CheckpointError, match="pickled model"):
        load_backbone("resnet50", tmp_path / "model.pth")
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), tmp_path / "scripted.pt")
    with pytest.raises(CheckpointError, match="TorchScript archive"):
        load_backbone("clip-vit-b-32", tmp_path / "scripted.pt")
    torch.save([torch.zeros(1)], tmp_path / "list.pth")
    with pytest.raises(CheckpointError, match="not a state dict"):
        load_backbone("resnet50", tmp_path / "list.pth")


def test_state_dict_wrappers_are_unwrapped(tmp_path):
    state = {"a.weight": torch.ones(2, dtype=torch.float16), "b": torch.arange(3)}
    spec = get_backbone("resnet50")
    for i, saved in enumerate(({"state_dict": state}, {f"module.{k}": v for k, v in state.items()})):
        torch.save(saved, tmp_path / f"{i}.pth")
        loaded = read_state_dict(tmp_path / f"{i}.pth", spec)
        assert sorted(loaded) == ["a.weight", "b"]
        assert loaded["a.weight"].dtype == torch.float32 and loaded["b"].dtype == torch.int64


def test_safetensors_weights_load_like_the_bin_file(tmp_path):
    from safetensors.torch import save_file

    state = torch.load(weights_file("resnet50"), weights_only=True)
    save_file(state, tmp_path / "r50.safetensors")
    loaded = read_state_dict(tmp_path / "r50.safetensors", get_backbone("resnet50"))
    assert all(torch.equal(loaded[k], state[k].float() if state[k].is_floating_point() else state[k]) for k in state)
    (tmp_path / "bad.safetensors").write_bytes(b"\x00" * 10)
    with pytest.raises(CheckpointError, match="not a readable .safetensors"):
        read_state_dict(tmp_path / "bad.safetensors", get_backbone("resnet50"))
