"""The discriminator SSAH puts between a modality's features and the label features."""

from __future__ import annotations

import torch
from torch import nn

from ._checks import check_net_args
from .init import he_init, lecun_init
from .registry import register_model

__all__ = ["Discriminator"]


@register_model("discriminator", role="discriminator")
class Discriminator(nn.Module):
    """FC 512 -> 512 -> 256 -> 1 logit, ReLU between (SSAH's ``dis_net_IL`` / ``dis_net_TL``).

    SSAH's dropout layers are always fed ``keep_prob=1`` and are left out.
    The logit is "the feature comes from the label network" (1) versus
    "from the image/text network" (0).

    Parameters
    ----------
    feature_dim : int, default=512
    hidden_dims : tuple of int, default=(512, 256)
    """

    def __init__(self, *, feature_dim: int = 512, hidden_dims: tuple = (512, 256)):
        super().__init__()
        check_net_args("Discriminator", feature_dim=feature_dim,
                       **{f"hidden_dims[{i}]": h for i, h in enumerate(hidden_dims)})
        layers, width = [], feature_dim
        for h in hidden_dims:
            layers += [he_init(nn.Linear(width, h)), nn.ReLU()]
            width = h
        layers.append(lecun_init(nn.Linear(width, 1)))
        self.net = nn.Sequential(*layers)
        self.in_dim = feature_dim

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        """Logits of shape (b,) for features of shape (b, feature_dim)."""
        return self.net(feature).squeeze(-1)
