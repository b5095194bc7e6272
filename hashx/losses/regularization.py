"""Weight regularisation terms."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["frobenius_penalty"]


def frobenius_penalty(modules) -> torch.Tensor:
    """``sum_l ||W_l||_F``: the Frobenius norms (not squared) of the weight matrices of the linear layers.

    ACMR's ``L_reg`` over its projectors' layers.  Biases are not included;
    a layer reached twice (shared between modules) counts once.

    Parameters
    ----------
    modules : iterable of nn.Module

    Returns
    -------
    Tensor of shape (), float32
    """
    seen, total = set(), None
    for module in modules:
        for layer in module.modules():
            if isinstance(layer, nn.Linear) and id(layer.weight) not in seen:
                seen.add(id(layer.weight))
                norm = torch.linalg.matrix_norm(layer.weight)
                total = norm if total is None else total + norm
    return torch.zeros(()) if total is None else total
