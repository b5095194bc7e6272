"""The CPU the kernels are compiled for, and the 512-bit vector hint (issue 13: the linear scan on Intel)."""

import os
import subprocess
import sys

import numpy as np
import pytest
from numba import njit

from hashx.search import _target


def test_compile_target_describes_the_numba_target():
    import llvmlite.binding as ll
    from numba.core import config

    info = _target.compile_target()
    assert info["cpu"] == (config.CPU_NAME or ll.get_host_cpu_name())
    assert set(info["features"]) <= set(_target.REPORTED_FEATURES)
    assert info["wide_vectors"] == ({"avx512f", "avx512vpopcntdq"} <= set(info["features"]))
    assert info["wide_pairs"] == (info["wide_vectors"] or {"avx512f", "avx512bw"} <= set(info["features"]))
    assert info["lane_pairs"] == ("avx2" in info["features"] and not info["wide_pairs"])
    assert _target.lane_pairs() == info["lane_pairs"]


@pytest.mark.parametrize("features, wide, pairs, lanes", [
    ("+avx2,+popcnt", False, False, True),                                   # AVX2 only (Haswell to Zen 3)
    ("+avx2,+popcnt,+avx512f,+avx512bw,+avx512vl", False, True, False),      # Skylake-SP, Cascade Lake
    ("+avx2,+popcnt,+avx512f,+avx512bw,+avx512vl,+avx512vpopcntdq", True, True, False),  # Ice Lake+, Zen 4+
    ("+avx2,+popcnt,+avx512f,-avx512bw,+avx512vpopcntdq", True, True, False),
    ("+sse4.2,+popcnt,-avx2", False, False, False),                          # no AVX2: the loop form
])
def test_which_targets_get_512_bit_vectors(features, wide, pairs, lanes):
    # NUMBA_CPU_FEATURES is read once per process: ask a fresh one
    code = ("from hashx.search._target import compile_target as c; t = c(); "
            "print(t['wide_vectors'], t['wide_pairs'], t['lane_pairs'], t['features_source'])")
    env = dict(os.environ, NUMBA_CPU_FEATURES=features, NUMBA_CPU_NAME="generic")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == [str(wide), str(pairs), str(lanes), "NUMBA_CPU_FEATURES"]


def test_the_hint_is_in_the_compiled_function_exactly_when_the_target_has_vpopcntdq():
    @njit
    def scan(x):
        _target.prefer_wide_vectors()
        s = 0
        for i in range(x.shape[0]):
            s += x[i] ^ np.uint64(3)
        return s

    x = np.arange(100, dtype=np.uint64)
    assert scan(x) == int(np.bitwise_xor(x, 3).sum())
    ir = next(iter(scan.inspect_llvm().values()))
    assert ('"prefer-vector-width"="512"' in ir) == _target.wide_vectors()


def test_the_pairs_hint_is_in_the_compiled_function_exactly_when_the_target_has_avx512bw():
    @njit
    def scan(x):
        _target.prefer_wide_vectors_for_pairs()
        s = 0
        for i in range(x.shape[0] // 2):
            s += (x[2 * i] ^ np.uint64(3)) + x[2 * i + 1]
        return s

    x = np.arange(100, dtype=np.uint64)
    assert scan(x) == int((x[0::2] ^ np.uint64(3)).sum() + x[1::2].sum())
    ir = next(iter(scan.inspect_llvm().values()))
    assert ('"prefer-vector-width"="512"' in ir) == _target.compile_target()["wide_pairs"]


def test_the_scan_kernels_ask_for_the_hint():
    # every hot loop of the scan (the group masks and the distance loops) calls the hint first
    import inspect

    from hashx.search import _popcount

    hot = [name for name in dir(_popcount) if name.startswith(("_next_", "_distances_"))]
    assert len(hot) == 9
    for name in hot:
        source = inspect.getsource(getattr(_popcount, name).py_func)
        # two-word codes take the pairs hint (see hashx.search._target), the others the plain one
        hint = "prefer_wide_vectors_for_pairs()" if name.endswith("_2") else "prefer_wide_vectors()"
        assert source.splitlines()[2].strip() == hint, name
