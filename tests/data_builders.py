"""Helpers for the hashx.data tests: small files in each exact layout, and the real shared data.

MATLAB v5 files are written with :func:`scipy.io.savemat`.  MATLAB v7.3
files are written with h5py the way MATLAB writes them: a 512-byte user block
holding the MAT-file header, every array stored with its axes reversed (a
MATLAB ``n x d`` matrix is an HDF5 dataset of shape ``(d, n)``; a
``224 x 224 x 3 x n`` image stack is ``(n, 3, 224, 224)``), a ``MATLAB_class``
attribute on each variable (``MATLAB_int_decode`` for logical arrays), and
sparse matrices as groups with ``data``/``ir``/``jc`` and a ``MATLAB_sparse``
attribute holding the row count.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import h5py
import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_ENV = "HASHX_SHARED_DATA"

_MATLAB_CLASS = {
    np.dtype(np.float64): "double", np.dtype(np.float32): "single", np.dtype(np.uint8): "uint8",
    np.dtype(np.int8): "int8", np.dtype(np.uint16): "uint16", np.dtype(np.int16): "int16",
    np.dtype(np.uint32): "uint32", np.dtype(np.int32): "int32", np.dtype(np.uint64): "uint64",
    np.dtype(np.int64): "int64", np.dtype(bool): "logical",
}


# -- the real shared data -----------------------------------------------------
def shared_data_dir() -> Path:
    """``$HASHX_SHARED_DATA``, or ``../shared/data`` next to the repository; fails (never skips) if absent."""
    path = Path(os.environ.get(SHARED_ENV, REPO_ROOT.parent / "shared" / "data"))
    needed = [path / "mirflickr25k" / "mirflickr25k-lall.mat", path / "mirflickr25k" / "mirflickr25k-yall.mat",
              path / "nuswide" / "nuswide81_labels_train.zip", path / "nuswide" / "nuswide81_labels_test.zip"]
    missing = [str(p) for p in needed if not p.is_file()]
    if missing:
        pytest.fail(
            f"The shared real data is missing: {', '.join(missing)}. Set ${SHARED_ENV} to the folder holding "
            f"mirflickr25k/ and nuswide/ (CI has it at ../shared/data relative to the repository root).",
            pytrace=False,
        )
    return path


@functools.lru_cache(maxsize=1)
def _real_nuswide(path: str):
    from hashx.data.nuswide import read_nuswide_concepts
    return read_nuswide_concepts(path)


def real_nuswide():
    """(labels, concepts, keys) of the official tables, parsed once per test session."""
    return _real_nuswide(str(shared_data_dir() / "nuswide"))


@functools.lru_cache(maxsize=1)
def _real_mirflickr(path: str):
    from hashx.data.mirflickr import read_mirflickr25k_labels_tags
    return read_mirflickr25k_labels_tags(path)


def real_mirflickr():
    """(LAll uint8 (20015, 24), YAll float32 (20015, 1386)), read once per test session."""
    return _real_mirflickr(str(shared_data_dir() / "mirflickr25k"))


# -- MATLAB writers --------------------------------------------------------------
def write_mat_v5(path, variables: dict) -> Path:
    """A MATLAB v5 file (scipy.io.savemat, compressed); arrays keep MATLAB's shape."""
    scipy.io.savemat(str(path), variables, format="5", do_compression=True, oned_as="column")
    return Path(path)


def _matlab_header() -> bytes:
    text = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Thu Jan  1 00:00:00 2026 HDF5 schema 1.00 ."
    header = text.ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02" + b"IM"
    return header.ljust(512, b"\x00")


def _class_attr(obj, dtype):
    cls = _MATLAB_CLASS[np.dtype(dtype)]
    obj.attrs.create("MATLAB_class", np.bytes_(cls))
    if cls == "logical":
        obj.attrs.create("MATLAB_int_decode", np.int32(1))


