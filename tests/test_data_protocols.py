"""Protocols: exact sizes, seeded splits, shipped split files recomputed from the real data."""

import importlib.resources
import json

import numpy as np
import pytest
from click.testing import CliRunner
from data_builders import (random_dataset_arrays, real_mirflickr, real_nuswide, shared_data_dir, wiki_arrays,
                           write_mat, write_mirflickr_dcmh, write_wiki_data)

from hashx.data import (CrossModalDataset, Split, draw_split, get_protocol, list_protocols, load_dataset,
                        load_protocol, make_split, resolve_protocol, save_generic, select_top_concepts,
                        shipped_split)
from hashx.data import protocols as protocols_module
from hashx.data.synthetic import SYNTHETIC_PRESETS
from hashx.exceptions import DataFormatError, HashxValueError
from hashx_cli.main import cli

SPLITS = importlib.resources.files("hashx.data").joinpath("splits")
EXPECTED = {  # protocol: (items, query, retrieval, train, val)
    "mirflickr25k": (20015, 2000, 18015, 10000, 1000),
    "mirflickr25k-synthimg": (20015, 2000, 18015, 10000, 1000),
    "nuswide-tc21": (195834, 2100, 193734, 10500, 1000),
    "nuswide-tc10": (186577, 2000, 184577, 10000, 1000),
    "wikipedia": (2866, 693, 2173, 2173, 217),
    "synthetic": (4000, 400, 3600, 1800, 180),
    "digits-halves": (1797, 435, 1362, 1362, 136),
    "digits-quadrants": (1797, 435, 1362, 1362, 136),
    "wiki-like": (2866, 693, 2173, 2173, 217),
}


def _dummy(n):
    """A cheap dataset of n items (for protocols whose split depends only on n)."""
    z = np.zeros((n, 1), np.float32)
    return CrossModalDataset(image=z, text=z, labels=np.ones((n, 1), np.uint8))


def _check_invariants(split, n):
    """The invariants, checked with plain Python sets (an oracle independent of Split.validate)."""
    split.validate(n)
    q, r, t, v = (set(getattr(split, p).tolist()) for p in ("query", "retrieval", "train", "val"))
    assert len(q) == split.query.size and len(t) == split.train.size  # no repeats
    assert not q & r and not t & q and not v & q
    assert t <= r and v <= t
    assert q | r == set(range(n))  # every item is a query or in the database
    assert set(split.fit.tolist()) == t - v


def test_registry():
    assert list_protocols() == ["mirflickr25k", "mirflickr25k-synthimg", "nuswide-tc21", "nuswide-tc10",
                                "wikipedia", "digits-halves", "digits-quadrants", "synthetic", "wiki-like", "files"]
    assert "186,577" in get_protocol("nuswide-tc10").description  # the pair count is stated
    with pytest.raises(HashxValueError, match=r"must be one of 'mirflickr25k', .*'files'. Got 'flickr' instead; "
                                              r"did you mean 'mirflickr25k'\?"):
        get_protocol("flickr")


@pytest.mark.parametrize("name", [n for n in EXPECTED if n not in ("wikipedia",)])
def test_sizes_are_exact_and_seeded(name):
    n, nq, nr, nt, nv = EXPECTED[name]
    ds = _dummy(n)
    a = make_split(name, ds, seed=0)
    assert a.sizes() == {"query": nq, "retrieval": nr, "train": nt, "val": nv}
    _check_invariants(a, n)
    b = make_split(name, ds, seed=0)
    assert a.sha256 == b.sha256  # same seed -> identical split
    c = make_split(name, ds, seed=1)
    assert c.sha256 != a.sha256 and c.sizes() == a.sizes()


def test_wikipedia_protocol(tmp_path):
    write_wiki_data(tmp_path / "wiki_data.mat", wiki_arrays(2173, 693, seed=1), "v5")
    ds, split = load_protocol("wikipedia", tmp_path, seed=3)
    assert split.sizes() == {"query": 693, "retrieval": 2173, "train": 2173, "val": 217}
    np.testing.assert_array_equal(split.query, np.arange(2173, 2866))  # its fixed test set
    np.testing.assert_array_equal(split.train, split.retrieval)
    _check_invariants(split, 2866)
    assert make_split("wikipedia", ds, seed=3).sha256 == split.sha256


