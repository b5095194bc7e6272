"""Reader for MatConvNet's CNN-F weights, ``imagenet-vgg-f.mat`` (Chatfield et al., BMVC 2014).

SSAH and DCMH initialise their image network from this file.  hashx never
downloads it: obtain ``imagenet-vgg-f.mat`` yourself from MatConvNet's
pretrained-models page (https://www.vlfeat.org/matconvnet/pretrained/, file
``imagenet-vgg-f.mat``, about 230 MB) and pass its local path.

Two layouts are read (both MATLAB v5 files, read with scipy.io):

- the older one used by the SSAH/DCMH code: top-level ``layers`` (a cell of
  structs), ``normalization`` (a struct whose first field is
  ``averageImage``, the 224 x 224 x 3 mean image SSAH reads as
  ``data['normalization'][0][0][0]``) and ``classes``;
- the newer one written by ``vl_simplenn_tidy``: ``layers`` and ``meta``,
  with ``meta.normalization.averageImage`` (a mean image, or a 1 x 1 x 3
  mean colour) and ``meta.normalization.imageSize``.

Layer structs are read by field *name* (``weights`` = {filters, biases}, or the
oldest ``filters``/``biases``; ``pad``; ``stride``; ``pool``; ``method``;
``param``), so the field order does not matter.  CNN-F is conv1 (11x11/4,
64) - relu - lrn - maxpool 3x3/2 - conv2 (5x5, 256, pad 2) - relu - lrn -
maxpool - conv3/conv4/conv5 (3x3, 256, pad 1) - relu - maxpool - fc6 (a 6x6
conv, 4096) - relu - fc7 (4096) - relu - fc8 (1000).

Conventions of the returned arrays:

- weights in torch layout ``(out, in, kh, kw)``: MatConvNet stores filters as
  ``H x W x in x out``, so they are transposed with ``(3, 2, 0, 1)``; fc6 is
  kept as a ``(4096, 256, 6, 6)`` convolution (``weight.reshape(4096, -1)``
  is the matching ``Linear`` weight for an NCHW-flattened input);
- ``pad`` is MatConvNet's ``(top, bottom, left, right)`` (max pooling pads
  with -inf, i.e. padded cells never win); ``stride`` is ``(y, x)``;
- LRN parameters are MatConvNet's ``(size, kappa, alpha, beta)`` with
  ``y = x / (kappa + alpha * sum_{window} x^2) ** beta`` (TensorFlow's
  ``local_response_normalization`` with ``depth_radius=(size-1)/2``,
  ``bias=kappa``; ``torch.nn.LocalResponseNorm`` divides alpha by size, so
  give it ``alpha * size``).

Tests write a small file in each layout with random weights and small
channel counts; the reader checks that the layers chain (channel counts, and
fc6's kernel equal to pool5's output size for the normalisation's image size),
not the real CNN-F widths.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.io

from ..exceptions import DataFormatError
from ._mat_v5 import check_v5_variable
from .matfile import mat_version

__all__ = ["ConvLayer", "PoolLayer", "LrnLayer", "VggfWeights", "read_vggf", "CNNF_LAYERS"]

#: The layers of CNN-F that a file must provide (fc8 is optional).
CNNF_LAYERS = ("conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7")


@dataclass(frozen=True)
class ConvLayer:
    """A convolution (or fully connected layer written as one).

    Attributes
    ----------
    weight : ndarray of shape (out, in, kh, kw), dtype=float32
    bias : ndarray of shape (out,), dtype=float32
    stride : tuple of int
        ``(y, x)``.
    pad : tuple of int
        ``(top, bottom, left, right)``.
    """

    name: str
    weight: np.ndarray
    bias: np.ndarray
    stride: tuple
    pad: tuple


@dataclass(frozen=True)
class PoolLayer:
    """Pooling: ``size`` (h, w), ``stride`` (y, x), ``pad`` (top, bottom, left, right), ``method`` max/avg."""

    name: str
    size: tuple
    stride: tuple
    pad: tuple
    method: str


@dataclass(frozen=True)
class LrnLayer:
    """Local response normalisation, MatConvNet's ``(size, kappa, alpha, beta)`` (module docstring)."""

    name: str
    size: int
    kappa: float
    alpha: float
    beta: float


