"""Dataset files: generic .npz / .h5 (dense and CSR text) through hashx.data.load_generic, and MATLAB
v5 / v7.3 files through hashx.data.read_modality (which reads them with hashx.data.MatFile).

The reference decodes the files with numpy, h5py and scipy (never with hashx) and applies the rules
of the README ("Your data") and of hashx/data/_arrays.py: labels a 2-d 0/1 matrix with a label in
every row; image features 2-d, numeric, finite in float32, or raw images 4-d uint8 of at least 63x63;
text 2-d numeric finite, dense or a valid CSR matrix; one row per item everywhere; ``ids`` (n,)
integers.  Arrays the file declares larger than 256 MiB are refused by the reference (the seeds are
kilobytes; hashx refuses declared sizes its storage cannot hold, far below that for these files).
"""

from __future__ import annotations

import io
import math
import tempfile
from pathlib import Path

import h5py
import numpy as np
import scipy.io
import scipy.sparse as sp

from . import Family, Rejected, family

_HUGE = 256 * 2**20
_LAYOUT_MIN = 63


# -- the documented rules ------------------------------------------------------------------
def _numeric(x, what):
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise Rejected(f"{what}: dtype {x.dtype}")
    return x


def rule_labels(x, *, require=True):
    x = _numeric(x, "labels")
    if x.ndim != 2 or x.shape[1] < 1 or ((x != 0) & (x != 1)).any():
        raise Rejected("labels: not a 2-d 0/1 matrix")
    x = x.astype(np.uint8)
    if require and x.shape[0] and not x.any(axis=1).all():
        raise Rejected("labels: a row without a label")
    return x


def rule_features(x):
    x = _numeric(x, "features")
    if x.ndim != 2 or x.shape[1] < 1:
        raise Rejected("features: not 2-d")
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        raise Rejected("features: NaN/Inf")
    with np.errstate(over="ignore"):
        out = x.astype(np.float32)
    if not np.isfinite(out).all():
        raise Rejected("features: overflow float32")
    return out


def rule_raw(x):
    if x.dtype != np.uint8 or x.ndim != 4:
        raise Rejected("raw images: not 4-d uint8")
    if x.shape[3] == 3 and x.shape[1] != 3:
        out = x
    elif x.shape[1] == 3 and x.shape[3] != 3:
        out = x.transpose(0, 2, 3, 1)
    else:
        raise Rejected("raw images: layout")
    if min(out.shape[1], out.shape[2]) < _LAYOUT_MIN:
        raise Rejected("raw images: smaller than 63x63")
    return np.ascontiguousarray(out)


def rule_text(x):
    if sp.issparse(x):
        if x.data.dtype.kind not in "biuf" or (x.data.dtype.kind == "f" and not np.isfinite(x.data).all()):
            raise Rejected("text: values")
        if x.shape[1] < 1:
            raise Rejected("text: no columns")
        return np.asarray(x.astype(np.float32).toarray())
    x = _numeric(x, "text")
    if x.ndim != 2 or x.shape[1] < 1:
        raise Rejected("text: not 2-d")
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        raise Rejected("text: NaN/Inf")
    return x.astype(np.float32)


def rule_csr(data, indices, indptr, shape):
    shape = np.asarray(shape)
    if shape.shape != (2,) or shape.dtype.kind not in "iuf" or not np.isfinite(shape).all() \
            or (shape != np.round(shape)).any() or shape.min() < 0 or shape.max() > 2**31 - 1:
        raise Rejected("csr: shape")
    rows, cols = int(shape[0]), int(shape[1])
    indptr, indices, data = np.asarray(indptr), np.asarray(indices), np.asarray(data)
    for name, v in (("indptr", indptr), ("indices", indices)):
        if v.ndim != 1 or (v.size and v.dtype.kind not in "iu"):
            raise Rejected(f"csr: {name}")
    if data.ndim != 1 or (data.size and data.dtype.kind not in "biuf"):
        raise Rejected("csr: data")
    nnz = indices.shape[0]
    if indptr.shape[0] != rows + 1 or data.shape[0] != nnz or indptr[0] != 0 or indptr[-1] != nnz \
            or (np.diff(indptr.astype(np.int64)) < 0).any():
        raise Rejected("csr: indptr")
    if nnz and (indices.min() < 0 or indices.max() >= cols):
        raise Rejected("csr: indices")
    # an explicit loop, not scipy: the slow, obviously correct decoding
    dense = np.zeros((rows, cols), dtype=np.float64)
    for r in range(rows):
        for k in range(int(indptr[r]), int(indptr[r + 1])):
            dense[r, int(indices[k])] += float(data[k])
    return sp.csr_matrix(dense) if nnz else sp.csr_matrix((rows, cols))