def test_draw_rule_matches_a_hand_written_oracle():
    n, seed = 50, 11
    split = draw_split("files", n, seed=seed, n_query=7, n_train=20, n_val=4)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n)
    train = np.sort(perm[7:27])
    assert split.query.tolist() == sorted(perm[:7].tolist())
    assert split.retrieval.tolist() == sorted(perm[7:].tolist())
    assert split.train.tolist() == train.tolist()
    assert split.val.tolist() == sorted(rng.choice(train, size=4, replace=False).tolist())


def test_files_protocol_sizes_are_parameters():
    ds = _dummy(100)
    s = make_split("files", ds, seed=2)
    assert s.sizes() == {"query": 10, "retrieval": 90, "train": 90, "val": 9}
    s = make_split("files", ds, seed=2, n_query=30, n_train=40, n_val=0)
    assert s.sizes() == {"query": 30, "retrieval": 70, "train": 40, "val": 0}
    _check_invariants(s, 100)
    with pytest.raises(HashxValueError, match="'n_train'"):
        make_split("files", ds, n_query=30, n_train=71)
    with pytest.raises(HashxValueError, match="fixed"):
        make_split("mirflickr25k", _dummy(20015), n_query=5)
    with pytest.raises(HashxValueError, match="exactly 20015 items. Got 20014"):
        make_split("mirflickr25k", _dummy(20014))


def test_shipped_mirflickr25k_recomputed_from_real_data():
    labels, _ = real_mirflickr()  # the DCMH row order of the real files
    fresh = draw_split("mirflickr25k", labels.shape[0], seed=0)
    shipped = shipped_split("mirflickr25k", n_items=20015)
    assert shipped.sha256 == fresh.sha256
    _check_invariants(shipped, 20015)
    for part in ("query", "retrieval", "train", "val"):
        np.testing.assert_array_equal(getattr(shipped, part), getattr(fresh, part))
    assert json.loads(SPLITS.joinpath("mirflickr25k.json").read_text())["sha256"] == fresh.sha256


def test_shipped_mirflickr25k_json_bytes_are_reproducible(tmp_path):
    labels, _ = real_mirflickr()
    fresh = draw_split("mirflickr25k", labels.shape[0], seed=0).save(tmp_path / "m.json")
    assert fresh.read_bytes() == SPLITS.joinpath("mirflickr25k.json").read_bytes()


def test_shipped_nuswide_tc21_recomputed_from_real_data(tmp_path):
    labels, concepts, _ = real_nuswide()
    rows, _ = select_top_concepts(labels, concepts, 21)  # official label-table order, tc21 rows
    fresh = draw_split("nuswide-tc21", rows.shape[0], seed=0)
    assert fresh.sizes() == {"query": 2100, "retrieval": 193734, "train": 10500, "val": 1000}
    assert fresh.save(tmp_path / "n.json").read_bytes() == SPLITS.joinpath("nuswide-tc21.json").read_bytes()
    for name in ("nuswide-tc21.json", "nuswide-tc21.npz"):
        with importlib.resources.as_file(SPLITS.joinpath(name)) as p:
            loaded = Split.load(p)  # verifies the checksum
        assert loaded.sha256 == fresh.sha256 and loaded.protocol == "nuswide-tc21" and loaded.seed == 0
        for part in ("query", "retrieval", "train", "val"):
            np.testing.assert_array_equal(getattr(loaded, part), getattr(fresh, part))
    assert shipped_split("nuswide-tc21", n_items=195834).sha256 == fresh.sha256


