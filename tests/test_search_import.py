"""hashx.search is numpy + numba only: importing and using it never imports torch."""

import subprocess
import sys
import textwrap


def test_search_does_not_import_torch():
    code = textwrap.dedent("""
        import sys
        import numpy as np
        import hashx.search
        from hashx.search import HammingIndex, MultiIndexHammingIndex, choose_index
        index = HammingIndex(64)
        index.add(np.zeros((100, 8), dtype=np.uint8))
        index.search(np.zeros((2, 8), dtype=np.uint8), 5)
        index.range_search(np.zeros((2, 8), dtype=np.uint8), 1)
        list(index.rank(np.zeros((2, 8), dtype=np.uint8)))
        mih = MultiIndexHammingIndex(64)
        mih.add(np.arange(800, dtype=np.uint8).reshape(100, 8))
        mih.search(np.zeros((2, 8), dtype=np.uint8), 5)
        mih.range_search(np.zeros((2, 8), dtype=np.uint8), 1)
        choose_index(10**6, 64, 10)
        # (numba itself imports scipy when it is installed; torch must never come in, faiss only on request)
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"torch", "torchvision", "sklearn", "faiss"})
        print(",".join(heavy) or "clean")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "clean"


def test_public_names():
    import hashx
    import hashx.search

    assert hashx.HammingIndex is hashx.search.HammingIndex
    assert hashx.MultiIndexHammingIndex is hashx.search.MultiIndexHammingIndex
    assert "MultiIndexHammingIndex" in hashx.__all__
    assert hashx.search.__all__ == ["BaseHammingIndex", "HammingIndex", "MultiIndexHammingIndex", "choose_index",
                                    "open_index", "INDEX_KINDS"]
    assert hashx.search.INDEX_KINDS == ("exact", "mih", "auto")
    assert issubclass(hashx.HammingIndex, hashx.search.BaseHammingIndex)
    assert issubclass(hashx.MultiIndexHammingIndex, hashx.search.BaseHammingIndex)
