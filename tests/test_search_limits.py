"""The engine's stated limits (issue 15.8): nbits, k and result sizes give clear errors, never numpy's."""

import numpy as np
import pytest
from click.testing import CliRunner

import search_oracle as oracle
from hashx import HammingIndex, MultiIndexHammingIndex
from hashx.codefile import save_codes
from hashx.exceptions import HashxError, HashxValueError
from hashx.search.base import MAX_NBITS, MAX_PADDED_K


@pytest.mark.parametrize("cls,limit", [(HammingIndex, MAX_NBITS), (MultiIndexHammingIndex, 2048)])
@pytest.mark.parametrize("nbits", [2**64, 2**70, "limit + 8"])
def test_nbits_above_the_limit_is_refused_by_name(cls, limit, nbits):
    nbits = limit + 8 if nbits == "limit + 8" else nbits
    with pytest.raises(HashxValueError, match=rf"'nbits' parameter of {cls.__name__} must be an int in \[8, {limit}\]"):
        cls(nbits)
    assert cls(limit).nbits == limit


@pytest.mark.parametrize("kind", oracle.INDEX_KINDS)
def test_k_beyond_ntotal_pads_up_to_the_stated_bound(kind):
    db, queries = oracle.make_case("uniform", 32, 50, 2, seed=1)
    index = oracle.make_index(kind, 32)
    index.add(db)
    D, I = index.search(queries, 57)
    assert (I[:, 50:] == -1).all() and (D[:, 50:] == 33).all()
    D, I = index.search(queries[:1], MAX_PADDED_K)  # the largest k past ntotal: 12 MiB of padding
    assert D.shape == (1, MAX_PADDED_K) and (I[0, 50:] == -1).all()
    for k in (MAX_PADDED_K + 1, 10**12):
        with pytest.raises(HashxValueError, match=r"'k' parameter of \w+.search must be at most max\(ntotal, "
                                                  r"1,048,576\) = 1,048,576.*ntotal=50"):
            index.search(queries, k)


@pytest.mark.parametrize("kind", oracle.INDEX_KINDS)
@pytest.mark.parametrize("n", [0, 10])
def test_results_too_large_for_memory_are_a_clear_error(kind, n):
    # 2**20 queries x k = 2**20 results would take 12 TiB
    index = oracle.make_index(kind, 16)
    index.add(np.arange(2 * n, dtype=np.uint8).reshape(n, 2))
    queries = np.zeros((2**20, 2), np.uint8)
    with pytest.raises(HashxValueError, match=r"ran out of memory: 1,048,576 queries x k=1,048,576 results take "
                                              r"12,288.0 GiB"):
        index.search(queries, MAX_PADDED_K)


def test_cli_k_of_a_trillion_is_one_error_line(tmp_path):
    from hashx_cli.main import cli

    save_codes(tmp_path / "db.hxc", np.zeros((20, 4), np.uint8), 32)
    save_codes(tmp_path / "q.hxc", np.zeros((2, 4), np.uint8), 32)
    for index in ("exact", "mih", "auto"):
        result = CliRunner().invoke(cli, ["search", "--database", str(tmp_path / "db.hxc"), "--queries",
                                          str(tmp_path / "q.hxc"), "-k", str(10**12), "--index", index])
        assert result.exit_code == 1, result.output
        assert result.output.startswith("Error: The 'k' parameter of ") and result.output.count("\n") == 1
        assert "Traceback" not in result.output
    assert isinstance(HashxValueError("x"), HashxError)