def rule_dataset(image, text, labels, ids):
    labels = rule_labels(labels)
    image = rule_raw(np.asarray(image)) if np.asarray(image).ndim == 4 else rule_features(image)
    text = rule_text(text)
    n = labels.shape[0]
    if image.shape[0] != n or text.shape[0] != n:
        raise Rejected("row counts")
    if ids is not None:
        ids = np.asarray(ids)
        if ids.shape != (n,) or ids.dtype.kind not in "iu":
            raise Rejected("ids")
        ids = ids.astype(np.int64)
    else:
        ids = np.arange(n, dtype=np.int64)
    return image, text, labels, ids


def _dataset_tuple(ds):
    image = ds.image.read(np.arange(len(ds))) if hasattr(ds.image, "read") else np.asarray(ds.image)
    text = ds.text.toarray() if sp.issparse(ds.text) else np.asarray(ds.text)
    return image, text, np.asarray(ds.labels), np.asarray(ds.ids)


def same_arrays(got, want) -> bool:
    return all(np.asarray(g).shape == np.asarray(w).shape and np.asarray(g).dtype == np.asarray(w).dtype
               and np.array_equal(g, w) for g, w in zip(got, want))


# -- seed arrays ------------------------------------------------------------------------------
def seed_arrays(seed=0, *, n=12, raw=False, csr=False):
    rng = np.random.default_rng(seed)
    labels = (rng.random((n, 4)) < 0.3).astype(np.uint8)
    labels[np.arange(n), rng.integers(0, 4, n)] = 1
    text = ((rng.random((n, 9)) < 0.3) * rng.integers(1, 4, (n, 9))).astype(np.float32)
    image = rng.integers(0, 256, (n, 64, 64, 3), dtype=np.uint8) if raw else rng.random((n, 6)).astype(np.float32)
    arrays = {"image": image, "labels": labels, "ids": np.arange(100, 100 + n)}
    if csr:
        m = sp.csr_matrix(text)
        arrays.update(text_data=m.data, text_indices=m.indices, text_indptr=m.indptr,
                      text_shape=np.array(m.shape, dtype=np.int64))
    else:
        arrays["text"] = text
    return arrays


def npz_bytes(arrays, compressed=False) -> bytes:
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


def h5_bytes(arrays, *, csr_group=False, chunked=False) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.h5"
        with h5py.File(path, "w") as f:
            for key, value in arrays.items():
                if csr_group and key.startswith("text_"):
                    g = f.require_group("text")
                    if key == "text_shape":
                        g.attrs["shape"] = value
                    else:
                        g.create_dataset(key[5:], data=value)
                elif isinstance(value, tuple) and value[0] == "declared":  # (tag, shape, dtype): nothing stored
                    f.create_dataset(key, shape=value[1], dtype=value[2], chunks=True)
                else:
                    kw = {"chunks": True, "compression": "gzip"} if chunked and np.asarray(value).ndim else {}
                    f.create_dataset(key, data=value, **kw)
        return path.read_bytes()


def _dict_from_npz(path):
    try:
        with np.load(path, allow_pickle=False) as z:
            if not hasattr(z, "files"):
                raise Rejected("not an archive")
            for key in z.files:
                header_ok = _npz_member_ok(z, key)
                if not header_ok:
                    raise Rejected(f"{key}: declared size")
            return {k: z[k] for k in z.files}
    except Rejected:
        raise
    except Exception as exc:
        raise Rejected(f"numpy cannot read it ({type(exc).__name__})") from None


