"""hashx.data's public API: explicit __all__, no torch."""

import subprocess
import sys

import hashx.data


def test_all_names_exist_and_are_public():
    assert len(hashx.data.__all__) == len(set(hashx.data.__all__))
    for name in hashx.data.__all__:
        assert not name.startswith("_") and hasattr(hashx.data, name), name
    for name in ("read_nuswide_concepts", "select_top_concepts", "make_synthetic", "make_mirflickr_synthimg",
                 "list_protocols", "get_protocol", "load_dataset", "make_split", "load_protocol", "LazyImages",
                 "read_vggf", "Split", "CrossModalDataset"):
        assert name in hashx.data.__all__


def test_importing_hashx_data_never_imports_torch():
    code = "import sys, hashx.data; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
