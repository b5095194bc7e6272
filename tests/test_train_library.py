"""Library functions the command line calls: train_bits, encode_file, dataset_summary, verify_split."""

import json

import numpy as np
import pytest
import torch

from hashx.codefile import load_codes
from hashx.data import Split, dataset_summary, load_protocol, save_generic, verify_split
from hashx.exceptions import DataFormatError, HashxValueError
from hashx.train import encode_file, load_encoder, train_bits
from ssah_testing import tiny_config, tiny_dataset, tiny_split

torch.set_num_threads(2)


@pytest.fixture(scope="module")
def two_bits(tmp_path_factory):
    out = tmp_path_factory.mktemp("bits")
    ds, split = tiny_dataset(), tiny_split()
    run, settings = tiny_config(epochs=1)
    seen = []
    results = train_bits(ds, split, out, method=settings, run=run, bits=[16, 8],
                         progress=lambda nbits, report: seen.append((nbits, report.epoch)))
    return ds, split, out, results, seen


def test_train_bits_one_folder_and_run_file_per_code_length(two_bits):
    ds, split, out, results, seen = two_bits
    assert [r.run.nbits for r in results] == [16, 8] and seen == [(16, 0), (8, 0)]
    for r in results:
        assert r.out_dir == out / f"ssah-{r.run.nbits}bits" and r.best_checkpoint.is_file()
        config = json.loads((r.out_dir / "config.json").read_text())
        assert config["run"]["nbits"] == r.run.nbits and config["split_sha256"] == split.sha256
    assert Split.load(out / "split.json").sha256 == split.sha256


def test_train_bits_validates_every_code_length_first(tmp_path):
    ds, split = tiny_dataset(), tiny_split()
    run, settings = tiny_config(epochs=1)
    for bits, word in (([16, 16], "more than once"), ([16, 12], "multiple of 8"), ([], "at least one")):
        with pytest.raises(HashxValueError, match=word):
            train_bits(ds, split, tmp_path, method=settings, run=run, bits=bits)
        assert not list(tmp_path.iterdir())


def test_encode_file_equals_encoding_in_memory_across_blocks(two_bits, tmp_path):
    ds, split, out, results, _ = two_bits
    subset = ds.subset(split.retrieval)
    save_generic(tmp_path / "retrieval.npz", subset)
    enc = load_encoder(results[0].best_checkpoint)
    calls = []
    written = encode_file(enc, tmp_path / "retrieval.npz", "text", tmp_path / "t.hxc", batch_size=7, block_rows=14,
                          progress=lambda done, total: calls.append((done, total)))
    n = split.retrieval.size
    assert written.n == n and written.nbits == 16 and calls[-1] == (n, n) and len(calls) == -(-n // 14)
    np.testing.assert_array_equal(load_codes(tmp_path / "t.hxc").codes, enc.encode("text", subset.text))
    with pytest.raises(HashxValueError, match="'modality'"):
        encode_file(enc, tmp_path / "retrieval.npz", "audio", tmp_path / "x.hxc")
    assert not (tmp_path / "x.hxc").exists()


def test_dataset_summary_and_verify_split():
    ds, split = load_protocol("synthetic")
    info = dataset_summary(ds, split, protocol="synthetic")
    assert info["items"] == len(ds) == 4000 and info["split"]["sha256"] == split.sha256
    assert info["labels"]["items_per_label"] == ds.labels.sum(axis=0).tolist()
    assert info["text"]["nonzeros_per_item"] == pytest.approx(np.count_nonzero(ds.text) / len(ds), abs=1e-3)
    assert verify_split("synthetic", ds, split, reference=split)["same_as_reference"]
    other = load_protocol("synthetic", seed=1)[1]
    result = verify_split("synthetic", ds, other, reference=split)
    assert not result["same_as_reference"] and result["sizes"] == split.sizes()
    with pytest.raises(HashxValueError):
        verify_split("synthetic", tiny_dataset(), split, reference=split)  # indices beyond 96 items
    mir = Split(protocol="mirflickr25k", seed=0, query=split.query[:10], retrieval=split.retrieval,
                train=split.train, val=split.val)
    with pytest.raises(DataFormatError, match="10 queries but protocol 'mirflickr25k' uses 2000"):
        verify_split("mirflickr25k", ds, mir, reference=split)
