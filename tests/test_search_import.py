"""hashx.search is numpy + numba only: importing and using it never imports torch."""

import subprocess
import sys
import textwrap


def test_search_does_not_import_torch():
    code = textwrap.dedent("""
        import sys
        import numpy as np
        import hashx.search
        from hashx.search import HammingIndex
        index = HammingIndex(64)
        index.add(np.zeros((100, 8), dtype=np.uint8))
        index.search(np.zeros((2, 8), dtype=np.uint8), 5)
        index.range_search(np.zeros((2, 8), dtype=np.uint8), 1)
        list(index.rank(np.zeros((2, 8), dtype=np.uint8)))
        # (numba itself imports scipy when it is installed; torch must never come in)
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"torch", "torchvision", "sklearn"})
        print(",".join(heavy) or "clean")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "clean"


def test_public_names():
    import hashx
    import hashx.search

    assert hashx.HammingIndex is hashx.search.HammingIndex
    assert hashx.search.__all__ == ["HammingIndex"]
