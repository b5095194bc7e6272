"""The hostile-input corpus, fast part: every hashx file reader on its seeds, its hand-written hostile
cases and damaged files (hypothesis, a fixed derandomized profile), judged against an independent
reference reading (tests/hostile).  The contract: a clear error naming the file, or exactly the
reference's result; never a crash, a MemoryError or a silently different answer.

The long run (>= 10,000 inputs per reader, with hangs and hard crashes counted in subprocesses) is
benchmarks/fuzz_readers.py; its table is in benchmarks/results/fuzz_readers.md.
"""

from __future__ import annotations

import random
import tempfile
import warnings
from pathlib import Path

import pytest
from hostile import ACCEPTABLE, FAMILIES, fuzz_settings, judge, write_input
from hypothesis import given
from hypothesis import strategies as st

NAMES = sorted(FAMILIES)
#: Damaged inputs per reader in CI (a few seconds each on 2 cores).
EXAMPLES = {"mat-v7.3": 40, "generic.h5": 60}


def _judge(name, files):
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's note on pickle protocols of hand-made checkpoints
        return judge(FAMILIES[name], write_input(Path(tmp) / "input", files))


@pytest.mark.parametrize("name", NAMES)
def test_seeds_are_read_exactly_as_the_reference_reads_them(name):
    for files in FAMILIES[name].seeds():
        assert _judge(name, files) == ("accepted_correct", "")


@pytest.mark.parametrize("name", NAMES)
def test_every_hostile_case_is_a_clear_error_or_a_correct_result(name):
    bad = []
    for label, files in FAMILIES[name].hostile():
        outcome, detail = _judge(name, files)
        if outcome not in ACCEPTABLE:
            bad.append(f"{label}: {outcome} {detail}")
    assert not bad, "\n".join(bad)


def _damaged(name):
    fam = FAMILIES[name]
    seeds = fam.seeds()

    @fuzz_settings(EXAMPLES.get(name, 120))
    @given(pick=st.integers(0, len(seeds) - 1), rng_seed=st.integers(0, 2**32 - 1), edits=st.integers(1, 3))
    def check(pick, rng_seed, edits):
        rng = random.Random(rng_seed)
        files = seeds[pick]
        for _ in range(edits):
            files = fam.mutate(files, rng)
        outcome, detail = _judge(name, files)
        assert outcome in ACCEPTABLE, f"{outcome}: {detail}"

    return check


@pytest.mark.parametrize("name", NAMES)
def test_damaged_files(name):
    _damaged(name)()
