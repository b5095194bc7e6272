"""hashx.experiments: variants, the results table."""

import json
import multiprocessing
from pathlib import Path

import pytest

from hashx.experiments import VARIANTS, method_names, plan_runs, read_records, resolve_method, results_table
from hashx.experiments.variants import qualified
from hashx.methods import configure, list_methods


def test_every_variant_is_a_valid_config():
    for name, (method, settings) in VARIANTS.items():
        run, config = configure(method, qualified(method, settings))
        for key, value in settings.items():
            got = getattr(run, key[4:]) if key.startswith("run.") else getattr(config, key)
            assert got == value, (name, key)
    assert resolve_method("ssah-noadv") == ("ssah", {"alignment": "none"})
    assert set(list_methods()) <= set(method_names()) and set(VARIANTS) <= set(method_names())


# The variants that name a label-anchored form (the paper's, the official code's, the critics') must keep
# anchoring to the label network whatever ssah's defaults are; ssah-crossmodal spells out ssah's default.
@pytest.mark.parametrize("name, alignment, align_to", [
    ("ssah-gan", "gan", "label"), ("ssah-noise", "gan", "label"), ("ssah-wgan", "wgan_gp", "label"),
    ("ssah-projection", "projection", "label"), ("ssah-grl", "grl", "label"),
    ("ssah-detached", "gan_detached", "label"), ("ssah-official", "gan_detached", "label"),
    ("ssah-v1", "gan", "label"), ("ssah-crossmodal", "gan", "modality"), ("ssah", "gan", "modality"),
])
def test_alignment_variants_resolve_to_their_form(name, alignment, align_to):
    method, settings = resolve_method(name)
    _, config = configure(method, qualified(method, settings))
    assert (config.alignment, config.align_to) == (alignment, align_to)


def test_ssah_crossmodal_is_ssah_at_its_defaults():
    default = configure("ssah", {})
    spelled = configure("ssah", qualified("ssah", resolve_method("ssah-crossmodal")[1]))
    assert spelled == default


def test_unknown_method_lists_the_valid_names():
    with pytest.raises(ValueError, match="'ssah-grl'.*Got 'dcmhx' instead"):
        resolve_method("dcmhx")


def test_plan_applies_variant_then_overrides_then_bits_and_seeds():
    plan = plan_runs(["ssah", "ssah-noadv"], [16, 32], 2, epochs=3, overrides={"alignment": "grl", "hidden_dim": 8})
    assert [(n, b, s) for n, b, s, _, _ in plan] == [(m, b, s) for m in ("ssah", "ssah-noadv") for b in (16, 32)
                                                      for s in (0, 1)]
    for name, nbits, seed, run, settings in plan:
        assert (run.method, run.nbits, run.seed, run.epochs) == ("ssah", nbits, seed, 3)
        assert settings.alignment == "grl" and settings.hidden_dim == 8  # the user's --set wins over the variant
    with pytest.raises(ValueError, match="apply to none of the methods"):
        plan_runs(["ssah"], [16], 1, overrides={"nosuch": 1})
    with pytest.raises(ValueError, match="'seeds'"):
        plan_runs(["ssah"], [16], 0)


def _rec(method, bits, seed, direction, value):
    return {"dataset": "toy", "protocol": "toyproto", "method": method, "bits": bits, "seed": seed,
            "direction": direction, "map": value, "notes": "toy data"}


def test_results_table_mean_and_std_hand_computed():
    records = [_rec("a", 16, 0, "image->text", 0.5), _rec("a", 16, 1, "image->text", 0.7),
               _rec("a", 16, 0, "text->image", 0.4), _rec("b", 16, 0, "image->text", 0.25),
               _rec("a", 32, 0, "image->image", 0.9)]
    table = results_table(records)
    lines = table.splitlines()
    assert lines[0] == "toy (toyproto), MAP@all over 2 seed(s), mean ± std; database coded by features codes"
    assert lines[2] == "| method | I→T 16 | T→I 16 |"  # image->image is not a default column
    assert lines[4] == "| a | 0.6000 ± 0.1000 | 0.4000 |"
    assert lines[5] == "| b | 0.2500 | – |"
    assert lines[-1] == "Note: toy data"


def test_learned_codes_replace_exactly_the_training_items():
    import numpy as np

    from hashx.experiments import with_learned_codes
    from hashx.train import LearnedCodes

    network = np.arange(12, dtype=np.uint8).reshape(6, 2)
    retrieval_rows = np.array([10, 11, 12, 13, 14, 15])
    learned = LearnedCodes(rows=np.array([13, 99, 11]), codes=np.array([[200, 201], [202, 203], [204, 205]],
                                                                       dtype=np.uint8), nbits=16)
    codes, replaced = with_learned_codes(network, retrieval_rows, learned)
    assert replaced == 2
    np.testing.assert_array_equal(codes, [[0, 1], [204, 205], [4, 5], [200, 201], [8, 9], [10, 11]])
    np.testing.assert_array_equal(network, np.arange(12).reshape(6, 2))  # the input is not modified


def _record(bits, seed, value=0.5):
    return {"protocol": "wiki-like", "method": "ssah", "bits": bits, "seed": seed, "direction": "image->text",
            "db_codes": "features", "map": value}


def _add_one_at_a_time(path, bits, count):
    from hashx.experiments.runner import _add_records

    for seed in range(count):
        _add_records(Path(path), [_record(bits, seed)])


def test_records_of_another_benchmark_in_the_file_are_kept_and_a_rerun_replaces_its_own(tmp_path):
    from hashx.experiments.runner import _add_records

    path = tmp_path / "results.json"
    path.write_text(json.dumps([_record(64, 0)]))  # written by another benchmark after this one read the file
    assert _add_records(path, [_record(16, 0)]) == [_record(64, 0), _record(16, 0)]
    assert _add_records(path, [_record(16, 0, value=0.7)]) == [_record(64, 0), _record(16, 0, value=0.7)]
    assert read_records(path) == [_record(64, 0), _record(16, 0, value=0.7)]


def test_two_benchmarks_writing_one_results_file_at_once_lose_nothing(tmp_path):
    # two processes (two `hashx bench` runs into one folder, other lengths) adding records in turn
    path = tmp_path / "results.json"
    fork = multiprocessing.get_context("fork")
    workers = [fork.Process(target=_add_one_at_a_time, args=(str(path), bits, 40)) for bits in (16, 64)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0]
    assert sorted((r["bits"], r["seed"]) for r in read_records(path)) == [(b, s) for b in (16, 64) for s in range(40)]
