"""read_vggf: MatConvNet's imagenet-vgg-f.mat, older and newer layouts, written small with random weights."""

import numpy as np
import pytest
import scipy.io
from data_builders import write_mat_v73, write_vggf

from hashx.data import read_vggf
from hashx.exceptions import DataFormatError

WIDTHS = (4, 6, 6, 6, 5, 8, 8, 7)


@pytest.mark.parametrize("layout", ["old", "new"])
@pytest.mark.parametrize("mean", ["image", "colour"])
def test_round_trip(tmp_path, layout, mean):
    written = write_vggf(tmp_path / "imagenet-vgg-f.mat", layout=layout, mean=mean, seed=3)
    w = read_vggf(tmp_path / "imagenet-vgg-f.mat")
    assert w.layout == layout and w.image_size == (224, 224)
    assert [name for name, _ in w.layers] == ["conv1", "relu1", "norm1", "pool1", "conv2", "relu2", "norm2", "pool2",
                                              "conv3", "relu3", "conv4", "relu4", "conv5", "relu5", "pool5", "fc6",
                                              "relu6", "fc7", "relu7", "fc8", "prob"]
    assert set(w.convs) == {"conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8"}
    for name, filters in written["filters"].items():
        conv = w.convs[name]
        assert conv.weight.dtype == np.float32 and conv.weight.flags.c_contiguous
        np.testing.assert_array_equal(conv.weight, filters.transpose(3, 2, 0, 1))
        np.testing.assert_array_equal(conv.bias, written["biases"][name])
    assert w.convs["conv1"].weight.shape == (4, 3, 11, 11) and w.convs["conv1"].stride == (4, 4)
    assert w.convs["conv2"].pad == (2, 2, 2, 2) and w.convs["fc6"].weight.shape == (8, 5, 6, 6)
    assert w.pools["pool5"].size == (3, 3) and w.pools["pool5"].stride == (2, 2)
    assert w.pools["pool1"].pad == (0, 1, 0, 1) and w.pools["pool1"].method == "max"
    lrn = w.lrns["norm1"]
    assert (lrn.size, lrn.kappa, lrn.alpha, lrn.beta) == (5, 2.0, 1e-4, 0.75)
    assert w.feature_dim == 8 and w.classes[:2] == ("class 0", "class 1")
    mean_image = w.mean_image()
    assert mean_image.shape == (224, 224, 3) and mean_image.dtype == np.float32
    np.testing.assert_array_equal(mean_image, np.broadcast_to(written["average_image"], (224, 224, 3)))


def test_torch_layout_computes_the_matconvnet_convolution(tmp_path):
    """One output of conv1 and fc6, computed from the MatConvNet H x W x in x out filters (an oracle loop)
    and from the (out, in, kh, kw) weights the reader returns, agree."""
    written = write_vggf(tmp_path / "v.mat", seed=4)
    w = read_vggf(tmp_path / "v.mat")
    rng = np.random.default_rng(0)
    patch = rng.standard_normal((11, 11, 3))  # an (H, W, C) input window
    f = written["filters"]["conv1"]
    for k in range(f.shape[3]):
        oracle = sum(f[h, x, c, k] * patch[h, x, c] for h in range(11) for x in range(11) for c in range(3))
        torch_style = np.sum(w.convs["conv1"].weight[k].astype(np.float64) * patch.transpose(2, 0, 1))
        assert np.isclose(oracle, torch_style)
    pooled = rng.standard_normal((5, 6, 6))  # pool5 output, NCHW without the batch axis
    fc6 = w.convs["fc6"]
    linear = fc6.weight.reshape(fc6.weight.shape[0], -1) @ pooled.reshape(-1)  # Linear on an NCHW flatten
    f6 = written["filters"]["fc6"]
    oracle = np.einsum("hwco,chw->o", f6.astype(np.float64), pooled)
    np.testing.assert_allclose(linear, oracle, rtol=1e-5, atol=1e-6)


def test_ssah_positional_reading_sees_the_same_file(tmp_path):
    """The older layout the builder writes is the one SSAH indexes by position."""
    written = write_vggf(tmp_path / "v.mat", layout="old", seed=5)
    data = scipy.io.loadmat(str(tmp_path / "v.mat"))
    np.testing.assert_array_equal(data["normalization"][0][0][0], written["average_image"])
    kernels, bias = data["layers"][0][0][0][0][0][0]
    np.testing.assert_array_equal(kernels, written["filters"]["conv1"])


def test_oldest_filters_biases_fields(tmp_path):
    written = write_vggf(tmp_path / "v.mat", filters_biases=True, seed=6)
    w = read_vggf(tmp_path / "v.mat")
    np.testing.assert_array_equal(w.convs["conv3"].weight, written["filters"]["conv3"].transpose(3, 2, 0, 1))


def test_fc8_is_optional(tmp_path):
    write_vggf(tmp_path / "v.mat", drop=("fc8", "prob"))
    assert "fc8" not in read_vggf(tmp_path / "v.mat").convs


def test_bad_files(tmp_path):
    write_vggf(tmp_path / "a.mat", drop=("conv4", "relu4"))
    with pytest.raises(DataFormatError, match=r"a\.mat.*missing convolution layer\(s\) conv4"):
        read_vggf(tmp_path / "a.mat")
    write_vggf(tmp_path / "b.mat", widths=(4, 6, 6, 6, 5, 8, 8, 7), drop=("pool2",))
    with pytest.raises(DataFormatError, match=r"b\.mat.*fc6's kernel \(6, 6\) must cover the 13 x 13"):
        read_vggf(tmp_path / "b.mat")
    scipy.io.savemat(str(tmp_path / "c.mat"), {"weights": np.zeros(3)})
    with pytest.raises(DataFormatError, match=r"c\.mat.*no variable 'layers'"):
        read_vggf(tmp_path / "c.mat")
    write_mat_v73(tmp_path / "d.mat", {"layers": np.zeros((2, 2))})
    with pytest.raises(DataFormatError, match=r"d\.mat.*v5"):
        read_vggf(tmp_path / "d.mat")
    data = scipy.io.loadmat(str(tmp_path / "a.mat"))
    scipy.io.savemat(str(tmp_path / "e.mat"), {"layers": data["layers"]})
    with pytest.raises(DataFormatError, match=r"e\.mat.*averageImage"):
        read_vggf(tmp_path / "e.mat")