@dataclass(frozen=True)
class VggfWeights:
    """CNN-F weights and settings read from ``imagenet-vgg-f.mat``.

    Attributes
    ----------
    layers : tuple of (str, str)
        ``(name, type)`` of every layer in file order; type is one of
        ``conv``, ``relu``, ``lrn``, ``pool``, ``softmax``, ``dropout``.
    convs : dict of str -> ConvLayer
        conv1..conv5, fc6, fc7 and fc8 if present.
    pools : dict of str -> PoolLayer
    lrns : dict of str -> LrnLayer
    average_image : ndarray of shape (H, W, 3) or (1, 1, 3), dtype=float32
        The normalisation's mean (0..255 RGB scale).
    image_size : tuple of int
        ``(H, W)`` of the network input (224, 224 for CNN-F).
    classes : tuple of str
        Class names (descriptions if present), possibly empty.
    layout : str
        ``"old"`` (top-level ``normalization``) or ``"new"`` (``meta``).
    source : str
        The file read.
    """

    layers: tuple
    convs: dict
    pools: dict
    lrns: dict
    average_image: np.ndarray
    image_size: tuple
    classes: tuple = ()
    layout: str = "old"
    source: str = ""

    @property
    def feature_dim(self) -> int:
        """Output width of fc7 (4096 for the real file)."""
        return int(self.convs["fc7"].weight.shape[0])

    def mean_image(self) -> np.ndarray:
        """The mean to subtract, as (H, W, 3) float32 (a mean colour is broadcast)."""
        h, w = self.image_size
        return np.ascontiguousarray(np.broadcast_to(self.average_image.reshape(
            self.average_image.shape if self.average_image.ndim == 3 else (1, 1, 3)), (h, w, 3)), dtype=np.float32)


def _err(path, msg) -> DataFormatError:
    return DataFormatError(f"File '{path}' (MatConvNet CNN-F weights): {msg}")


def _unwrap(v):
    """Strip the (1, 1) object arrays scipy wraps structs and cells in."""
    while isinstance(v, np.ndarray) and v.dtype == object and v.size == 1:
        v = v.reshape(-1)[0]
    return v


def _get(s, name, default=None):
    s = _unwrap(s)
    if hasattr(s, "_fieldnames"):
        return getattr(s, name) if name in s._fieldnames else default
    return default


def _str(v) -> str:
    v = _unwrap(v)
    if isinstance(v, str):
        return v
    arr = np.asarray(v)
    if arr.size == 0:
        return ""
    if arr.dtype.kind in "US":
        return str(arr.reshape(-1)[0])
    return ""


def _ints(v, n, path, what) -> tuple:
    arr = np.asarray(_unwrap(v), dtype=np.float64).reshape(-1)
    if arr.size == 1:
        arr = np.repeat(arr, n)
    if arr.size != n or not np.all(arr == np.round(arr)):
        raise _err(path, f"{what} must be {n} integers (or one). Got {arr.tolist()}.")
    return tuple(int(x) for x in arr)


def _conv(s, name, path) -> ConvLayer:
    weights = _get(s, "weights")
    if weights is not None:
        cell = np.asarray(weights, dtype=object).reshape(-1)
        if cell.size < 2:
            raise _err(path, f"layer '{name}': 'weights' must hold {{filters, biases}}.")
        filters, biases = cell[0], cell[1]
    else:
        filters, biases = _get(s, "filters"), _get(s, "biases")
        if filters is None or biases is None:
            raise _err(path, f"layer '{name}' has neither 'weights' nor 'filters'/'biases'.")
    filters = np.asarray(filters)
    if filters.dtype.kind not in "f" or filters.ndim < 2 or filters.ndim > 4:
        raise _err(path, f"layer '{name}': filters must be a float H x W x in x out array. "
                         f"Got {filters.dtype} of shape {filters.shape}.")
    filters = filters.reshape(filters.shape + (1,) * (4 - filters.ndim))  # MATLAB drops trailing 1s
    biases = np.asarray(biases, dtype=np.float32).reshape(-1)
    if biases.shape[0] != filters.shape[3]:
        raise _err(path, f"layer '{name}': {filters.shape[3]} filters but {biases.shape[0]} biases.")
    weight = np.ascontiguousarray(filters.transpose(3, 2, 0, 1), dtype=np.float32)
    if not (np.isfinite(weight).all() and np.isfinite(biases).all()):
        raise _err(path, f"layer '{name}': weights hold NaN or Inf.")
    return ConvLayer(name, weight, biases, _ints(_get(s, "stride", 1), 2, path, f"'{name}' stride"),
                     _ints(_get(s, "pad", 0), 4, path, f"'{name}' pad"))


def _out_size(size, k, stride, pad_a, pad_b):
    return (size + pad_a + pad_b - k) // stride + 1


