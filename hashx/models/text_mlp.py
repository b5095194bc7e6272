"""TextMLP: a plain MLP text network (no multi-scale fusion), for short texts and the baselines."""

from __future__ import annotations

from .image_net import ImageMLP
from .registry import register_model

__all__ = ["TextMLP"]


@register_model("text_mlp", role="text")
class TextMLP(ImageMLP):
    """Text vectors -> hidden_dim -> feature_dim -> hash (K, tanh) and label (c) heads.

    The same layers as :class:`~hashx.models.ImageMLP` on a text vector
    (bag-of-words, TF-IDF, topic proportions, sentence embeddings): FC
    ``in_dim -> hidden_dim`` + ReLU, FC ``hidden_dim -> feature_dim`` + ReLU
    (the feature), then the heads.  Without SSAH's multi-scale fusion, whose
    pooling windows (5 to 50 entries) carry no information on a short vector
    (e.g. 10 topic proportions), and which the baselines (DCMH's 2-layer text
    network, DSCMR, ACMR, two-tower) do not have.

    Parameters
    ----------
    in_dim, n_labels, nbits, hidden_dim, feature_dim
        As in :class:`~hashx.models.ImageMLP`.
    norm : {"rms", "standardize", "none"}, default="rms"
        Input normalisation (:class:`~hashx.models.InputNorm`).
    """

    def __init__(self, *, in_dim: int, n_labels: int, nbits: int, hidden_dim: int = 4096,
                 feature_dim: int = 512, norm: str = "rms"):
        super().__init__(in_dim=in_dim, n_labels=n_labels, nbits=nbits, hidden_dim=hidden_dim,
                         feature_dim=feature_dim, norm=norm)
