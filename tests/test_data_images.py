"""LazyImages (every stored layout) and CNN-F preprocessing; reading 20,015 raw images stays under 1 GiB."""

import json
import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pytest
from data_builders import REPO_ROOT, write_mat, write_mat_v73, write_raw_images_h5

from hashx.data import LazyImages, load_mirflickr25k, preprocess_images
from hashx.exceptions import HashxTypeError, HashxValueError


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).integers(0, 256, size=(11, 20, 16, 3), dtype=np.uint8)  # H != W on purpose


@pytest.mark.parametrize("layout, matlab", [("nhwc", False), ("nchw", False), ("ncwh", True), ("cwhn", True)])
def test_every_h5_layout_auto(tmp_path, images, layout, matlab):
    path = write_raw_images_h5(tmp_path / "x.h5", images, layout, matlab=matlab)
    with h5py.File(path, "r") as f:
        lazy = LazyImages(f["images"])
        assert lazy.layout == layout and lazy.shape == (11, 20, 16, 3) and len(lazy) == 11
        for idx in ([3], [0, 1, 2, 3], [10, 0, 5, 5, 2], list(range(11))[::-1], [0, 10]):
            np.testing.assert_array_equal(lazy.read(idx), images[idx])
        assert lazy.read([]).shape == (0, 20, 16, 3)


@pytest.mark.parametrize("layout", ["nhwc", "ncwh", "hwcn", "cwhn", "nchw"])
def test_every_layout_from_numpy(images, layout):
    perm = {"nhwc": (0, 1, 2, 3), "ncwh": (0, 3, 2, 1), "hwcn": (1, 2, 3, 0), "cwhn": (3, 2, 1, 0),
            "nchw": (0, 3, 1, 2)}[layout]
    stored = np.ascontiguousarray(images.transpose(perm))
    lazy = LazyImages(stored, layout=layout, batch_size=3)
    np.testing.assert_array_equal(lazy.read(np.arange(11)), images)
    np.testing.assert_array_equal(lazy.read(np.array([7, -1])), images[[7, 10]])


def test_subset_iter_batches_and_dataset_views(tmp_path, images):
    path = write_raw_images_h5(tmp_path / "x.h5", images, "ncwh", matlab=True)
    with h5py.File(path, "r") as f:
        lazy = LazyImages(f["images"], batch_size=4)
        sub = lazy.subset([9, 2, 4, 7])
        assert sub.shape == (4, 20, 16, 3)
        np.testing.assert_array_equal(sub.read([1, 3]), images[[2, 7]])
        subsub = sub.subset([3, 0])
        np.testing.assert_array_equal(subsub.read([0, 1]), images[[7, 9]])
        seen = [(pos.tolist(), batch) for pos, batch in lazy.iter_batches()]
        assert [p for p, _ in seen] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10]]
        np.testing.assert_array_equal(np.concatenate([b for _, b in seen]), images)
        with pytest.raises(TypeError, match="will not convert itself"):
            np.asarray(lazy)
        with pytest.raises(HashxValueError, match="'idx'.*\\[0, 4\\)"):
            sub.read([4])


def test_pickle_reopens_the_hdf5_file(tmp_path, images):
    import pickle

    path = write_raw_images_h5(tmp_path / "x.h5", images, "ncwh", matlab=True)
    with h5py.File(path, "r") as f:
        sub = LazyImages(f["images"]).subset([4, 1])
        clone = pickle.loads(pickle.dumps(sub))
    np.testing.assert_array_equal(clone.read([0, 1]), images[[4, 1]])
    assert clone.layout == "ncwh" and clone.shape == (2, 20, 16, 3)


def test_dataset_subset_keeps_images_lazy(tmp_path):
    from data_builders import random_dataset_arrays, write_mirflickr_dcmh

    arrays = random_dataset_arrays(6, raw=True, seed=1)
    write_mirflickr_dcmh(tmp_path, arrays, "v7.3", image="raw")
    ds = load_mirflickr25k(tmp_path, image="raw")
    part = ds.subset([5, 1])
    assert isinstance(part.image, LazyImages) and part.image_kind == "raw"
    np.testing.assert_array_equal(part.image_rows([0, 1]), arrays["image"][[5, 1]])


def test_bad_stores():
    with pytest.raises(HashxValueError, match="4-d"):
        LazyImages(np.zeros((2, 3, 3), np.uint8))
    with pytest.raises(HashxValueError, match="uint8"):
        LazyImages(np.zeros((2, 4, 4, 3), np.float32))
    with pytest.raises(HashxValueError, match="cannot be guessed"):
        LazyImages(np.zeros((3, 3, 4, 3), np.uint8))  # both axis 1 and axis 3 are 3
    with pytest.raises(HashxValueError, match="'layout'.*must be one of"):
        LazyImages(np.zeros((2, 4, 4, 3), np.uint8), layout="whcn")
    with pytest.raises(HashxValueError, match="does not fit"):
        LazyImages(np.zeros((2, 4, 4, 3), np.uint8), layout="nchw")