def read_vggf(path) -> VggfWeights:
    """Read MatConvNet's ``imagenet-vgg-f.mat`` (older or newer layout, module docstring).

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    VggfWeights

    Raises
    ------
    DataFormatError
        Not a v5 MATLAB file, no ``layers``, no normalisation, a required layer
        (conv1..conv5, fc6, fc7) missing, or layers that do not chain.
    """
    path = Path(path)
    version = mat_version(path)
    if version != "5":
        raise _err(path, f"expected a MATLAB v5 file as distributed by MatConvNet. Got version {version}.")
    check_v5_variable(path)  # a damaged element type would crash scipy's reader (SIGSEGV)
    try:
        data = scipy.io.loadmat(str(path), struct_as_record=False, squeeze_me=False)
    except Exception as exc:
        raise _err(path, f"could not be read ({exc}).") from None
    if "layers" not in data:
        raise _err(path, "no variable 'layers'.")
    if "meta" in data:
        layout, norm = "new", _get(data["meta"], "normalization")
        classes = _get(data["meta"], "classes")
    else:
        layout, norm = "old", data.get("normalization")
        classes = data.get("classes")
    if norm is None or _get(norm, "averageImage") is None:
        raise _err(path, "no normalization.averageImage (looked in 'normalization' and 'meta.normalization').")
    avg = np.asarray(_get(norm, "averageImage"), dtype=np.float32)
    if avg.size == 3:
        avg = avg.reshape(1, 1, 3)
    if avg.ndim != 3 or avg.shape[2] != 3 or not np.isfinite(avg).all():
        raise _err(path, f"averageImage must be H x W x 3 (or 3 values), finite. Got shape {avg.shape}.")
    size = _get(norm, "imageSize")
    image_size = _ints(np.asarray(_unwrap(size), dtype=np.float64).reshape(-1)[:2], 2, path, "imageSize") \
        if size is not None else (avg.shape[0], avg.shape[1])
    if avg.shape[:2] != (1, 1) and avg.shape[:2] != image_size:
        raise _err(path, f"averageImage is {avg.shape[:2]} but imageSize is {image_size}.")

    order, convs, pools, lrns = [], {}, {}, {}
    for i, s in enumerate(np.asarray(data["layers"], dtype=object).reshape(-1)):
        name = _str(_get(s, "name")) or f"layer{i + 1}"
        kind = _str(_get(s, "type"))
        if kind == "conv":
            convs[name] = _conv(s, name, path)
        elif kind == "pool":
            pools[name] = PoolLayer(name, _ints(_get(s, "pool", 1), 2, path, f"'{name}' pool"),
                                    _ints(_get(s, "stride", 1), 2, path, f"'{name}' stride"),
                                    _ints(_get(s, "pad", 0), 4, path, f"'{name}' pad"),
                                    _str(_get(s, "method")) or "max")
        elif kind in ("lrn", "normalize"):
            param = np.asarray(_unwrap(_get(s, "param")), dtype=np.float64).reshape(-1)
            if param.size != 4:
                raise _err(path, f"layer '{name}': LRN 'param' must be [N kappa alpha beta]. Got {param.tolist()}.")
            kind = "lrn"
            lrns[name] = LrnLayer(name, int(param[0]), float(param[1]), float(param[2]), float(param[3]))
        order.append((name, kind))
    missing = [n for n in CNNF_LAYERS if n not in convs]
    if missing:
        raise _err(path, f"missing convolution layer(s) {', '.join(missing)}; found {', '.join(convs) or 'none'}.")
    _check_chain(path, order, convs, pools, image_size)
    names = ()
    if classes is not None:
        desc = _get(classes, "description")
        cells = np.asarray(desc if desc is not None else _get(classes, "name", np.zeros(0)), dtype=object)
        names = tuple(_str(c) for c in cells.reshape(-1))
    return VggfWeights(tuple(order), convs, pools, lrns, avg, image_size, names, layout, str(path))


def _check_chain(path, order, convs, pools, image_size):
    """Channel counts chain from 3 (RGB) through the convs; fc6 covers pool5's output exactly."""
    channels, (h, w) = 3, image_size
    for name, kind in order:
        if kind == "conv":
            c = convs[name]
            if c.weight.shape[1] != channels:
                raise _err(path, f"layer '{name}' expects {c.weight.shape[1]} input channels, "
                                 f"but the previous layer gives {channels}.")
            if name == "fc6" and (h, w) != tuple(c.weight.shape[2:]):
                raise _err(path, f"fc6's kernel {tuple(c.weight.shape[2:])} must cover the {h} x {w} output "
                                 f"of the layers before it (for {image_size[0]} x {image_size[1]} input).")
            kh, kw = c.weight.shape[2:]
            h = _out_size(h, kh, c.stride[0], c.pad[0], c.pad[1])
            w = _out_size(w, kw, c.stride[1], c.pad[2], c.pad[3])
            channels = c.weight.shape[0]
        elif kind == "pool":
            p = pools[name]
            h = _out_size(h, p.size[0], p.stride[0], p.pad[0], p.pad[1])
            w = _out_size(w, p.size[1], p.stride[1], p.pad[2], p.pad[3])
        if h < 1 or w < 1:
            raise _err(path, f"the feature map vanishes at layer '{name}' for {image_size} input.")
