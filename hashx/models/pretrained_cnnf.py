"""Building SSAH's raw-image network from MatConvNet's ``imagenet-vgg-f.mat``."""

from __future__ import annotations

import numpy as np
import torch

from ..exceptions import DataFormatError

__all__ = ["cnnf_kwargs_and_state"]

_CONVS = ("conv1", "conv2", "conv3", "conv4", "conv5")
_POOLS = ("pool1", "pool2", "pool5")


def cnnf_kwargs_and_state(path) -> tuple[dict, dict]:
    """Constructor arguments and initial weights of :class:`~hashx.models.ImageCNNF` from a CNN-F file.

    The file is read with :func:`hashx.data.vggf.read_vggf`.  Layer widths,
    kernel sizes, strides and paddings come from the file, so the small test
    files of the same layout work as well as the real 230 MB one.  fc8 (the
    ImageNet classifier) is not used; SSAH's fc8 (4096 -> 512) and the heads
    are new layers.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    kwargs : dict
        ``channels``, ``fc_dims``, ``conv_specs``, ``pool_specs``,
        ``mean_size`` (plain ints and tuples; saved in checkpoints so the
        network can be rebuilt without the file).
    state : dict of str -> Tensor
        ``trunk.*`` weights and the ``mean_image`` buffer (3, H, W), for
        ``ImageCNNF.load_state_dict(state, strict=False)``.

    Raises
    ------
    DataFormatError
        The file cannot be read or its pools are not where CNN-F has them.
    """
    from ..data.vggf import read_vggf

    w = read_vggf(path)
    missing = [p for p in _POOLS if p not in w.pools]
    if missing:
        raise DataFormatError(f"File '{path}' (CNN-F weights) lacks the pooling layer(s) {missing}.")
    convs = [w.convs[name] for name in _CONVS]
    for c in convs:
        if c.weight.shape[2] != c.weight.shape[3] or c.stride[0] != c.stride[1]:
            raise DataFormatError(f"File '{path}': layer '{c.name}' has a non-square kernel or stride.")
    kwargs = {
        "channels": tuple(int(c.weight.shape[0]) for c in convs),
        "fc_dims": (int(w.convs["fc6"].weight.shape[0]), int(w.convs["fc7"].weight.shape[0])),
        "conv_specs": tuple((int(c.weight.shape[2]), int(c.stride[0]), tuple(int(v) for v in c.pad))
                            for c in convs),
        "pool_specs": tuple((int(w.pools[p].size[0]), int(w.pools[p].stride[0]),
                             tuple(int(v) for v in w.pools[p].pad)) for p in _POOLS),
        "mean_size": tuple(int(v) for v in w.image_size),
    }
    fc6 = w.convs["fc6"]
    if tuple(fc6.weight.shape[2:]) != (6, 6):
        raise DataFormatError(f"File '{path}': fc6 must be a 6x6 convolution (CNN-F). Got {fc6.weight.shape}.")
    state = {}
    for i, c in enumerate(convs):
        state[f"trunk.convs.{i}.weight"] = torch.from_numpy(c.weight.copy())
        state[f"trunk.convs.{i}.bias"] = torch.from_numpy(c.bias.copy())
    for name in ("fc6", "fc7"):
        c = w.convs[name]
        state[f"trunk.{name}.weight"] = torch.from_numpy(c.weight.reshape(c.weight.shape[0], -1).copy())
        state[f"trunk.{name}.bias"] = torch.from_numpy(c.bias.copy())
    mean = np.ascontiguousarray(w.mean_image().transpose(2, 0, 1), dtype=np.float32)
    state["mean_image"] = torch.from_numpy(mean)
    return kwargs, state
