"""numba's OpenMP pool must not move torch's thread count (it broke resumed runs' bits; hashx._torch_threads)."""

import os
import subprocess
import sys

CODE = """
import numpy as np
{first}
from hashx.metrics import mean_average_precision
codes = np.random.default_rng(0).integers(0, 255, (64, 2), dtype=np.uint8)
labels = np.eye(3, dtype=np.uint8)[np.arange(64) % 3]
{kernel}
import torch
print(torch.get_num_threads())
"""


METRIC = "mean_average_precision(codes, codes, labels, labels)"
SEARCH = """
from hashx.search import HammingIndex, MultiIndexHammingIndex
for index in (HammingIndex(16, threads=2), MultiIndexHammingIndex(16, threads=2)):
    index.add(codes)
    index.search(codes, 5)
"""


def _threads_after_a_metric(first: str, kernel: str = METRIC) -> int:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "2"}
    out = subprocess.run([sys.executable, "-c", CODE.format(first=first, kernel=kernel)], env=env,
                         capture_output=True, text=True, check=True).stdout
    return int(out.split()[-1])


def test_training_code_keeps_torch_on_its_threads_after_a_numba_kernel():
    assert _threads_after_a_metric("import hashx.train") == 1  # pinned when hashx.train was imported
    assert _threads_after_a_metric("import torch") == 1  # pinned before the kernel started numba's pool


def test_search_kernels_keep_torch_on_its_threads():
    assert _threads_after_a_metric("import torch", SEARCH) == 1  # hashx.search pins it too (search/_threads.py)
