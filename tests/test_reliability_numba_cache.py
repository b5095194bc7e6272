"""numba's cache of hashx's kernels lives outside the installed package (issue 15, item 13).

Before, `pip install .` followed by numba's first compile wrote __pycache__/*.nbi and *.nbc into
site-packages/hashx/; `pip install -e .` then removed the package but not those files, and the folder
left behind shadowed the editable install.  .ci/run runs the README's two commands in sequence to
check the whole story; these tests check the mechanism quickly."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numba
import pytest
from numba.core.caching import FunctionCache

import hashx
from hashx import _numba_cache
from hashx.metrics._tie_average import harmonic_diff

REPO = Path(__file__).resolve().parents[1]


def _not_a_hashx_kernel(a):  # defined outside hashx: numba's default rules apply
    return a + 1


def test_hashx_locator_comes_first(monkeypatch):
    from numba.core import caching

    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl")
    assert impl._locator_classes[0].__name__ == "HashxCacheLocator"
    assert _numba_cache.install_cache_locator() is True  # idempotent
    assert sum(c.__name__ == "HashxCacheLocator" for c in impl._locator_classes) == 1


def test_hashx_kernels_cache_under_xdg_cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    path = Path(FunctionCache(harmonic_diff.py_func)._cache_path)
    assert path.is_relative_to(tmp_path / "hashx" / "numba")
    assert not path.is_relative_to(Path(hashx.__file__).parent)
    other = Path(FunctionCache(_not_a_hashx_kernel)._cache_path)
    assert not other.is_relative_to(tmp_path)  # other code keeps numba's default (here: tests/__pycache__)


def test_a_users_numba_cache_dir_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path / "mine"))
    assert Path(FunctionCache(harmonic_diff.py_func)._cache_path).is_relative_to(tmp_path / "mine")


def test_unwritable_cache_home_falls_back_to_the_temp_folder(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # hashx/numba cannot be created below a file
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    path = Path(FunctionCache(harmonic_diff.py_func)._cache_path)
    assert path.is_relative_to(_numba_cache._fallback_dir())


_KERNEL = """
import json
from hashx.metrics._tie_average import harmonic_diff
value = harmonic_diff(1, 10)
print(json.dumps({"value": value, "hits": sum(harmonic_diff.stats.cache_hits.values()),
                  "misses": sum(harmonic_diff.stats.cache_misses.values())}))
"""


@pytest.mark.slow
def test_an_installed_copy_stays_clean_and_a_second_process_loads_from_cache(tmp_path):
    """A copy of the package in a 'site-packages' folder: two processes compile and then load a kernel;
    no numba file appears in the package tree, and the second process hits the cache."""
    site = tmp_path / "site-packages"
    shutil.copytree(REPO / "hashx", site / "hashx", ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, PYTHONPATH=str(site), XDG_CACHE_HOME=str(tmp_path / "cache"), PYTHONDONTWRITEBYTECODE="1")
    env.pop("NUMBA_CACHE_DIR", None)
    runs = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", _KERNEL], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=300)
        assert proc.returncode == 0, proc.stderr
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert runs[0]["value"] == runs[1]["value"] == pytest.approx(sum(1 / i for i in range(2, 11)))
    assert runs[0]["misses"] == 1 and runs[1]["hits"] == 1 and runs[1]["misses"] == 0
    # an edit of *another* file of the package (a kernel may inline code from it) invalidates the entry
    other = site / "hashx" / "search" / "_popcount.py"
    other.write_text(other.read_text() + "\n# edited\n")
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", _KERNEL], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=300)
        assert proc.returncode == 0, proc.stderr
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert runs[2]["misses"] == 1 and runs[2]["hits"] == 0  # recompiled
    assert runs[3]["hits"] == 1 and runs[3]["misses"] == 0  # and cached again
    leftovers = [p for p in (site / "hashx").rglob("*") if p.suffix in (".nbi", ".nbc")]
    assert not leftovers, leftovers
    assert list((tmp_path / "cache" / "hashx" / "numba").rglob("*.nbi"))


def test_the_package_stamp_follows_every_source_file(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "sub" / "b.py").write_text("y = 2\n")
    (pkg / "notes.txt").write_text("not source\n")

    def stamp():
        _numba_cache.package_stamp.cache_clear()
        return _numba_cache.package_stamp(pkg)

    first = stamp()
    assert stamp() == first
    (pkg / "notes.txt").write_text("changed, but not a .py file\n")
    os.utime(pkg / "a.py")  # touched, same contents
    assert stamp() == first
    (pkg / "sub" / "b.py").write_text("y = 3\n")
    second = stamp()
    assert second != first
    (pkg / "sub" / "c.py").write_text("")
    assert stamp() not in (first, second)
    _numba_cache.package_stamp.cache_clear()


def test_hashx_kernels_are_stamped_by_the_whole_package():
    cache = FunctionCache(harmonic_diff.py_func)
    assert cache._impl.locator.get_source_stamp() == _numba_cache.package_stamp()
    other = FunctionCache(_not_a_hashx_kernel)
    assert other._impl.locator.get_source_stamp() != _numba_cache.package_stamp()
