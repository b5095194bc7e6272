"""extract_image_features: resumable after an interruption (identical result), output only when
complete, settings checked on resume, image lists and natural order, unreadable images, missing extra."""

import json
import sys

import numpy as np
import pytest
from features_testing import loaded_backbone, make_images, weights_file

from hashx.data import read_modality
from hashx.exceptions import DataFormatError, HashxValueError
from hashx.features import extract_image_features, list_images, read_meta
from hashx.features._imports import import_torchvision
from hashx.features.image_list import natural_key

SIZES = [(40, 30), (30, 40), (50, 50)]


class Interrupt(Exception):
    pass


def _stop_at(rows):
    def progress(done, total):
        if done >= rows:
            raise Interrupt
    return progress


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("imgs")
    make_images(root, SIZES)
    return root


@pytest.fixture(scope="module")
def whole(folder):
    """The folder's features, uninterrupted, one image per batch."""
    info = extract_image_features(folder, backbone=loaded_backbone("resnet50"), out=folder.parent / "whole.npz",
                                  batch_size=1, chunk_size=1)
    assert info.resumed_rows == 0
    return _features(info.path)[0]


def _features(path):
    with np.load(path, allow_pickle=False) as z:
        return z["image"], z["paths"].tolist(), json.loads(str(z["meta"]))


def test_an_interrupted_run_resumes_to_the_same_file(folder, whole, tmp_path):
    backbone = loaded_backbone("resnet50")
    out = tmp_path / "f.npz"
    with pytest.raises(Interrupt):  # stopped inside the second chunk: chunk 0 is saved, chunk 1 is not
        extract_image_features(folder, backbone=backbone, out=out, batch_size=1, chunk_size=1, progress=_stop_at(2))
    assert not out.exists()
    assert sorted(p.name for p in (tmp_path / "f.npz.partial").iterdir()) == ["chunk-000000.npy", "state.json"]
    calls = []
    info = extract_image_features(folder, backbone=backbone, out=out, batch_size=1, chunk_size=1,
                                  progress=lambda d, t: calls.append(d))
    assert info.resumed_rows == 1 and calls == [1, 2, 3]  # chunk 0 skipped, chunks 1 and 2 computed
    assert not (tmp_path / "f.npz.partial").exists()
    a, paths, meta = _features(out)
    np.testing.assert_array_equal(a, whole)
    assert a.shape == (3, 2048) and paths == ["im1.png", "im2.jpg", "im3.png"]
    assert meta["kind"] == "image-features" and meta["batch_size"] == 1 and read_meta(out) == meta
    np.testing.assert_array_equal(read_modality(out, "image"), a)  # what `hashx encode` reads


def test_resuming_with_other_settings_is_refused_unless_restarted(folder, tmp_path):
    backbone = loaded_backbone("resnet50")
    out = tmp_path / "f.npz"
    with pytest.raises(Interrupt):
        extract_image_features(folder, backbone=backbone, out=out, batch_size=1, chunk_size=1, progress=_stop_at(1))
    with pytest.raises(HashxValueError, match="unfinished run made with other settings \\(batch_size, chunk_size"):
        extract_image_features(folder, backbone=backbone, out=out, batch_size=3, chunk_size=3)
    info = extract_image_features(folder, backbone=backbone, out=out, batch_size=3, chunk_size=3, resume=False)
    assert info.resumed_rows == 0 and out.is_file()


def test_an_image_list_sets_the_rows_and_single_image_batches_match_bit_for_bit(folder, whole, tmp_path):
    backbone = loaded_backbone("resnet50")
    (folder.parent / "list.txt").write_text("\n".join(f"{folder.name}/im{i}.{'png' if i % 2 else 'jpg'}"
                                                      for i in (3, 1)) + "\n\n")
    listed = extract_image_features(folder.parent / "list.txt", backbone=backbone, out=tmp_path / "l.npz",
                                    batch_size=1, chunk_size=1)
    a, paths, _ = _features(listed.path)
    assert paths == [f"{folder.name}/im3.png", f"{folder.name}/im1.png"]
    np.testing.assert_array_equal(a, whole[[2, 0]])


def test_natural_order_and_list_errors(tmp_path):
    make_images(tmp_path / "n", [(8, 8)] * 3, suffixes=(".png",))
    (tmp_path / "n" / "im1.png").rename(tmp_path / "n" / "im10.png")
    (tmp_path / "n" / ".hidden.png").write_bytes(b"x")
    (tmp_path / "n" / "notes.txt").write_text("not an image")
    assert list_images(tmp_path / "n")[1] == ["im2.png", "im3.png", "im10.png"]
    assert sorted(["b2", "a10", "a9", "a09"], key=natural_key) == ["a09", "a9", "a10", "b2"]
    (tmp_path / "dup.txt").write_text("n/im2.png\nn/im2.png\n")
    with pytest.raises(DataFormatError, match="lists 'n/im2.png' twice"):
        list_images(tmp_path / "dup.txt")
    (tmp_path / "gone.txt").write_text("n/im99.png\n")
    with pytest.raises(DataFormatError, match="names 'n/im99.png', which does not exist"):
        list_images(tmp_path / "gone.txt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataFormatError, match="holds no image"):
        list_images(tmp_path / "empty")


def test_unreadable_image_and_bad_arguments(tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "broken.jpg").write_bytes(b"not really a jpeg")
    backbone = loaded_backbone("resnet50")
    with pytest.raises(DataFormatError, match="broken.jpg' cannot be read as an image"):
        extract_image_features(tmp_path / "img", backbone=backbone, out=tmp_path / "f.npz")
    assert not (tmp_path / "f.npz").exists()
    with pytest.raises(HashxValueError, match="'chunk_size' parameter of extract_image_features must be a multiple"):
        extract_image_features(tmp_path / "img", backbone=backbone, out=tmp_path / "f.npz", batch_size=4, chunk_size=6)
    with pytest.raises(HashxValueError, match="must end in .npz"):
        extract_image_features(tmp_path / "img", backbone=backbone, out=tmp_path / "f.h5")


def test_without_the_features_extra_the_error_names_the_extra(tmp_path, monkeypatch):
    import_torchvision()
    for name in ("torchvision", "open_clip"):
        monkeypatch.setitem(sys.modules, name, None)  # as if not installed
    with pytest.raises(ImportError, match="pip install 'hashx\\[features\\]'"):
        extract_image_features(make_images(tmp_path / "i", [(8, 8)])[0].parent, backbone="resnet50",
                               weights=weights_file("resnet50"), out=tmp_path / "f.npz")
    monkeypatch.setitem(sys.modules, "PIL", None)
    from hashx.features.image_features import load_image
    with pytest.raises(ImportError, match="Pillow.*pip install 'hashx\\[features\\]'"):
        load_image(tmp_path / "i" / "im1.png", loaded_backbone("resnet50").preprocessing)