def _npz_member_ok(z, key) -> bool:
    with z.zip.open(f"{key}.npy") as fp:
        version = np.lib.format.read_magic(fp)
        reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = reader(fp)
    return min(shape, default=0) >= 0 and math.prod(shape) * dtype.itemsize <= _HUGE


def _h5_value(node):
    if isinstance(node, h5py.Group) or node.shape is None or node.dtype.kind not in "biuf":
        raise Rejected("not a numeric dataset")
    if math.prod(node.shape) * node.dtype.itemsize > _HUGE:
        raise Rejected("declared size")
    if node.id.get_storage_size() == 0 and math.prod(node.shape):
        raise Rejected("declares data it does not store")
    return np.asarray(node[()])


def _dict_from_h5(path):
    try:
        with h5py.File(path, "r") as f:
            out = {}
            for key in ("image", "labels", "ids", "text"):
                if key not in f:
                    continue
                node = f[key]
                if key == "text" and isinstance(node, h5py.Group):
                    shape = node.attrs["shape"] if "shape" in node.attrs else _h5_value(node["shape"])
                    out.update(text_data=_h5_value(node["data"]), text_indices=_h5_value(node["indices"]),
                               text_indptr=_h5_value(node["indptr"]), text_shape=np.asarray(shape))
                else:
                    out[key] = _h5_value(node)
            return out
    except Rejected:
        raise
    except Exception as exc:
        raise Rejected(f"h5py cannot read it ({type(exc).__name__})") from None


def _reference_generic(arrays):
    for key in ("image", "labels"):
        if key not in arrays:
            raise Rejected(f"no {key}")
    if "text" in arrays:
        text = arrays["text"]
    elif all(k in arrays for k in ("text_data", "text_indices", "text_indptr", "text_shape")):
        text = rule_csr(arrays["text_data"], arrays["text_indices"], arrays["text_indptr"], arrays["text_shape"])
    else:
        raise Rejected("no text")
    return rule_dataset(arrays["image"], text, arrays["labels"], arrays.get("ids"))


def _generic_read(name):
    def read(folder):
        from hashx.data import load_generic

        ds = load_generic(folder / name)
        try:
            return _dataset_tuple(ds)
        finally:
            store = getattr(ds.image, "_store", None)
            if isinstance(store, h5py.Dataset):
                store.file.close()
    return read


