"""Weight initialisation shared by the networks.

SSAH's code draws every new weight and bias from N(0, 0.01).  With inputs of
unit scale that shrinks activations by orders of magnitude per layer, and the
hash layer's output is then dominated by its (item-independent) bias: every
item starts with the same code.  hashx instead uses

* He (Kaiming) normal weights, std ``sqrt(2 / fan_in)``, for layers followed
  by a ReLU, so activations keep their scale through the network;
* LeCun normal weights, std ``sqrt(1 / fan_in)``, for the output layers (hash,
  label, discriminator logit);
* zero biases everywhere,

which, together with inputs normalised to unit scale
(:class:`~hashx.models.InputNorm`), makes the starting codes depend on the
item for any input width (10 to 10,000) and scale.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["he_init", "lecun_init"]


@torch.no_grad()
def _normal_init(layer: nn.Module, gain: float) -> nn.Module:
    """Weights ~ N(0, gain / fan_in), zero bias; returns the layer."""
    fan_in = layer.weight[0].numel()
    layer.weight.normal_(0.0, math.sqrt(gain / fan_in))
    if layer.bias is not None:
        layer.bias.zero_()
    return layer


def he_init(layer: nn.Module) -> nn.Module:
    """He-normal weights (for a ReLU after the layer), zero bias; returns the layer."""
    return _normal_init(layer, 2.0)


def lecun_init(layer: nn.Module) -> nn.Module:
    """LeCun-normal weights (linear or tanh/sigmoid output), zero bias; returns the layer."""
    return _normal_init(layer, 1.0)
