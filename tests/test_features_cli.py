"""The feature commands end to end, as in the README's worked example: generated images + tag lists ->
hashx data features -> text-features -> assemble -> hashx train --dataset files -> encode -> search;
plus help, one-line errors for a missing weights file and a missing extra."""

import json
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from features_testing import make_images, weights_file

from hashx.codefile import load_codes
from hashx.features._imports import import_torchvision
from hashx_cli.main import cli

N = 16
CLASSES = ("animal", "city", "sea", "sky")
TAGS = {"animal": "dog cat", "city": "street car", "sea": "beach water", "sky": "clouds sun"}


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    """A folder of images, their tag lists (one line per image) and labels (one line per image)."""
    root = tmp_path_factory.mktemp("raw")
    make_images(root / "images", [(32 + i % 3, 24 + i % 5) for i in range(N)])
    classes = [CLASSES[i % 4] for i in range(N)]
    (root / "tags.txt").write_text("".join(f"{TAGS[c]} photo\n" for c in classes))
    (root / "labels.txt").write_text("".join(f"{c}\n" for c in classes))
    return root


@pytest.mark.slow
def test_images_and_tags_to_search_results(raw, tmp_path):
    w = tmp_path
    run("data", "features", "--images", raw / "images", "--backbone", "resnet50",
        "--weights", weights_file("resnet50"), "--out", w / "img.npz", "--batch-size", 8, "-q")
    run("data", "text-features", "--tags", raw / "tags.txt", "--method", "bow", "--out", w / "bow.npz", "-q")
    out = run("data", "assemble", "--image", w / "img.npz", "--text", w / "bow.npz", "--labels", raw / "labels.txt",
              "--out", w / "mydata.npz")
    assert f"{N} items, image ({N}, 2048), text ({N}, 9), 4 labels" in out
    run("train", "--dataset", "files", "--data-dir", w / "mydata.npz", "--bits", 16, "--epochs", 1, "--out", w / "run",
        "-q")
    ckpt = w / "run" / "ssah-16bits" / "model-best.pt"
    for modality in ("image", "text"):
        run("encode", "--checkpoint", ckpt, "--modality", modality, "--input", w / "mydata.npz",
            "--out", w / f"{modality}.hxc", "-q")
    assert load_codes(w / "image.hxc").count == N and load_codes(w / "text.hxc").nbits == 16
    hits = json.loads(run("search", "--database", w / "text.hxc", "--queries", w / "image.hxc", "-k", 3, "--json"))
    assert len(hits) == N and all(len(h["ids"]) == 3 for h in hits)
    with np.load(w / "mydata.npz", allow_pickle=False) as z:
        meta = json.loads(str(z["image_meta"]))
    assert meta["backbone"] == "resnet50" and meta["preprocessing"]["resize"] == 256


@pytest.mark.parametrize("path", [["data", "features"], ["data", "text-features"], ["data", "assemble"],
                                  ["data", "backbones"], ["codes"], ["codes", "info"], ["codes", "export"],
                                  ["codes", "import"]], ids=" ".join)
def test_new_commands_have_help_with_an_example(path):
    out = run(*path, "-h")
    assert "Example:" in out and "hashx" in out.split("Example:", 1)[1]


def test_backbones_lists_the_files_to_fetch():
    out = run("data", "backbones")
    assert "resnet50-0676ba61.pth" in out and "vgg19-dcbb9e9d.pth" in out and "open_clip_model.safetensors" in out


def _one_line_error(args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: ") and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    return result.output


def test_missing_weights_file_is_one_line_saying_what_to_fetch(raw, tmp_path):
    text = _one_line_error(["data", "features", "--images", raw / "images", "--backbone", "vgg16",
                            "--weights", tmp_path / "vgg16.pth", "--out", tmp_path / "f.npz"])
    assert "vgg16-397923af.pth" in text and "https://download.pytorch.org/models/vgg16-397923af.pth" in text
    assert not (tmp_path / "f.npz").exists()


def test_without_the_extra_the_command_says_which_extra_to_install(raw, tmp_path, monkeypatch):
    import_torchvision()
    for name in ("torchvision", "open_clip"):
        monkeypatch.setitem(sys.modules, name, None)
    text = _one_line_error(["data", "features", "--images", raw / "images", "--backbone", "resnet50",
                            "--weights", weights_file("resnet50"), "--out", tmp_path / "f.npz"])
    assert "pip install 'hashx[features]'" in text


def test_text_features_usage_errors(raw, tmp_path):
    result = CliRunner().invoke(cli, ["data", "text-features", "--method", "bow", "--out", str(tmp_path / "t.npz")])
    assert result.exit_code == 2 and "exactly one of --tags and --sentences" in result.output
    result = CliRunner().invoke(cli, ["data", "text-features", "--tags", str(raw / "tags.txt"), "--method", "clip",
                                      "--out", str(tmp_path / "t.npz")])
    assert result.exit_code == 2 and "--weights" in result.output
