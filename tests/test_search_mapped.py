"""A memory-mapped index whose file another program changes (issue 15.5): a clear error, never SIGBUS.

Each case runs in a child process, so that a SIGBUS (what touching a page of
a file that shrank does) fails the test instead of killing pytest.
"""

import os
import subprocess
import sys
import textwrap

import pytest

import search_oracle as oracle

CHILD = textwrap.dedent("""
    import os, sys, time
    import numpy as np
    import search_oracle as oracle
    from hashx.exceptions import CodeFileError

    kind, change, path = sys.argv[1], sys.argv[2], sys.argv[3]
    cls = type(oracle.make_index(kind, 64))
    db, queries = oracle.make_case("uniform", 64, 20_000, 4, seed=1)
    index = oracle.make_index(kind, 64)
    index.add(db)
    index.save(path)
    loaded = cls.load(path)  # memory-mapped
    before = loaded.search(queries, 5)
    time.sleep(0.05)  # past the file system's timestamp resolution
    if change == "truncate":
        os.truncate(path, 1000)
    elif change == "rewrite":  # same size, other codes, written in place
        with open(path, "r+b") as f:
            f.seek(os.path.getsize(path) // 2)
            f.write(bytes(64 * 1024))
    elif change == "replace":  # what hashx's own writers do: a new file renamed over the path
        other = oracle.make_index(kind, 64)
        other.add(db[::-1].copy())
        other.save(path)
    for call in (lambda: loaded.search(queries, 5), lambda: loaded.range_search(queries, 3),
                 lambda: loaded.codes, lambda: loaded.add(db[:2])):
        try:
            got = call()
        except CodeFileError as error:
            assert "changed in place" in str(error) and "Load the index again" in str(error), error
            print("refused")
        else:
            if call is not None and isinstance(got, tuple) and len(got) == 2:
                assert all(np.array_equal(a, b) for a, b in zip(got, before))
            print("served")
""")


def _run(tmp_path, kind, change):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.dirname(__file__), os.environ.get("PYTHONPATH", "")]))
    path = tmp_path / "index.bin"
    return subprocess.run([sys.executable, "-c", CHILD, kind, change, str(path)], env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("kind", oracle.INDEX_KINDS)
@pytest.mark.parametrize("change", ["truncate", "rewrite"])
def test_a_file_changed_in_place_is_refused_before_any_read(tmp_path, kind, change):
    out = _run(tmp_path, kind, change)
    assert out.returncode == 0, f"child died (returncode {out.returncode}, -7 is SIGBUS): {out.stderr}"
    assert out.stdout.split() == ["refused"] * 4


@pytest.mark.parametrize("kind", oracle.INDEX_KINDS)
def test_a_replaced_file_leaves_the_mapped_index_intact(tmp_path, kind):
    out = _run(tmp_path, kind, "replace")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["served"] * 4


@pytest.mark.parametrize("kind", oracle.INDEX_KINDS)
def test_without_mmap_the_index_holds_a_private_copy(tmp_path, kind):
    db, queries = oracle.make_case("uniform", 64, 3000, 3, seed=2)
    index = oracle.make_index(kind, 64)
    index.add(db)
    path = tmp_path / "index.bin"
    index.save(path)
    loaded = type(index).load(path, mmap=False)
    os.truncate(path, 10)
    D, I = loaded.search(queries, 4)
    assert (I == oracle.oracle_search(queries, db, 4, 64)[1]).all()