# -- hostile arrays shared by the generic families ------------------------------------------
def hostile_arrays():
    """(label, arrays) pairs, each breaking one documented rule (or stretching one that holds)."""
    a = seed_arrays(7)
    c = seed_arrays(7, csr=True)
    nan = a["image"].copy()
    nan[1, 2] = np.nan
    big = a["image"].astype(np.float64)
    big[0, 0] = 1e300
    ptr = c["text_indptr"].copy()
    ptr[5] = 10**6
    idx = c["text_indices"].copy()
    idx[0] = 10**6
    neg = c["text_indices"].copy()
    neg[0] = -1
    dec = c["text_indptr"].copy()
    dec[3], dec[4] = dec[4], dec[3] - 1 if dec[3] > 0 else dec[3]
    cases = [
        ("labels 2", {**a, "labels": a["labels"] * 2}),
        ("labels NaN", {**a, "labels": np.where(a["labels"] == 1, np.nan, 0.0)}),
        ("labels -1", {**a, "labels": a["labels"].astype(np.int8) - 1}),
        ("labels 0.5", {**a, "labels": a["labels"] * 0.5}),
        ("row without a label", {**a, "labels": np.vstack([a["labels"][:-1], np.zeros((1, 4), np.uint8)])}),
        ("labels 1-d", {**a, "labels": a["labels"][:, 0]}),
        ("labels strings", {**a, "labels": a["labels"].astype(str)}),
        ("labels complex", {**a, "labels": a["labels"].astype(np.complex64)}),
        ("image NaN", {**a, "image": nan}),
        ("image Inf", {**a, "image": np.where(nan != nan, np.inf, nan)}),
        ("image beyond float32", {**a, "image": big}),
        ("image 3-d", {**a, "image": a["image"][:, :, None]}),
        ("image 0-d", {**a, "image": np.float32(1)}),
        ("image no columns", {**a, "image": np.zeros((12, 0), np.float32)}),
        ("image bool", {**a, "image": a["image"] > 0.5}),
        ("raw images 8x8", {**a, "image": np.zeros((12, 8, 8, 3), np.uint8)}),
        ("raw images float", {**a, "image": np.zeros((12, 64, 64, 3), np.float32)}),
        ("raw images 4 channels", {**a, "image": np.zeros((12, 64, 64, 4), np.uint8)}),
        ("text NaN", {**a, "text": np.where(a["text"] > 0, np.nan, 0).astype(np.float32)}),
        ("text rows disagree", {**a, "text": a["text"][:-1]}),
        ("text empty", {**a, "text": np.zeros((12, 0), np.float32)}),
        ("all empty", {"image": np.zeros((0, 6), np.float32), "labels": np.zeros((0, 4), np.uint8),
                       "text": np.zeros((0, 9), np.float32)}),
        ("ids float", {**a, "ids": a["ids"].astype(float)}),
        ("ids wrong length", {**a, "ids": a["ids"][:3]}),
        ("no labels", {k: v for k, v in a.items() if k != "labels"}),
        ("csr indptr[5] = 10**6 (issue 15)", {**c, "text_indptr": ptr}),
        ("csr indices[0] = 10**6 (issue 15)", {**c, "text_indices": idx}),
        ("csr negative index", {**c, "text_indices": neg}),
        ("csr decreasing indptr", {**c, "text_indptr": dec}),
        ("csr indptr too short", {**c, "text_indptr": c["text_indptr"][:-1]}),
        ("csr data too short", {**c, "text_data": c["text_data"][:-1]}),
        ("csr shape 10**10 rows", {**c, "text_shape": np.array([10**10, 9])}),
        ("csr shape 10**12 columns", {**c, "text_shape": np.array([12, 10**12])}),
        ("csr shape negative", {**c, "text_shape": np.array([12, -9])}),
        ("csr shape three numbers", {**c, "text_shape": np.array([12, 9, 1])}),
        ("csr shape float 12.5", {**c, "text_shape": np.array([12.5, 9])}),
        ("csr indices float", {**c, "text_indices": c["text_indices"].astype(float)}),
        ("csr data NaN", {**c, "text_data": np.full_like(c["text_data"], np.nan)}),
        ("csr data strings", {**c, "text_data": c["text_data"].astype(str)}),
        ("csr duplicates summed", {**c, "text_indices": np.where(np.arange(c["text_indices"].size) == 1,
                                                                 c["text_indices"][0], c["text_indices"])}),
        ("partial csr", {k: v for k, v in c.items() if k != "text_indptr"}),
    ]
    return cases


def _npz_hostile():
    cases = [(label, {"data.npz": npz_bytes(arrays)}) for label, arrays in hostile_arrays()]
    a = seed_arrays(3)
    cases += [
        ("object array", {"data.npz": npz_bytes({**a, "labels": np.array([[1], [0, 1]], dtype=object)})}),
        ("text file renamed .npz", {"data.npz": b"image,text,labels\n1,2,3\n"}),
        (".npy renamed .npz", {"data.npz": _npy_bytes(a["image"])}),
        ("empty file", {"data.npz": b""}),
        ("corrupted member (compressed)", {"data.npz": _corrupt_first_member(npz_bytes(a, compressed=True))}),
        ("a member declaring 10**10 x 1000 floats", {"data.npz": _zip_members({
            "image.npy": _npy_declaring((10**10, 1000), "<f4"), "labels.npy": _npy_bytes(a["labels"]),
            "text.npy": _npy_bytes(a["text"])})}),
        ("a member declaring 5 x 6 floats, holding 3", {"data.npz": _zip_members({
            "image.npy": _npy_declaring((5, 6), "<f4"), "labels.npy": _npy_bytes(a["labels"]),
            "text.npy": _npy_bytes(a["text"])})}),
        ("a member declaring a negative dimension", {"data.npz": _zip_members({
            "image.npy": _npy_declaring((-5, 6), "<f4"), "labels.npy": _npy_bytes(a["labels"]),
            "text.npy": _npy_bytes(a["text"])})}),
        ("member without .npy suffix", {"data.npz": _zip_members({"image": b"x", "labels.npy": _npy_bytes(
            a["labels"])})}),
    ]
    return cases


