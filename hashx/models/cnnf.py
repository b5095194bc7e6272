"""The CNN-F (VGG-F) convolutional trunk SSAH's image network starts from."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .._validation import check_int
from ..data.images import MIN_IMAGE_SIZE as MIN_IMAGE_SIZE  # the smallest side; readers refuse smaller images
from ..exceptions import HashxValueError
from .init import he_init
from .lrn import SSAHLocalResponseNorm

__all__ = ["CNNFTrunk", "MIN_IMAGE_SIZE", "VGGF_CONV_SPECS", "VGGF_POOL_SPECS"]

#: VGG-F's convolutions: (kernel, stride, (top, bottom, left, right) padding) of conv1..conv5.
VGGF_CONV_SPECS = (
    (11, 4, (0, 0, 0, 0)),
    (5, 1, (2, 2, 2, 2)),
    (3, 1, (1, 1, 1, 1)),
    (3, 1, (1, 1, 1, 1)),
    (3, 1, (1, 1, 1, 1)),
)
#: VGG-F's max-pools: (size, stride, (top, bottom, left, right) padding) of pool1, pool2, pool5.
VGGF_POOL_SPECS = ((3, 2, (0, 1, 0, 1)),) * 3


class CNNFTrunk(nn.Module):
    """conv1-5 and fc6-fc7 of CNN-F (Chatfield et al., 2014), as SSAH uses them.

    conv1 (11x11, stride 4) -> ReLU -> LRN -> max-pool 3/2 -> conv2 (5x5, pad 2)
    -> ReLU -> LRN -> max-pool 3/2 -> conv3, conv4, conv5 (3x3, pad 1, each with
    ReLU) -> max-pool 3/2 -> fc6 -> ReLU -> fc7 -> ReLU.  Each max-pool first
    pads one row at the bottom and one column at the right (MatConvNet's
    ``[0 1 0 1]``; zero padding equals MatConvNet's -inf padding here because
    the pooled maps are non-negative).  LRN uses SSAH's parameters
    (:class:`~hashx.models.lrn.SSAHLocalResponseNorm`).

    Input: float images of shape (b, 3, H, W) with the average image already
    subtracted, H and W >= 63.  At 224x224 (the SSAH setting) pool5 gives a
    6x6 map and fc6 sees it exactly; other sizes are average-pooled to 6x6
    first (an adaptation for small images, identity at 224).

    Parameters
    ----------
    channels : tuple of 5 int, default=(64, 256, 256, 256, 256)
        Output channels of conv1..conv5.
    fc_dims : tuple of 2 int, default=(4096, 4096)
        Widths of fc6 and fc7.
    conv_specs : tuple of 5 (kernel, stride, (top, bottom, left, right))
        Default VGG-F's (:data:`VGGF_CONV_SPECS`).
    pool_specs : tuple of 3 (size, stride, (top, bottom, left, right))
        pool1, pool2, pool5; default VGG-F's (:data:`VGGF_POOL_SPECS`).

    Notes
    -----
    Randomly initialised (He normal, :mod:`hashx.models.init`);
    :func:`hashx.models.pretrained_cnnf.cnnf_kwargs_and_state` reads a
    MatConvNet ``imagenet-vgg-f.mat`` instead.
    """

    def __init__(self, *, channels: tuple = (64, 256, 256, 256, 256), fc_dims: tuple = (4096, 4096),
                 conv_specs: tuple = VGGF_CONV_SPECS, pool_specs: tuple = VGGF_POOL_SPECS):
        super().__init__()
        if len(channels) != 5 or len(fc_dims) != 2 or len(conv_specs) != 5 or len(pool_specs) != 3:
            raise HashxValueError("CNNFTrunk needs 5 conv widths and specs, 2 fc widths and 3 pool specs.")
        for i, c in enumerate(tuple(channels) + tuple(fc_dims)):
            check_int(c, f"channels/fc_dims[{i}]", caller="CNNFTrunk", min_value=1)
        self.conv_specs = tuple((int(k), int(s), tuple(int(v) for v in p)) for k, s, p in conv_specs)
        self.pool_specs = tuple((int(k), int(s), tuple(int(v) for v in p)) for k, s, p in pool_specs)
        convs, width = [], 3
        for c, (k, s, _) in zip(channels, self.conv_specs):
            convs.append(he_init(nn.Conv2d(width, c, kernel_size=k, stride=s)))
            width = c
        self.convs = nn.ModuleList(convs)
        self.lrn = SSAHLocalResponseNorm()
        self.fc6 = he_init(nn.Linear(channels[4] * 36, fc_dims[0]))
        self.fc7 = he_init(nn.Linear(fc_dims[0], fc_dims[1]))
        self.out_dim = fc_dims[1]

    def _conv(self, x, i):
        top, bottom, left, right = self.conv_specs[i][2]
        return F.relu(self.convs[i](F.pad(x, (left, right, top, bottom))))

    def _pool(self, x, i):
        size, stride, (top, bottom, left, right) = self.pool_specs[i]
        return F.max_pool2d(F.pad(x, (left, right, top, bottom)), kernel_size=size, stride=stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(b, 3, H, W) mean-subtracted images -> (b, fc_dims[1]) fc7 activations."""
        x = self._pool(self.lrn(self._conv(x, 0)), 0)
        x = self._pool(self.lrn(self._conv(x, 1)), 1)
        x = self._pool(self._conv(self._conv(self._conv(x, 2), 3), 4), 2)
        if x.shape[-2:] != (6, 6):
            x = F.adaptive_avg_pool2d(x, (6, 6))
        x = F.relu(self.fc6(x.flatten(1)))
        return F.relu(self.fc7(x))