def write_mat_v73(path, variables: dict) -> Path:
    """A MATLAB v7.3 (HDF5) file, written the way MATLAB does (module docstring).

    ``variables`` maps names to arrays in MATLAB's shape (an ndarray, a scipy
    sparse matrix, or a callable ``f(h5file, name)`` that writes a large
    dataset itself, e.g. chunk by chunk).
    """
    path = Path(path)
    with h5py.File(path, "w", userblock_size=512) as f:
        for name, value in variables.items():
            if callable(value):
                value(f, name)
            elif sp.issparse(value):
                csc = sp.csc_matrix(value)
                csc.sort_indices()
                g = f.create_group(name)
                g.create_dataset("data", data=csc.data)
                g.create_dataset("ir", data=csc.indices.astype(np.uint64))
                g.create_dataset("jc", data=csc.indptr.astype(np.uint64))
                _class_attr(g, csc.data.dtype)
                g.attrs.create("MATLAB_sparse", np.uint64(csc.shape[0]))
            else:
                value = np.asarray(value)
                stored = np.ascontiguousarray(value.transpose())  # MATLAB's column-major = reversed axes
                ds = f.create_dataset(name, data=stored.view(np.uint8) if value.dtype == bool else stored)
                _class_attr(ds, value.dtype)
    with open(path, "r+b") as fh:
        fh.write(_matlab_header())
    return path


def write_mat(path, variables: dict, version: str) -> Path:
    """``version`` ``"v5"`` or ``"v7.3"``."""
    return write_mat_v5(path, variables) if version == "v5" else write_mat_v73(path, variables)


VERSIONS = ("v5", "v7.3")


# -- small arrays in each dataset's shape ------------------------------------------
def random_dataset_arrays(n=40, *, n_labels=24, text_dim=30, image_dim=16, raw=False, seed=0, size=224):
    """Random arrays: labels uint8 multi-hot (every row >= 1 label), binary tags, features or raw images."""
    rng = np.random.default_rng(seed)
    labels = (rng.random((n, n_labels)) < 0.2).astype(np.uint8)
    labels[np.arange(n), rng.integers(0, n_labels, n)] = 1
    text = (rng.random((n, text_dim)) < 0.2).astype(np.uint8)
    if raw:
        image = rng.integers(0, 256, size=(n, size, size, 3), dtype=np.uint8)  # (n, H, W, 3)
    else:
        image = rng.random((n, image_dim)).astype(np.float32)
    return {"labels": labels, "text": text, "image": image}


def matlab_images(images_nhwc: np.ndarray) -> np.ndarray:
    """The MATLAB ``H x W x 3 x n`` stack (DCMH ``IAll``) of (n, H, W, 3) images."""
    return np.ascontiguousarray(images_nhwc.transpose(1, 2, 3, 0))


def write_mirflickr_dcmh(folder, arrays, version, *, image="features"):
    """DCMH split files: mirflickr25k-lall/-yall.mat and -iall-vgg.mat (XAll) or -iall.mat (IAll)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_mat(folder / "mirflickr25k-lall.mat", {"LAll": arrays["labels"].astype(np.float64)}, version)
    write_mat(folder / "mirflickr25k-yall.mat", {"YAll": arrays["text"].astype(np.float64)}, version)
    if image == "features":
        write_mat(folder / "mirflickr25k-iall-vgg.mat", {"XAll": arrays["image"].astype(np.float64)}, version)
    elif image == "raw":
        write_mat(folder / "mirflickr25k-iall.mat", {"IAll": matlab_images(arrays["image"])}, version)
    return folder


def write_flickr25k_merged(path, arrays, version):
    """``FLICKR-25K.mat`` with images (raw stack or DADH-style features), YAll, LAll."""
    image = arrays["image"]
    images = matlab_images(image) if image.ndim == 4 else image.astype(np.float64)
    return write_mat(path, {"images": images, "YAll": arrays["text"].astype(np.float64),
                            "LAll": arrays["labels"].astype(np.float64)}, version)


def write_nuswide_dcmh(folder, tc, arrays, version, *, image="features"):
    """``nus-wide-tc{tc}-lall/-yall.mat`` with ``-xall-vgg.mat`` (XAll) or ``-iall.mat`` (IAll)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_mat(folder / f"nus-wide-tc{tc}-lall.mat", {"LAll": arrays["labels"].astype(np.float64)}, version)
    write_mat(folder / f"nus-wide-tc{tc}-yall.mat", {"YAll": arrays["text"].astype(np.float64)}, version)
    if image == "features":
        write_mat(folder / f"nus-wide-tc{tc}-xall-vgg.mat", {"XAll": arrays["image"].astype(np.float32)}, version)
    else:
        write_mat(folder / f"nus-wide-tc{tc}-iall.mat", {"IAll": matlab_images(arrays["image"])}, version)
    return folder


