"""A label-conditioned (projection) discriminator."""

from __future__ import annotations

import torch
from torch import nn

from ._checks import check_net_args
from .init import he_init, lecun_init
from .registry import register_model

__all__ = ["ProjectionDiscriminator"]


@register_model("projection_discriminator", role="discriminator")
class ProjectionDiscriminator(nn.Module):
    """``D(f, y) = w . phi(f) + b + <E y_bar, phi(f)>``: a discriminator that sees the item's labels.

    The projection discriminator of Miyato and Koyama (ICLR 2018): ``phi`` is
    SSAH's discriminator body (512 -> 512 -> 256, ReLU), ``w, b`` the
    unconditional logit, and ``E`` a (c, 256) label embedding; ``y_bar`` is
    the multi-hot label vector divided by its number of labels (the mean of
    the item's label embeddings), so single- and multi-label items are
    treated alike.  Conditioning on the labels lets it judge whether a
    feature is a plausible *label-network* feature *for these labels*, which
    an unconditional discriminator cannot do when the label network's
    features form one point per label combination (see :mod:`hashx.alignment`).

    Parameters
    ----------
    feature_dim : int
    n_labels : int
    hidden_dims : tuple of int, default=(512, 256)
    """

    def __init__(self, *, feature_dim: int = 512, n_labels: int, hidden_dims: tuple = (512, 256)):
        super().__init__()
        check_net_args("ProjectionDiscriminator", feature_dim=feature_dim, n_labels=n_labels,
                       **{f"hidden_dims[{i}]": h for i, h in enumerate(hidden_dims)})
        layers, width = [], feature_dim
        for h in hidden_dims:
            layers += [he_init(nn.Linear(width, h)), nn.ReLU()]
            width = h
        self.body = nn.Sequential(*layers)
        self.logit = lecun_init(nn.Linear(width, 1))
        self.embed = nn.Linear(n_labels, width, bias=False)
        nn.init.normal_(self.embed.weight, std=width ** -0.5)
        self.in_dim = feature_dim

    def forward(self, feature: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Logits of shape (b,) for features (b, feature_dim) and multi-hot labels (b, n_labels)."""
        h = self.body(feature)
        y = labels.float() / labels.float().sum(dim=1, keepdim=True).clamp(min=1.0)
        return self.logit(h).squeeze(-1) + (self.embed(y) * h).sum(dim=1)