def test_shipped_split_is_verified(tmp_path, monkeypatch):
    with pytest.raises(DataFormatError, match="is for 20015 items; the dataset has 20014"):
        shipped_split("mirflickr25k", n_items=20014)
    with pytest.raises(HashxValueError, match="ships no split file"):
        shipped_split("nuswide-tc10")
    # a tampered copy of the package's split folder
    splits = tmp_path / "splits"
    splits.mkdir()
    meta = json.loads(SPLITS.joinpath("mirflickr25k.json").read_text())
    meta["query"][0], meta["retrieval"][0] = meta["retrieval"][0], meta["query"][0]
    (splits / "mirflickr25k.json").write_text(json.dumps(meta))
    monkeypatch.setattr(protocols_module.importlib.resources, "files", lambda package: tmp_path)
    with pytest.raises(DataFormatError, match=r"mirflickr25k\.json.*corrupted or was edited"):
        shipped_split("mirflickr25k")


def test_load_protocol_uses_the_shipped_split(tmp_path):
    arrays = random_dataset_arrays(20015, text_dim=3, image_dim=2, seed=0)
    write_mirflickr_dcmh(tmp_path, arrays, "v5")
    ds, split = load_protocol("mirflickr25k", tmp_path)
    assert len(ds) == 20015 and split.sha256 == shipped_split("mirflickr25k").sha256
    _, other = load_protocol("mirflickr25k", tmp_path, seed=5)
    assert other.sha256 == make_split("mirflickr25k", ds, seed=5).sha256 != split.sha256
    write_mat(tmp_path / "mirflickr25k-iall-vgg.mat", {"XAll": arrays["image"][:20014]}, "v5")
    with pytest.raises(DataFormatError, match="Row counts disagree"):
        load_protocol("mirflickr25k", tmp_path)


def test_synthimg_protocol_on_real_data():
    ds, split = load_protocol("mirflickr25k-synthimg", shared_data_dir() / "mirflickr25k", image_dim=16)
    assert split.sha256 == shipped_split("mirflickr25k").sha256  # same split, same rows
    assert split.protocol == "mirflickr25k"
    assert ds.image.shape == (20015, 16) and "SYNTHETIC image features" in ds.notes


def test_synthetic_protocol():
    ds, split = load_protocol("synthetic", n_items=500, data_seed=3)
    assert len(ds) == 500 and split.sizes() == {"query": 50, "retrieval": 450, "train": 225, "val": 22}
    ds2, split2 = load_protocol("synthetic", n_items=500, data_seed=3)
    np.testing.assert_array_equal(ds.image, ds2.image)
    assert split.sha256 == split2.sha256
    with pytest.raises(HashxValueError, match="'data_dir'.*must be None"):
        load_dataset("synthetic", "/tmp")


def test_missing_files_are_listed(tmp_path, monkeypatch):
    with pytest.raises(DataFormatError, match=r"NUS-WIDE-TC10\.mat.*nus-wide-tc10-lall\.mat.*nus-wide-tc10-yall"):
        load_dataset("nuswide-tc10", tmp_path)
    with pytest.raises(DataFormatError, match=r"FLICKR-25K\.mat.*mirflickr25k-lall\.mat"):
        load_dataset("mirflickr25k", tmp_path)
    with pytest.raises(DataFormatError, match=r"wiki_data\.mat"):
        load_dataset("wikipedia", tmp_path)
    monkeypatch.delenv(protocols_module.DATA_DIR_ENV, raising=False)
    with pytest.raises(HashxValueError, match=r"'data_dir'.*HASHX_DATA_DIR"):
        load_dataset("mirflickr25k")
    monkeypatch.setenv(protocols_module.DATA_DIR_ENV, str(tmp_path))
    with pytest.raises(DataFormatError, match=r"mirflickr25k' for protocol 'mirflickr25k' does not exist"):
        load_dataset("mirflickr25k")


def test_files_protocol_sizes_through_load_protocol(tmp_path):
    path = tmp_path / "d.npz"
    save_generic(path, _dummy(100))
    _, split = load_protocol("files", path, n_query=30, n_train=None, n_val=None)  # None: the default
    assert split.sizes() == {"query": 30, "retrieval": 70, "train": 70, "val": 7}
    _, split = load_protocol("files", path, seed=3, n_query=None, n_train=None, n_val=None)
    assert split.sha256 == make_split("files", _dummy(100), seed=3).sha256
    with pytest.raises(HashxValueError, match="sizes of protocol 'wikipedia' are fixed"):
        load_protocol("wikipedia", n_query=5)  # refused before any data is looked for