def write_nuswide_dadh(path, arrays, version, *, sparse_text=False):
    """DADH ``NUS-WIDE-TC21.mat``: ``image`` features, ``text`` tags, ``label``."""
    text = sp.csc_matrix(arrays["text"].astype(np.float64)) if sparse_text else arrays["text"].astype(np.float64)
    return write_mat(path, {"image": arrays["image"].astype(np.float64), "text": text,
                            "label": arrays["labels"].astype(np.float64)}, version)


def wiki_arrays(n_train=30, n_test=12, *, seed=0, image_dim=128, text_dim=10, n_classes=10):
    rng = np.random.default_rng(seed)
    out = {}
    for part, n in (("tr", n_train), ("te", n_test)):
        out[f"I_{part}"] = rng.random((n, image_dim))
        topics = rng.random((n, text_dim))
        out[f"T_{part}"] = topics / topics.sum(axis=1, keepdims=True)
        out[f"L_{part}"] = rng.integers(1, n_classes + 1, size=(n, 1)).astype(np.float64)
    return out


def write_wiki_data(path, arrays, version, *, labels="ids"):
    """``wiki_data.mat`` with ``I_tr/I_te``, ``T_tr/T_te`` and class ids (``L_tr``/``L_te``),
    one-hot (``L_train``/``L_test``) or both."""
    variables = {k: arrays[k] for k in ("I_tr", "I_te", "T_tr", "T_te")}
    for part, onehot_name in (("tr", "L_train"), ("te", "L_test")):
        ids = arrays[f"L_{part}"]
        if labels in ("ids", "both"):
            variables[f"L_{part}"] = ids
        if labels in ("onehot", "both"):
            onehot = np.zeros((ids.shape[0], 10))
            onehot[np.arange(ids.shape[0]), ids.astype(int).ravel() - 1] = 1
            variables[onehot_name] = onehot
    return write_mat(path, variables, version)


def write_raw_images_h5(path, images_nhwc, layout, *, matlab=False, name="images"):
    """An HDF5 file with one image stack stored in ``layout`` (see hashx.data.images)."""
    perm = {"nhwc": (0, 1, 2, 3), "ncwh": (0, 3, 2, 1), "hwcn": (1, 2, 3, 0), "cwhn": (3, 2, 1, 0),
            "nchw": (0, 3, 1, 2)}[layout]
    with h5py.File(path, "w") as f:
        ds = f.create_dataset(name, data=np.ascontiguousarray(images_nhwc.transpose(perm)))
        if matlab:
            _class_attr(ds, np.uint8)
    return Path(path)


# -- CNN-F weights files ------------------------------------------------------------
def _cell(*items):
    out = np.empty((1, len(items)), dtype=object)
    for i, x in enumerate(items):
        out[0, i] = x
    return out