def test_preprocess_against_a_loop(images):
    rng = np.random.default_rng(1)
    mean = (rng.random((20, 16, 3)) * 255).astype(np.float32)
    out = preprocess_images(images[:3], mean)
    assert out.shape == (3, 3, 20, 16) and out.dtype == np.float32 and out.flags.c_contiguous
    for b in range(3):
        for c in range(3):
            for h in (0, 7, 19):
                for w in (0, 5, 15):
                    assert out[b, c, h, w] == np.float32(images[b, h, w, c]) - mean[h, w, c]
    colour = np.array([123.68, 116.78, 103.94], dtype=np.float32)
    out = preprocess_images(images[:2], colour)
    np.testing.assert_allclose(out[1, 2], images[1, :, :, 2].astype(np.float32) - colour[2])


def test_preprocess_validates(images):
    with pytest.raises(HashxTypeError, match="'images'.*uint8"):
        preprocess_images(images.astype(np.float32), np.zeros(3))
    with pytest.raises(HashxValueError, match="'mean'.*\\(3,\\) or \\(20, 16, 3\\)"):
        preprocess_images(images, np.zeros((224, 224, 3)))


# -- the memory acceptance test -------------------------------------------------------------
N_IMAGES = 20015
_READER = textwrap.dedent("""
    import json, sys
    import numpy as np
    from hashx.data import load_mirflickr25k

    def status(key):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    ds = load_mirflickr25k(sys.argv[1], image="raw")
    base = ((np.arange(224)[:, None, None] + 3 * np.arange(224)[None, :, None]
             + 85 * np.arange(3)[None, None, :]) % 256).astype(np.uint8)  # (H, W, 3)
    rss_start = status("VmRSS")
    ok, count = True, 0
    for pos, batch in ds.image.iter_batches(256):
        expected = base[None] + (pos % 256).astype(np.uint8)[:, None, None, None]
        ok = ok and batch.shape == expected.shape and np.array_equal(batch, expected)
        count += batch.shape[0]
    print(json.dumps({"rss_start": rss_start, "peak": status("VmHWM"), "ok": bool(ok), "count": count,
                      "shape": list(ds.image.shape)}))
""")


def _write_iall(f, name):
    """IAll as MATLAB writes a 224 x 224 x 3 x 20015 uint8 array: h5py shape (20015, 3, 224, 224)."""
    ds = f.create_dataset(name, shape=(N_IMAGES, 3, 224, 224), dtype=np.uint8, chunks=(8, 3, 224, 224),
                          compression="lzf")
    ds.attrs.create("MATLAB_class", np.bytes_("uint8"))
    stored = ((np.arange(3)[:, None, None] * 85 + 3 * np.arange(224)[:, None] + np.arange(224)[None, :])
              % 256).astype(np.uint8)  # [c, w, h] = (h + 3w + 85c) % 256
    for start in range(0, N_IMAGES, 1000):
        stop = min(N_IMAGES, start + 1000)
        ds[start:stop] = stored[None] + (np.arange(start, stop) % 256).astype(np.uint8)[:, None, None, None]


@pytest.mark.slow
def test_reading_20015_raw_images_lazily_stays_under_1gib(tmp_path):
    """All 20,015 DCMH-layout images (3.0 GB as uint8) read batch by batch: peak RSS growth < 1 GiB.

    The file is LZF-compressed (the pattern compresses to ~0.15 GB, so the
    test does not write 3 GB to disk); its logical shape and the reading path
    are those of the real ``mirflickr25k-iall.mat``.  Contents are checked row
    by row, so every image is really read and decoded.
    """
    rng = np.random.default_rng(0)
    labels = (rng.random((N_IMAGES, 24)) < 0.2).astype(np.uint8)
    labels[:, 0] = 1
    write_mat(tmp_path / "mirflickr25k-lall.mat", {"LAll": labels}, "v5")
    write_mat(tmp_path / "mirflickr25k-yall.mat", {"YAll": labels[:, :5]}, "v5")
    write_mat_v73(tmp_path / "mirflickr25k-iall.mat", {"IAll": _write_iall})
    proc = subprocess.run([sys.executable, "-c", _READER, str(tmp_path)], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["ok"] and result["count"] == N_IMAGES and result["shape"] == [N_IMAGES, 224, 224, 3]
    growth = result["peak"] - result["rss_start"]
    assert growth < 2**30, f"peak RSS grew by {growth / 2**20:.0f} MiB while reading"
    print(f"peak RSS growth reading {N_IMAGES} images: {growth / 2**20:.0f} MiB")
