"""The multi-index cost model, choose_index, and open_index's saved multi-index."""

import logging
import math
import re

import numpy as np
import pytest

import search_oracle as oracle
from hashx import HammingIndex, MultiIndexHammingIndex
from hashx.codefile import save_codes
from hashx.exceptions import HashxValueError
from hashx.search import _mih_cost, _mih_tables, choose_index, open_index
from hashx.search.code_file_index import default_index_path


def test_kth_distance_by_hand():
    # 2**16 uniform 16-bit codes: on average one equals the query
    assert _mih_cost.kth_distance(2**16, 16, 1) == 0
    # 2**16 codes: 1 at distance 0, 16 at 1, 120 at 2 on average: the 17th nearest is at 1, the 18th at 2
    assert _mih_cost.kth_distance(2**16, 16, 17) == 1
    assert _mih_cost.kth_distance(2**16, 16, 18) == 2
    assert _mih_cost.kth_distance(10, 64, 10) == 64 and _mih_cost.kth_distance(10, 64, 11) == 64


def _units_by_steps(n, nbits, m, k):
    """The model's work, by listing every step (r, j) up to R = m r + j >= the k-th distance."""
    lengths = [nbits // m + (j < nbits % m) for j in range(m)]
    target = _mih_cost.kth_distance(n, nbits, k)
    per_code = _mih_cost.code_units(nbits)
    steps = [(r, j) for r in range(nbits + 1) for j in range(m)]
    units = 0.0
    for r, j in steps:
        if r <= lengths[j]:
            probes = math.comb(lengths[j], r)
            units += probes * _mih_tables_probe_units() + probes * n / 2 ** lengths[j] * per_code
        if m * r + j >= target:
            return units
    raise AssertionError("unreachable")


def _mih_tables_probe_units():
    from hashx.search._mih_search import PROBE_UNITS

    return PROBE_UNITS


@pytest.mark.parametrize("n,nbits,m,k", [(10**6, 64, 4, 10), (10**7, 64, 5, 1), (10**5, 48, 3, 100),
                                         (10**7, 128, 9, 10), (1000, 16, 16, 5)])
def test_mih_units_match_a_step_by_step_count(n, nbits, m, k):
    assert _mih_cost.mih_units(n, nbits, m, k) == pytest.approx(_units_by_steps(n, nbits, m, k))


@pytest.mark.parametrize("n,nbits", [(10**4, 32), (10**6, 64), (10**7, 64), (10**7, 128), (10**9, 64)])
def test_default_m_is_the_cheapest_valid_m(n, nbits):
    m = _mih_cost.default_m(n, nbits)
    assert m in _mih_cost.m_range(nbits)
    costs = {c: _mih_cost.mih_units(n, nbits, c, _mih_cost.DESIGN_K) for c in _mih_cost.m_range(nbits)}
    assert costs[m] == min(costs.values())
    assert max(_mih_tables.substring_lengths(nbits, m)) <= 32


def test_choose_index_edges_and_validation():
    assert choose_index(10**9, 64, 10) == "mih"  # the paper's regime: a billion 64-bit codes
    assert choose_index(1000, 64, 10) == "exact"  # tiny databases are scanned
    assert choose_index(10**7, 64, 10**7) == "exact"  # k >= n: every code is in the result
    assert choose_index(10**9, 4096, 10) == "exact"  # beyond multi-index hashing's code lengths
    with pytest.raises(HashxValueError, match="'k' parameter of choose_index"):
        choose_index(10, 64, 0)
    with pytest.raises(HashxValueError, match="'nq'"):
        choose_index(10, 64, 1, nq=0)


def test_choose_index_docstring_table_is_what_it_returns():
    # the table in the docstring is checked cell by cell, so it cannot go stale
    rows = re.findall(r"^\s*(\d+[MB]) x (\d+)\s+(.+?)\s*$", choose_index.__doc__, flags=re.M)
    assert len(rows) >= 4
    scale = {"M": 10**6, "B": 10**9}
    for size, nbits, cells in rows:
        n = int(size[:-1]) * scale[size[-1]]
        for k, cell in zip((1, 10, 100), re.findall(r"(\w+)(?: \((\w+)\))?", cells)):
            single, batch = cell
            assert choose_index(n, int(nbits), k) == single, (size, nbits, k)
            assert choose_index(n, int(nbits), k, nq=1000) == (batch or single), (size, nbits, k)


# ----------------------------------------------------------------- open_index
@pytest.fixture
def database(tmp_path):
    db, queries = oracle.make_case("uniform", 32, 5000, 4, seed=7)
    path = tmp_path / "db.hxc"
    save_codes(path, db, 32)
    return path, db, queries


def test_open_index_exact_and_mih_agree(database):
    path, db, queries = database
    exact = open_index(path, index="exact")
    mih = open_index(path, index="mih")
    assert isinstance(exact, HammingIndex) and isinstance(mih, MultiIndexHammingIndex)
    for k in (1, 9):
        for a, b in zip(exact.search(queries, k), mih.search(queries, k)):
            np.testing.assert_array_equal(a, b)
    assert (path.parent / "db.hxc.mih").exists() and default_index_path(path) == str(path) + ".mih"


def test_a_saved_multi_index_is_reused_until_the_codes_change(database, monkeypatch, caplog):
    path, db, queries = database
    open_index(path, index="mih")
    built = []
    real = _mih_tables.build_tables
    monkeypatch.setattr("hashx.search.multi_index.build_tables", lambda *a: built.append(1) or real(*a))
    again = open_index(path, index="mih")
    assert built == [] and again._tables is not None  # loaded, not rebuilt
    # the database changes (same size, other codes): the saved index no longer matches
    save_codes(path, db[::-1].copy(), 32)
    with caplog.at_level(logging.INFO, logger="hashx.search.code_file_index"):
        fresh = open_index(path, index="mih")
    assert built == [1] and "built from other codes" in caplog.text
    np.testing.assert_array_equal(fresh.search(queries, 3)[1], oracle.oracle_search(queries, db[::-1], 3, 32)[1])
    built.clear()
    open_index(path, index="mih")
    assert built == []


def test_a_damaged_or_unwritable_multi_index_is_rebuilt_and_used(database, tmp_path, caplog):
    path, db, queries = database
    mih_path = tmp_path / "elsewhere.mih"
    mih_path.write_bytes(b"garbage")
    with caplog.at_level(logging.INFO, logger="hashx.search.code_file_index"):
        index = open_index(path, index="mih", index_path=mih_path)
    assert "not a usable multi-index" in caplog.text
    assert MultiIndexHammingIndex.load(mih_path).ntotal == 5000
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="hashx.search.code_file_index"):
        index = open_index(path, index="mih", index_path=tmp_path / "no" / "such" / "dir.mih")
    assert "could not save" in caplog.text
    np.testing.assert_array_equal(index.search(queries, 2)[1], oracle.oracle_search(queries, db, 2, 32)[1])


def test_auto_follows_choose_index(database, monkeypatch):
    path, *_ = database
    for choice, cls in (("exact", HammingIndex), ("mih", MultiIndexHammingIndex)):
        monkeypatch.setattr("hashx.search.code_file_index.choose_index", lambda n, nbits, k, nq, c=choice: c)
        assert type(open_index(path, index="auto", k=3)) is cls
    with pytest.raises(HashxValueError, match="'index' parameter of open_index must be one of 'exact', 'mih', 'auto'"):
        open_index(path, index="fast")
