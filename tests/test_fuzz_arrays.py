"""Property-based tests of the dataset and label readers: arbitrary arrays (shapes, dtypes, NaN/Inf,
empty arrays, labels that are not 0/1, broken CSR parts) written as .npz / .h5 files.  Each one must
be read exactly as the reference reads it (tests/hostile/arrays.py, labels.py) or refused with a
clear error naming the file; a fixed derandomized hypothesis profile keeps CI deterministic."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import numpy as np
from hostile import ACCEPTABLE, FAMILIES, fuzz_settings, judge, write_input
from hostile.arrays import h5_bytes, npz_bytes, seed_arrays
from hostile.labels import DB, Q, _npy, _npz
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

_DTYPES = st.sampled_from([np.float32, np.float64, np.int8, np.int64, np.uint8, np.bool_, np.complex64])
_VALUES = st.sampled_from([0.0, 1.0, 2.0, -1.0, 0.5, np.nan, np.inf, -np.inf, 1e300])


def _array(draw, *, min_dims=0, max_dims=3, max_side=6):
    dtype = np.dtype(draw(_DTYPES))
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=0, max_side=max_side))
    values = np.asarray(draw(st.lists(_VALUES, min_size=int(np.prod(shape)), max_size=int(np.prod(shape)))),
                        dtype=np.float64).reshape(shape)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if dtype.kind in "iub":
            values = np.nan_to_num(values, nan=0, posinf=1, neginf=-1)
            values = np.clip(values, -1, 2)
        return values.astype(dtype)


@st.composite
def dataset_arrays(draw):
    """A valid small dataset with zero, one or two of its arrays replaced by arbitrary ones."""
    arrays = seed_arrays(draw(st.integers(0, 3)), n=draw(st.integers(1, 6)), csr=draw(st.booleans()))
    for key in draw(st.lists(st.sampled_from(sorted(arrays)), max_size=2, unique=True)):
        if key == "text_shape":
            arrays[key] = np.asarray(draw(st.lists(st.integers(-2, 10**12), min_size=0, max_size=3)), np.int64)
        elif key in ("text_indices", "text_indptr"):
            base = arrays[key].astype(np.int64)
            if base.size:
                base[draw(st.integers(0, base.size - 1))] = draw(st.sampled_from([-1, 10**6, 2**40, 0, 3]))
            arrays[key] = base
        else:
            arrays[key] = _array(draw)
    return arrays


def _judge(name, files):
    with tempfile.TemporaryDirectory() as tmp:
        return judge(FAMILIES[name], write_input(Path(tmp) / "input", files))


@fuzz_settings(150)
@given(arrays=dataset_arrays())
def test_generic_npz_datasets(arrays):
    outcome, detail = _judge("generic.npz", {"data.npz": npz_bytes(arrays)})
    assert outcome in ACCEPTABLE, f"{outcome}: {detail}"


@fuzz_settings(60)
@given(arrays=dataset_arrays(), chunked=st.booleans())
def test_generic_h5_datasets(arrays, chunked):
    arrays = {k: v for k, v in arrays.items() if np.asarray(v).dtype.kind != "c"}  # h5py stores complex as compound
    assume("labels" in arrays and "image" in arrays)
    csr = "text_data" in arrays
    outcome, detail = _judge("generic.h5", {"data.h5": h5_bytes(arrays, csr_group=csr, chunked=chunked)})
    assert outcome in ACCEPTABLE, f"{outcome}: {detail}"


@st.composite
def label_pairs(draw):
    def one(draw):
        kind = draw(st.sampled_from(["ids", "binary", "matrix", "any"]))
        n = draw(st.integers(0, 6))
        if kind == "ids":
            return np.asarray(draw(st.lists(st.integers(0, 12), min_size=n, max_size=n)))
        if kind == "binary":
            return np.asarray(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))).reshape(-1, 1)
        if kind == "matrix":
            c = draw(st.integers(1, 5))
            return np.asarray(draw(st.lists(st.integers(0, 1), min_size=n * c, max_size=n * c)), np.uint8).reshape(n, c)
        return _array(draw, max_dims=3)

    return one(draw), one(draw)


@fuzz_settings(200)
@given(pair=label_pairs())
def test_label_file_pairs(pair):
    q, db = pair
    outcome, detail = _judge("labels", {Q: _npy(q), DB: _npz(db)})
    assert outcome in ACCEPTABLE, f"{outcome}: {detail}"