def _npy_bytes(x) -> bytes:
    buf = io.BytesIO()
    np.save(buf, x)
    return buf.getvalue()


def mutate_npz_member(data: bytes, rng) -> bytes:
    """Damage one ``.npy`` member of an archive (header or data) and re-zip it with valid CRCs."""
    import zipfile

    from . import mutate

    try:
        src = zipfile.ZipFile(io.BytesIO(data))
        members = {info.filename: src.read(info) for info in src.infolist()}
    except Exception:
        return mutate(data, rng)
    if not members:  # an earlier edit left an empty archive
        return mutate(data, rng)
    name = rng.choice(sorted(members))
    blob = members[name]
    if rng.random() < 0.7 and len(blob) > 10:  # aim at the header: magic, length, dict
        cut = min(len(blob), 128)
        members[name] = mutate(blob[:cut], rng) + blob[cut:]
    else:
        members[name] = mutate(blob, rng)
    return _zip_members(members)


def _npy_declaring(shape, descr) -> bytes:
    """A .npy member whose header declares ``shape`` but which holds 12 bytes of data."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": descr, "fortran_order": False, "shape": shape})
    return buf.getvalue() + bytes(12)


def _corrupt_first_member(data: bytes) -> bytes:
    """Flip a byte in the middle of the first member's (compressed) data, not in the zip's bookkeeping."""
    import zipfile

    info = zipfile.ZipFile(io.BytesIO(data)).infolist()[0]
    name_len, extra_len = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little"), \
        int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    at = info.header_offset + 30 + name_len + extra_len + info.compress_size // 2
    b = bytearray(data)
    b[at] ^= 0xFF
    return bytes(b)


def _zip_members(members) -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _h5_hostile():
    cases = [(label, {"data.h5": h5_bytes(arrays, csr_group="text_data" in arrays)})
             for label, arrays in hostile_arrays() if "strings" not in label and "complex" not in label]
    a = seed_arrays(4)
    cases += [
        ("7 KB file declaring 10**10 x 1000 floats (issue 15)",
         {"data.h5": h5_bytes({**a, "image": ("declared", (10**10, 1000), np.float32)})}),
        ("labels declared 10**9 x 10**3, nothing stored",
         {"data.h5": h5_bytes({**a, "labels": ("declared", (10**9, 1000), np.uint8)})}),
        ("raw images declared 10**8 x 224 x 224 x 3", {"data.h5": h5_bytes({**a, "image": ("declared",
                                                       (10**8, 224, 224, 3), np.uint8)})}),
        ("a group where the image should be", {"data.h5": _h5_group_image(a)}),
        ("not HDF5", {"data.h5": b"\x89HDF not really\n" * 10}),
        ("truncated HDF5", {"data.h5": h5_bytes(a)[:900]}),
        ("empty file", {"data.h5": b""}),
    ]
    return cases


def _h5_group_image(a) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.h5"
        with h5py.File(path, "w") as f:
            f.create_group("image").create_dataset("x", data=a["image"])
            f["labels"] = a["labels"]
            f["text"] = a["text"]
        return path.read_bytes()


family(Family(
    "generic.npz", "data.npz",
    seeds=lambda: [{"data.npz": npz_bytes(seed_arrays(0))}, {"data.npz": npz_bytes(seed_arrays(1, csr=True))},
                   {"data.npz": npz_bytes(seed_arrays(2, raw=True, n=3))}],
    hostile=_npz_hostile,
    read=_generic_read("data.npz"),
    reference=lambda folder: _reference_generic(_dict_from_npz(folder / "data.npz")),
    same=same_arrays, names_variable=True, mutator=mutate_npz_member,
))

family(Family(
    "generic.h5", "data.h5",
    seeds=lambda: [{"data.h5": h5_bytes(seed_arrays(0))}, {"data.h5": h5_bytes(seed_arrays(1, csr=True),
                                                                               csr_group=True)},
                   {"data.h5": h5_bytes(seed_arrays(2, raw=True, n=3), chunked=True)}],
    hostile=_h5_hostile,
    read=_generic_read("data.h5"),
    reference=lambda folder: _reference_generic(_dict_from_h5(folder / "data.h5")),
    same=same_arrays, names_variable=True,
))


# -- MATLAB files ------------------------------------------------------------------------------
def _mat_arrays(seed=0, *, sparse_text=False):
    a = seed_arrays(seed)
    text = sp.csc_matrix(a["text"].astype(np.float64)) if sparse_text else a["text"].astype(np.float64)
    return {"XAll": a["image"].astype(np.float64), "YAll": text, "LAll": a["labels"].astype(np.float64)}


def _mat_bytes(variables, version) -> bytes:
    from data_builders import write_mat  # tests/ is on sys.path (pytest, benchmarks/fuzz_readers.py)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.mat"
        write_mat(path, variables, version)
        return path.read_bytes()


def _mat_v5_uncompressed(variables) -> bytes:
    """A v5 file without compression, so that damage reaches the array headers (no zlib checksum)."""
    buf = io.BytesIO()
    scipy.io.savemat(buf, variables, format="5", do_compression=False, oned_as="column")
    return buf.getvalue()


def _mat_read(folder):
    from hashx.data import read_modality

    path = folder / "d.mat"
    image = read_modality(path, "image")
    text = read_modality(path, "text")
    labels = read_modality(path, "labels")
    return (np.asarray(image), text.toarray() if sp.issparse(text) else np.asarray(text), labels)


def _mat_values(path, version):
    if version == "v5":
        try:
            data = scipy.io.loadmat(str(path))
        except Exception as exc:
            raise Rejected(f"scipy cannot read it ({type(exc).__name__})") from None
        return {k: data[k] for k in ("XAll", "YAll", "LAll") if k in data}
    try:
        with h5py.File(path, "r") as f:
            out = {}
            for key in ("XAll", "YAll", "LAll"):
                if key not in f:
                    continue
                node = f[key]
                if isinstance(node, h5py.Group):
                    rows = int(node.attrs["MATLAB_sparse"])
                    jc, ir, data = (_h5_value(node[k]) for k in ("jc", "ir", "data"))
                    out[key] = _csc(data, ir, jc, rows)
                else:
                    out[key] = _h5_value(node).T
            return out
    except Rejected:
        raise
    except Exception as exc:
        raise Rejected(f"h5py cannot read it ({type(exc).__name__})") from None


def _csc(data, ir, jc, rows):
    """A MATLAB sparse matrix (compressed columns) decoded as the transpose of a CSR matrix."""
    cols = jc.shape[0] - 1
    return rule_csr(data, ir, jc, np.array([cols, rows])).T.tocsr()


def _mat_reference(version):
    def reference(folder):
        values = _mat_values(folder / "d.mat", version)
        for key in ("XAll", "YAll", "LAll"):
            if key not in values:
                raise Rejected(f"no {key}")
        image = rule_features(values["XAll"].toarray() if sp.issparse(values["XAll"]) else values["XAll"])
        text = rule_text(values["YAll"])
        lab = values["LAll"].toarray() if sp.issparse(values["LAll"]) else np.asarray(values["LAll"])
        lab = _numeric(lab, "labels")
        if lab.ndim == 2 and lab.shape[1] == 1 or (lab.ndim == 2 and lab.shape[0] == 1):
            ids = lab.reshape(-1)
            if not np.isfinite(ids).all() or (ids != np.round(ids)).any() or ids.min(initial=0) < 0 \
                    or ids.max(initial=0) > 65536:
                raise Rejected("label vector")
            if ids.size and ids.max() > 1:
                if ids.min() < 1:
                    raise Rejected("class id 0")
                labels = np.eye(int(ids.max()), dtype=np.uint8)[ids.astype(int) - 1]
            else:
                labels = rule_labels(ids.reshape(-1, 1))
        else:
            labels = rule_labels(lab)
        return image, text, labels
    return reference


def _mat_hostile(version):
    base = _mat_arrays(5)
    nan = base["XAll"].copy()
    nan[0, 0] = np.nan
    cases = [
        ("labels 2", {**base, "LAll": base["LAll"] * 2}),
        ("image NaN", {**base, "XAll": nan}),
        ("text rows disagree", {**base, "YAll": base["YAll"][:-1]}),
        ("image 3-d", {**base, "XAll": base["XAll"][:, :, None]}),
        ("labels empty", {**base, "LAll": np.zeros((0, 4))}),
        ("class ids 0..3", {**base, "LAll": np.arange(12.0)[:, None] % 4}),
        ("class ids 1..4", {**base, "LAll": np.arange(12.0)[:, None] % 4 + 1}),
        ("class ids 1e9", {**base, "LAll": np.full((12, 1), 1e9)}),
        ("sparse text", {**base, "YAll": sp.csc_matrix(base["YAll"])}),
        ("image int16", {**base, "XAll": (base["XAll"] * 100).astype(np.int16)}),
    ]
    out = [(label, {"d.mat": _mat_bytes(v, version)}) for label, v in cases]
    out.append(("text file renamed .mat", {"d.mat": b"MATLAB 5.0 MAT-file, not really\n" * 8}))
    out.append(("empty file", {"d.mat": b""}))
    if version == "v7.3":
        out.append(("sparse text with a corrupted jc", {"d.mat": _v73_bad_sparse(base)}))
        out.append(("v7.3 declaring 10**10 x 1000", {"d.mat": _v73_declared(base)}))
    return out


def _v73_bad_sparse(base) -> bytes:
    from data_builders import write_mat_v73

    def bad_text(f, name):
        csc = sp.csc_matrix(base["YAll"])
        g = f.create_group(name)
        jc = csc.indptr.astype(np.uint64)
        jc[3] = 10**6
        g.create_dataset("data", data=csc.data)
        g.create_dataset("ir", data=csc.indices.astype(np.uint64))
        g.create_dataset("jc", data=jc)
        g.attrs.create("MATLAB_class", np.bytes_("double"))
        g.attrs.create("MATLAB_sparse", np.uint64(csc.shape[0]))

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.mat"
        write_mat_v73(path, {"XAll": base["XAll"], "YAll": bad_text, "LAll": base["LAll"]})
        return path.read_bytes()


def _v73_declared(base) -> bytes:
    from data_builders import write_mat_v73

    def declared(f, name):
        ds = f.create_dataset(name, shape=(1000, 10**10), dtype=np.float64, chunks=(10, 1000))
        ds.attrs.create("MATLAB_class", np.bytes_("double"))

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.mat"
        write_mat_v73(path, {"XAll": declared, "YAll": base["YAll"], "LAll": base["LAll"]})
        return path.read_bytes()


for _version in ("v5", "v7.3"):
    family(Family(
        f"mat-{_version}", "d.mat",
        seeds=(lambda v=_version: [{"d.mat": _mat_bytes(_mat_arrays(0), v)},
                                   {"d.mat": _mat_bytes(_mat_arrays(1, sparse_text=True), v)}]
               + ([{"d.mat": _mat_v5_uncompressed(_mat_arrays(2))}] if v == "v5" else [])),
        hostile=(lambda v=_version: _mat_hostile(v)),
        read=_mat_read,
        reference=_mat_reference(_version),
        same=same_arrays, names_variable=True,
    ))