def test_resolve_protocol():
    assert resolve_protocol("synthetic") == "synthetic" == resolve_protocol("synthetic", preset="default")
    assert resolve_protocol("synthetic", preset="wiki-like") == "wiki-like"
    assert resolve_protocol("digits-halves") == "digits-halves"
    for preset in SYNTHETIC_PRESETS[1:]:  # every preset other than the default is a protocol
        assert preset in list_protocols()
    with pytest.raises(HashxValueError, match="'preset' parameter of load_protocol must be one of"):
        resolve_protocol("synthetic", preset="nope")
    with pytest.raises(HashxValueError, match="Got 'nope' instead"):
        resolve_protocol("nope")


# -- the command line's split options --------------------------------------------------------------
def _cli(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_cli_files_sizes_are_honoured(tmp_path):
    path = tmp_path / "d.npz"
    save_generic(path, _dummy(100))
    r = _cli("data", "inspect", "--dataset", "files", "--data-dir", path, "--n-query", 25, "--n-train", 40,
             "--n-val", 3, "--split-seed", 2, "--json")
    assert r.exit_code == 0, r.output
    info = json.loads(r.output)["split"]
    expected = draw_split("files", 100, seed=2, n_query=25, n_train=40, n_val=3)
    assert {k: info[k] for k in ("query", "retrieval", "train", "val")} == expected.sizes() == \
        {"query": 25, "retrieval": 75, "train": 40, "val": 3}
    assert info["sha256"] == expected.sha256
    r = _cli("data", "split", "--dataset", "files", "--data-dir", path, "--n-query", 50, "--out", tmp_path / "s.json")
    assert r.exit_code == 0, r.output
    assert Split.load(tmp_path / "s.json").sizes() == {"query": 50, "retrieval": 50, "train": 50, "val": 5}


@pytest.mark.parametrize("command", [["data", "inspect"], ["train", "--out", "x"], ["bench", "--out", "x"]])
def test_cli_sizes_are_refused_for_fixed_protocols(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = _cli(*command, "--dataset", "digits-halves", "--n-query", 100)
    assert r.exit_code == 1 and r.output.startswith("Error: ") and len(r.output.strip().splitlines()) == 1
    assert "sizes of protocol 'digits-halves' are fixed" in r.output and "'files' protocol only" in r.output
    assert not (tmp_path / "x").exists()  # refused before anything was written


def test_cli_preset(tmp_path):
    r = _cli("data", "split", "--dataset", "synthetic", "--preset", "wiki-like", "--out", tmp_path / "w.json")
    assert r.exit_code == 0, r.output
    split = Split.load(tmp_path / "w.json")
    assert split.protocol == "wiki-like" and split.sha256 == load_protocol("wiki-like")[1].sha256
    r = _cli("data", "inspect", "--dataset", "digits-halves", "--preset", "wiki-like")
    assert r.exit_code == 1 and r.output.startswith("Error: ") and "'synthetic' protocol only" in r.output
    r = _cli("data", "inspect", "--dataset", "synthetic", "--preset", "wiki")
    assert r.exit_code == 2 and "'wiki' is not one of 'default', 'wiki-like'" in r.output


def test_cli_train_uses_the_given_sizes(tmp_path):
    """train receives the sizes (bench and data pass them the same way; their refusal test shows it)."""
    from data_builders import random_dataset_arrays

    arrays = random_dataset_arrays(80, text_dim=6, image_dim=5, seed=1)
    path = tmp_path / "d.npz"
    save_generic(path, CrossModalDataset(image=arrays["image"], text=arrays["text"], labels=arrays["labels"]))
    r = _cli("train", "--dataset", "files", "--data-dir", path, "--n-query", 20, "--n-train", 50, "--n-val", 5,
             "--bits", 8, "--epochs", 1, "--set", "hidden_dim=16", "--set", "feature_dim=8", "--out",
             tmp_path / "run", "-q")
    assert r.exit_code == 0, r.output
    assert Split.load(tmp_path / "run" / "split.json").sizes() == {"query": 20, "retrieval": 60, "train": 50,
                                                                    "val": 5}