def vggf_spec(widths=(4, 6, 6, 6, 5, 8, 8, 7)):
    """CNN-F's layer list with its real kernel sizes, strides, pads and pools, and small widths:
    conv1..conv5, fc6, fc7, fc8 outputs = ``widths``."""
    c1, c2, c3, c4, c5, f6, f7, f8 = widths
    return [
        ("conv1", "conv", dict(k=11, cin=3, cout=c1, stride=4, pad=0)), ("relu1", "relu", {}),
        ("norm1", "lrn", {}), ("pool1", "pool", dict(pool=3, stride=2, pad=[0, 1, 0, 1])),
        ("conv2", "conv", dict(k=5, cin=c1, cout=c2, stride=1, pad=2)), ("relu2", "relu", {}),
        ("norm2", "lrn", {}), ("pool2", "pool", dict(pool=3, stride=2, pad=[0, 1, 0, 1])),
        ("conv3", "conv", dict(k=3, cin=c2, cout=c3, stride=1, pad=1)), ("relu3", "relu", {}),
        ("conv4", "conv", dict(k=3, cin=c3, cout=c4, stride=1, pad=1)), ("relu4", "relu", {}),
        ("conv5", "conv", dict(k=3, cin=c4, cout=c5, stride=1, pad=1)), ("relu5", "relu", {}),
        ("pool5", "pool", dict(pool=3, stride=2, pad=[0, 1, 0, 1])),
        ("fc6", "conv", dict(k=6, cin=c5, cout=f6, stride=1, pad=0)), ("relu6", "relu", {}),
        ("fc7", "conv", dict(k=1, cin=f6, cout=f7, stride=1, pad=0)), ("relu7", "relu", {}),
        ("fc8", "conv", dict(k=1, cin=f7, cout=f8, stride=1, pad=0)), ("prob", "softmax", {}),
    ]


def write_vggf(path, *, layout="old", seed=0, widths=(4, 6, 6, 6, 5, 8, 8, 7), mean="image",
               drop=(), filters_biases=False):
    """A small ``imagenet-vgg-f.mat`` in MatConvNet's older or newer layout, with random weights.

    Returns
    -------
    dict
        ``{"filters": {name: H x W x in x out float32}, "biases": {...}, "average_image": ...}``
        as written, for comparisons.
    """
    rng = np.random.default_rng(seed)
    spec = [s for s in vggf_spec(widths) if s[0] not in drop]
    layers, written = [], {"filters": {}, "biases": {}}
    for name, kind, p in spec:
        if kind == "conv":
            filters = rng.standard_normal((p["k"], p["k"], p["cin"], p["cout"])).astype(np.float32)
            biases = rng.standard_normal((1, p["cout"])).astype(np.float32)
            written["filters"][name], written["biases"][name] = filters, biases.ravel()
            pad = np.full((1, 4), float(p["pad"]))
            stride = np.full((1, 2), float(p["stride"]))
            if layout == "old":  # the field order the SSAH/DCMH code indexes by position
                if filters_biases:
                    s = {"filters": filters, "biases": biases, "pad": pad, "type": "conv", "name": name,
                         "stride": stride}
                else:
                    s = {"weights": _cell(filters, biases), "pad": pad, "type": "conv", "name": name,
                         "stride": stride}
            else:
                s = {"name": name, "type": "conv", "weights": _cell(filters, biases),
                     "size": np.array([[p["k"], p["k"], p["cin"], p["cout"]]], dtype=float), "pad": pad,
                     "stride": stride, "precious": False, "dilate": np.ones((1, 2))}
        elif kind == "pool":
            s = {"name": name, "stride": np.full((1, 2), float(p["stride"])),
                 "pad": np.array([p["pad"]], dtype=float), "type": "pool", "method": "max",
                 "pool": np.full((1, 2), float(p["pool"]))}
        elif kind == "lrn":
            s = {"name": name, "type": "lrn", "param": np.array([[5, 2, 1e-4, 0.75]])}
        else:
            s = {"name": name, "type": kind}
        layers.append(s)
    if mean == "image":
        average = (rng.random((224, 224, 3)) * 255).astype(np.float32)
    else:
        average = np.array([[[123.68, 116.78, 103.94]]], dtype=np.float32)
    written["average_image"] = average
    classes = {"name": _cell(*[f"n{i:08d}" for i in range(widths[-1])]),
               "description": _cell(*[f"class {i}" for i in range(widths[-1])])}
    norm = {"averageImage": average, "keepAspect": True, "border": np.zeros((1, 2)),
            "imageSize": np.array([[224.0, 224.0, 3.0]]), "interpolation": "bilinear"}
    if layout == "old":
        variables = {"layers": _cell(*layers), "normalization": norm, "classes": classes}
    else:
        meta = {"inputs": {"name": "input", "size": np.array([[224.0, 224.0, 3.0, 10.0]])},
                "classes": classes, "normalization": norm}
        variables = {"layers": _cell(*layers), "meta": meta}
    scipy.io.savemat(str(path), variables, format="5")
    return written
