"""Text features: tag lists, vocabularies, bag-of-words (against a slow loop), TF-IDF (by hand),
CLIP text embeddings (against open_clip), the text feature file, and assembling a dataset."""

import json

import numpy as np
import pytest
import scipy.sparse as sp
from features_testing import loaded_backbone, weights_file

from hashx.data import load_generic, read_modality
from hashx.exceptions import DataFormatError, HashxValueError
from hashx.features import (
    assemble_dataset,
    bag_of_words,
    build_vocabulary,
    clip_text_features,
    extract_text_features,
    read_label_lists,
    read_tag_lists,
    read_vocabulary,
    tfidf_features,
)
from hashx.features.feature_file import meta_array, write_npz


def test_tag_lists_from_a_folder_in_natural_order_and_from_a_file(tmp_path):
    folder = tmp_path / "tags"
    folder.mkdir()
    for i, tags in ((1, "Sky\nclouds\n"), (2, ""), (10, "dog\n\n  sky \n")):
        (folder / f"tags{i}.txt").write_text(tags)
    assert read_tag_lists(folder) == [["sky", "clouds"], [], ["dog", "sky"]]
    (tmp_path / "tags.txt").write_text("Sky clouds\n\ndog  sky\n")
    assert read_tag_lists(tmp_path / "tags.txt") == [["sky", "clouds"], [], ["dog", "sky"]]
    assert read_tag_lists(tmp_path / "tags.txt", lowercase=False)[0] == ["Sky", "clouds"]
    (tmp_path / "csv.txt").write_text("new york,sky\n")
    assert read_tag_lists(tmp_path / "csv.txt", sep=",") == [["new york", "sky"]]


def test_vocabulary_by_document_frequency_ties_alphabetical():
    lists = [["b", "a", "a"], ["a", "c"], ["c", "b"], ["d"]]
    # document frequencies: a 2 (its repeat counts once), b 2, c 2, d 1
    assert build_vocabulary(lists) == ("a", "b", "c", "d")
    assert build_vocabulary(lists, min_count=2) == ("a", "b", "c")
    assert build_vocabulary(lists, max_size=2) == ("a", "b")
    with pytest.raises(HashxValueError, match="No tag occurs in at least min_count=5"):
        build_vocabulary(lists, min_count=5)


def test_vocabulary_file(tmp_path):
    (tmp_path / "v.txt").write_text("Sky\nclouds\n\ndog\n")
    assert read_vocabulary(tmp_path / "v.txt") == ("sky", "clouds", "dog")
    (tmp_path / "dup.txt").write_text("sky\nSKY\n")
    with pytest.raises(DataFormatError, match="lists 'sky' twice \\(line 2\\)"):
        read_vocabulary(tmp_path / "dup.txt")


def test_bag_of_words_equals_a_slow_loop():
    rng = np.random.default_rng(0)
    words = [f"t{i}" for i in range(30)]
    lists = [list(rng.choice(words + ["unknown"], size=rng.integers(0, 8))) for _ in range(50)]
    vocab = tuple(rng.permutation(words[:20]).tolist())
    for binary in (True, False):
        got = bag_of_words(lists, vocab, binary=binary)
        expected = np.zeros((50, 20), dtype=np.float32)
        for i, tags in enumerate(lists):
            for t in tags:
                if t in vocab:
                    expected[i, vocab.index(t)] = 1 if binary else expected[i, vocab.index(t)] + 1
        assert sp.isspmatrix_csr(got) and got.dtype == np.float32 and got.shape == (50, 20)
        np.testing.assert_array_equal(got.toarray(), expected)
    assert bag_of_words([["a", "a", "x"]], ("x", "a"), binary=False).toarray().tolist() == [[1, 2]]


def test_tfidf_by_hand():
    docs = [["a", "b"], ["a"], ["c", "c", "a"]]
    matrix, vocab = tfidf_features(docs)
    assert vocab == ("a", "b", "c")
    n = 3
    idf = np.log((1 + n) / (1 + np.array([3, 1, 1]))) + 1  # smooth idf over document frequencies a 3, b 1, c 1
    tf = np.array([[1, 1, 0], [1, 0, 0], [1, 0, 2]], dtype=float)
    expected = tf * idf
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(matrix.toarray(), expected, rtol=1e-6)
    fixed, vocab = tfidf_features(docs, vocabulary=("c", "a"))
    assert vocab == ("c", "a") and fixed.shape == (3, 2)
    sentences, words = tfidf_features(["The dog runs", "the cat"])
    assert words == ("cat", "dog", "runs", "the") and sentences.dtype == np.float32


def test_bow_feature_file_is_what_encode_reads(tmp_path):
    (tmp_path / "tags.txt").write_text("sky clouds\ndog sky\nsky\nrare\n")
    info = extract_text_features(tmp_path / "tags.txt", method="bow", out=tmp_path / "t.npz", min_count=2)
    assert (info.count, info.dim, info.sparse) == (4, 1, True)  # only "sky" is in >= 2 items
    info = extract_text_features(tmp_path / "tags.txt", method="bow", out=tmp_path / "t.npz")
    text = read_modality(tmp_path / "t.npz", "text")
    with np.load(tmp_path / "t.npz", allow_pickle=False) as z:
        vocab = z["vocabulary"].tolist()
        meta = json.loads(str(z["meta"]))
    assert vocab == ["sky", "clouds", "dog", "rare"]
    np.testing.assert_array_equal(sp.csr_matrix(text).toarray(),
                                  [[1, 1, 0, 0], [1, 0, 1, 0], [1, 0, 0, 0], [0, 0, 0, 1]])
    assert meta["method"] == "bow" and meta["vocabulary_size"] == 4 and meta["count"] == 4
    (tmp_path / "v.txt").write_text("dog\ncat\n")
    extract_text_features(tmp_path / "tags.txt", method="tfidf", vocabulary=tmp_path / "v.txt", out=tmp_path / "f.npz")
    assert json.loads(str(np.load(tmp_path / "f.npz")["meta"]))["items_with_no_vocabulary_term"] == 3
    with pytest.raises(HashxValueError, match="'bow' method .* needs tag lists"):
        extract_text_features(tmp_path / "tags.txt", method="bow", kind="sentences", out=tmp_path / "x.npz")


