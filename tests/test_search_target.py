"""The CPU the kernels are compiled for, and the 512-bit vector hint (issue 13: the linear scan on Intel)."""

import numpy as np
from numba import njit

from hashx.search import _target


def test_compile_target_describes_the_numba_target():
    import llvmlite.binding as ll
    from numba.core import config

    info = _target.compile_target()
    assert info["cpu"] == (config.CPU_NAME or ll.get_host_cpu_name())
    assert set(info["features"]) <= set(_target.REPORTED_FEATURES)
    assert info["wide_vectors"] == ({"avx512f", "avx512vpopcntdq"} <= set(info["features"]))


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


def test_the_scan_kernels_ask_for_the_hint():
    # every hot loop of the scan (the group masks and the distance loops) calls the hint first
    import inspect

    from hashx.search import _popcount

    hot = [name for name in dir(_popcount) if name.startswith(("_next_", "_distances_"))]
    assert len(hot) == 9
    for name in hot:
        source = inspect.getsource(getattr(_popcount, name).py_func)
        assert "prefer_wide_vectors()" in source.splitlines()[2], name
