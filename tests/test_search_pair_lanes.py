"""The explicit 256-bit two-word group mask (AVX2 CPUs; issue 13, the linear scan on every CPU)."""

import os
import platform
import subprocess
import sys

import numpy as np
import pytest
from numba import njit

from hashx.search import _popcount
from hashx.search._pair_lanes import mask_2_lanes


@njit
def _both_masks(qs, db, limit):
    n = db.shape[0] // 2
    lanes = np.empty((qs.shape[0] // 2, n // 64), np.uint64)
    loop = np.empty_like(lanes)
    for q in range(qs.shape[0] // 2):
        for b in range(n // 64):
            lanes[q, b] = mask_2_lanes(qs[2 * q], qs[2 * q + 1], db, b * 64, limit)
            loop[q, b] = _popcount._mask_2(qs[2 * q], qs[2 * q + 1], db, np.uint64(b * 64), limit)
    return lanes, loop


def _oracle_mask(qs, db, limit):
    """Bit i of word b: code 64 b + i at distance < limit (numpy bit counting)."""
    x = np.unpackbits((qs.reshape(-1, 1, 2) ^ db.reshape(1, -1, 2)).view(np.uint8), axis=2)
    below = x.reshape(x.shape[0], x.shape[1], -1).sum(-1) < limit
    weights = np.uint64(1) << np.arange(64, dtype=np.uint64)
    return (below.reshape(below.shape[0], -1, 64).astype(np.uint64) * weights).sum(-1, dtype=np.uint64)


def test_the_lane_mask_is_the_loop_mask_and_the_oracle_on_any_cpu():
    rng = np.random.default_rng(0)
    db = rng.integers(0, 2**64, size=2 * 256, dtype=np.uint64, endpoint=False)
    qs = rng.integers(0, 2**64, size=2 * 6, dtype=np.uint64, endpoint=False)
    # codes at distance 0 and 128 from the first query, and a code with both words zero
    db[0:2] = qs[0:2]
    db[6:8] = ~qs[0:2]
    db[10:12] = 0
    qs[4:6] = db[200:202]  # a query equal to the database code 100
    for limit in [0, 1, 2, 40, 63, 64, 65, 90, 128, 129]:
        lanes, loop = _both_masks(qs, db, limit)
        oracle = _oracle_mask(qs, db, limit)
        assert (lanes == oracle).all(), limit
        assert (loop == oracle).all(), limit
    lanes, _ = _both_masks(qs, db, 1)
    assert lanes[0, 0] & np.uint64(1) == 1 and lanes[0, 0] >> np.uint64(3) & np.uint64(1) == 0
    assert lanes[2, 1] == np.uint64(1) << np.uint64(100 - 64)


def test_the_lane_mask_refuses_what_it_cannot_scan():
    @njit
    def call(db):
        return mask_2_lanes(np.uint64(0), np.uint64(0), db, 0, 3)

    with pytest.raises(Exception, match="mask_2_lanes"):
        call(np.zeros(128, np.uint32))  # uint32 words take the loop form


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                    reason="the AVX2 target is an x86-64 target")
def test_searches_compiled_for_an_avx2_cpu_are_exact(tmp_path):
    # compile the scan for this CPU with AVX-512 switched off (an AVX2 target takes the lane
    # form whatever machine runs the test) and check top-k and range search against numpy
    import llvmlite.binding as ll

    features = ",".join(("-" + f[1:]) if f[1:].startswith("avx512") else f
                        for f in ll.get_host_cpu_features().flatten().split(","))
    if "+avx2" not in features:
        pytest.skip("this CPU has no AVX2")
    code = """
import numpy as np
from hashx import HammingIndex
from hashx.search._target import compile_target
assert compile_target()["lane_pairs"], compile_target()
rng = np.random.default_rng(1)
db = rng.integers(0, 256, size=(5000, 16), dtype=np.uint8)
db[100:140] = db[7]                      # duplicates: ties ordered by id
db[200] = ~db[7]                         # the farthest code from queries like db[7]
q = np.concatenate([rng.integers(0, 256, size=(30, 16), dtype=np.uint8), db[[7, 200]]])
dist = np.unpackbits(q[:, None, :] ^ db[None, :, :], axis=2).sum(-1)
index = HammingIndex(128, threads=2)
index.add(db)
for k in (1, 10, 100, 5000):
    D, I = index.search(q, k)
    order = np.argsort(dist, axis=1, kind="stable")[:, :k]
    assert (I == order).all() and (D == np.take_along_axis(dist, order, 1)).all(), k
for radius in (0, 40, 128):
    lims, D, I = index.range_search(q, radius)
    for j in range(len(q)):
        want = np.flatnonzero(dist[j] <= radius)
        got = I[lims[j]:lims[j + 1]]
        assert sorted(got.tolist()) == want.tolist(), (radius, j)
        assert (D[lims[j]:lims[j + 1]] == dist[j][got]).all()
print("exact")
"""
    env = dict(os.environ, NUMBA_CPU_NAME="haswell", NUMBA_CPU_FEATURES=features,
               NUMBA_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["exact"]
