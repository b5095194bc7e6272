"""LinearHash: the hash function ``sign(x W + b)`` of the shallow methods, stored as tensors.

CCA-ITQ, CMFH and SCM fit a linear projection of each modality in closed
form or by alternating updates; the fitted ``W`` and ``b`` (centring folded
into the bias) are copied into this module, so that the one
:class:`~hashx.train.Encoder`, validation and ``hashx encode`` serve them
like any network.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from ..exceptions import HashxValueError
from ._checks import check_net_args
from .registry import register_model

__all__ = ["ProjectionOutput", "LinearHash", "ImageLinearHash", "TextLinearHash"]


class ProjectionOutput(NamedTuple):
    """What a hash function of a shallow method returns for ``b`` items.

    Attributes
    ----------
    projection : Tensor of shape (b, nbits), float64
        The real-valued projection whose sign is the code.
    code : Tensor of shape (b, nbits), float32
        ``tanh(projection)``, in [-1, 1] with the projection's sign, so that the
        :class:`~hashx.train.Encoder` (bit = 1 where ``code >= 0``) reads the
        same bits as ``sign(projection)`` with 0 -> +1.
    """

    projection: torch.Tensor
    code: torch.Tensor


class LinearHash(nn.Module):
    """``projection = x @ weight + bias``; the code is its sign.

    The weights are float64 (a fitted projection is reproduced to the last
    bit whatever the input dtype); inputs are cast to float64.

    Parameters
    ----------
    in_dim : int
        Input width d.
    nbits : int
        Code length K (a multiple of 8).

    Attributes
    ----------
    weight : Parameter of shape (in_dim, nbits), float64
    bias : Parameter of shape (nbits,), float64

    Notes
    -----
    A fresh module holds random hyperplanes through the origin (weights drawn
    N(0, 1 / in_dim) from a private generator seeded 0, so building one never
    touches torch's global random state); a method replaces them with the
    fitted ones through :meth:`set_projection`.
    """

    def __init__(self, *, in_dim: int, nbits: int):
        super().__init__()
        check_net_args(type(self).__name__, nbits=nbits, in_dim=in_dim)
        self.in_dim, self.nbits = in_dim, nbits
        g = torch.Generator().manual_seed(0)
        weight = torch.randn(in_dim, nbits, generator=g, dtype=torch.float64) / math.sqrt(in_dim)
        self.weight = nn.Parameter(weight)
        self.bias = nn.Parameter(torch.zeros(nbits, dtype=torch.float64))

    @torch.no_grad()
    def set_projection(self, weight: np.ndarray, bias: np.ndarray) -> "LinearHash":
        """Copy a fitted projection in: ``weight`` (in_dim, nbits) and ``bias`` (nbits,), any float dtype.

        Raises
        ------
        HashxValueError
            A shape that does not match the module, or non-finite values.
        """
        weight, bias = np.asarray(weight, dtype=np.float64), np.asarray(bias, dtype=np.float64)
        for name, value, shape in (("weight", weight, tuple(self.weight.shape)), ("bias", bias, (self.nbits,))):
            if value.shape != shape:
                raise HashxValueError(f"The '{name}' parameter of {type(self).__name__}.set_projection must have "
                                      f"shape {shape}. Got {value.shape} instead.")
            if not np.isfinite(value).all():
                raise HashxValueError(f"The '{name}' parameter of {type(self).__name__}.set_projection holds "
                                      f"NaN or Inf values.")
        self.weight.copy_(torch.from_numpy(weight))
        self.bias.copy_(torch.from_numpy(bias))
        return self

    def forward(self, x: torch.Tensor) -> ProjectionOutput:
        """``x``: tensor of shape (b, in_dim), any float dtype."""
        projection = x.to(self.weight.dtype) @ self.weight + self.bias
        return ProjectionOutput(projection, torch.tanh(projection).float())


@register_model("image_linear_hash", role="image")
class ImageLinearHash(LinearHash):
    """:class:`LinearHash` on image feature vectors (CCA-ITQ, CMFH, SCM)."""


@register_model("text_linear_hash", role="text")
class TextLinearHash(LinearHash):
    """:class:`LinearHash` on text vectors (CCA-ITQ, CMFH, SCM)."""