@pytest.mark.slow
def test_clip_text_features_batch_the_text_tower(tmp_path):
    # the text tower itself is compared with open_clip's in test_features_backbones
    backbone = loaded_backbone("clip-vit-b-32")
    texts = ["a photo of a dog", "sky clouds sunset", "", "x " * 200]  # empty and over-long (truncated) texts
    got, meta = clip_text_features(texts, backbone=backbone, batch_size=3)
    expected = backbone.encode_texts(texts)
    assert got.shape == (4, 512) and got.dtype == np.float32 and meta["backbone"] == "clip-vit-b-32"
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())
    (tmp_path / "tags.txt").write_text("sky clouds sunset\ndog\n")
    info = extract_text_features(tmp_path / "tags.txt", method="clip", out=tmp_path / "c.npz",
                                 weights=weights_file("clip-vit-b-32"))
    text = read_modality(tmp_path / "c.npz", "text")
    np.testing.assert_allclose(text[0], got[1], rtol=1e-5, atol=1e-5 * np.abs(got).max())  # tags joined by spaces
    assert info.meta["weights_sha256"] == backbone.weights_sha256 and info.meta["tags_joined_with"] == " "
    assert info.meta["layer"].startswith("text embedding") and info.meta["kind"] == "text-features"
    with pytest.raises(HashxValueError, match="must be a CLIP backbone"):
        clip_text_features(["x"], backbone=loaded_backbone("resnet50"))


def _image_file(path, n, dim=6, seed=0):
    rng = np.random.default_rng(seed)
    write_npz(path, {"image": rng.standard_normal((n, dim)).astype(np.float32),
                     "meta": meta_array({"kind": "image-features", "backbone": "test"})})
    return path


def test_assemble_joins_features_text_and_labels_into_a_generic_file(tmp_path):
    _image_file(tmp_path / "img.npz", 4)
    (tmp_path / "tags.txt").write_text("sky clouds\ndog sky\nsky\ncat\n")
    extract_text_features(tmp_path / "tags.txt", method="bow", out=tmp_path / "bow.npz")
    (tmp_path / "labels.txt").write_text("outdoor\nanimal outdoor\noutdoor\nanimal\n")
    ds = assemble_dataset(tmp_path / "ds.npz", image=tmp_path / "img.npz", text=tmp_path / "bow.npz",
                          labels=tmp_path / "labels.txt")
    back = load_generic(tmp_path / "ds.npz")
    np.testing.assert_array_equal(back.image, np.load(tmp_path / "img.npz")["image"])
    np.testing.assert_array_equal(back.labels, [[0, 1], [1, 1], [0, 1], [1, 0]])
    np.testing.assert_array_equal(sp.csr_matrix(back.text).toarray(), sp.csr_matrix(ds.text).toarray())
    with np.load(tmp_path / "ds.npz", allow_pickle=False) as z:
        assert z["label_names"].tolist() == ["animal", "outdoor"]
        assert json.loads(str(z["image_meta"]))["backbone"] == "test"
        assert json.loads(str(z["text_meta"]))["method"] == "bow"
    (tmp_path / "names.txt").write_text("outdoor\nanimal\n")
    labels, names = read_label_lists(tmp_path / "labels.txt", label_names=tmp_path / "names.txt")
    assert names == ("outdoor", "animal") and labels[:, 0].tolist() == [1, 1, 1, 0]


def test_assemble_refuses_misaligned_or_unlabeled_inputs(tmp_path):
    _image_file(tmp_path / "img.npz", 3)
    (tmp_path / "tags.txt").write_text("a\nb\nc\nd\n")
    extract_text_features(tmp_path / "tags.txt", method="bow", out=tmp_path / "bow.npz")
    (tmp_path / "labels.txt").write_text("x\ny\nx\nx\n")
    with pytest.raises(DataFormatError, match="different numbers of rows \\(image 3, text 4, labels 4\\)"):
        assemble_dataset(tmp_path / "ds.npz", image=tmp_path / "img.npz", text=tmp_path / "bow.npz",
                         labels=tmp_path / "labels.txt")
    (tmp_path / "holes.txt").write_text("x\n\ny\nx\n")
    with pytest.raises(DataFormatError, match="1 of 4 items have no label"):
        assemble_dataset(tmp_path / "ds.npz", image=_image_file(tmp_path / "i4.npz", 4), text=tmp_path / "bow.npz",
                         labels=tmp_path / "holes.txt")
    (tmp_path / "names.txt").write_text("x\n")
    with pytest.raises(DataFormatError, match="names 'y', which the label names file"):
        read_label_lists(tmp_path / "labels.txt", label_names=tmp_path / "names.txt")
    assert not (tmp_path / "ds.npz").exists()
