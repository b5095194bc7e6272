"""TextNet with SSAH's multi-scale fusion of the text vector."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ._checks import check_net_args
from .init import he_init
from .heads import HashHeads, HashOutput
from .input_norm import InputNorm
from .lrn import SSAHLocalResponseNorm
from .registry import register_model

__all__ = ["MultiScaleFusion", "TextNet", "SSAH_WINDOWS"]

#: SSAH's pooling windows along the tag axis (5 x level, level in 10, 6, 3, 2, 1).
SSAH_WINDOWS = (50, 30, 15, 10, 5)


class MultiScaleFusion(nn.Module):
    """Multi-scale view of a text vector: (b, t) -> (b, 1 + len(windows), t).

    For each window ``w``: average pooling along the text axis with window =
    stride = ``w`` and no padding (TensorFlow's ``VALID``: the last ``t mod w``
    entries are not pooled), a 1x1 convolution with a single scalar weight and
    no bias, ReLU, and linear (1-d bilinear) resizing back to length ``t``
    (half-pixel centres, as ``torch.nn.functional.interpolate`` with
    ``align_corners=False``).  The raw input is channel 0; the branches follow
    from the narrowest window to the widest, as in SSAH's concatenation.

    Short vectors: a window wider than the input (e.g. 50 or 30 on a 20-d
    topic vector) is clamped to the input length ``t``, so that branch pools the
    whole vector to one value (its mean) and broadcasts it back to every
    position.  With ``t < 5`` every branch is this global mean.

    The scalar weights start at 1 rather than SSAH's N(0, 0.01) draw: a
    negative scalar followed by ReLU would zero a branch of non-negative input
    for good (its gradient would be zero too).
    """

    def __init__(self, text_dim: int, *, windows: tuple = SSAH_WINDOWS):
        super().__init__()
        check_net_args("MultiScaleFusion", text_dim=text_dim,
                       **{f"windows[{i}]": w for i, w in enumerate(windows)})
        self.text_dim = text_dim
        self.windows = tuple(sorted(int(w) for w in windows))
        self.effective_windows = tuple(min(w, text_dim) for w in self.windows)
        self.weight = nn.Parameter(torch.ones(len(self.windows)))

    @property
    def n_channels(self) -> int:
        return 1 + len(self.windows)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = x.unsqueeze(1)  # (b, 1, t)
        channels = [x1]
        for i, w in enumerate(self.effective_windows):
            pooled = F.avg_pool1d(x1, kernel_size=w, stride=w)
            branch = F.relu(pooled * self.weight[i])
            channels.append(F.interpolate(branch, size=self.text_dim, mode="linear", align_corners=False))
        return torch.cat(channels, dim=1)


@register_model("text_net", role="text")
class TextNet(nn.Module):
    """Text vectors -> multi-scale fusion (6 channels) -> 4096 -> 512 feature -> heads.

    As in SSAH's ``txt_net``: :class:`MultiScaleFusion`, FC 6t->4096, ReLU,
    LRN, FC 4096->512, ReLU (the feature), LRN, then the hash (K, tanh) and
    label heads read the normalised feature.

    Parameters
    ----------
    in_dim : int
        Text width t (10 to tens of thousands; see :class:`MultiScaleFusion`
        for inputs narrower than the pooling windows).
    n_labels, nbits, hidden_dim, feature_dim
        As in :class:`~hashx.models.LabelNet`.
    norm : {"rms", "standardize", "none"}, default="rms"
        Input normalisation (:class:`~hashx.models.InputNorm`), fitted on the
        training items by the method and stored in the checkpoint.
    windows : tuple of int, default=(50, 30, 15, 10, 5)

    Notes
    -----
    Initialisation: He/LeCun normal, zero biases (:mod:`hashx.models.init`);
    1 for the fusion scalars.
    """

    def __init__(self, *, in_dim: int, n_labels: int, nbits: int, hidden_dim: int = 4096,
                 feature_dim: int = 512, norm: str = "rms", windows: tuple = SSAH_WINDOWS):
        super().__init__()
        check_net_args("TextNet", nbits=nbits, n_labels=n_labels, in_dim=in_dim,
                       hidden_dim=hidden_dim, feature_dim=feature_dim)
        self.in_dim = in_dim
        self.norm = InputNorm(in_dim, kind=norm)
        self.fusion = MultiScaleFusion(in_dim, windows=windows)
        self.fc1 = he_init(nn.Linear(self.fusion.n_channels * in_dim, hidden_dim))
        self.lrn1 = SSAHLocalResponseNorm()
        self.fc2 = he_init(nn.Linear(hidden_dim, feature_dim))
        self.lrn2 = SSAHLocalResponseNorm()
        self.heads = HashHeads(feature_dim=feature_dim, nbits=nbits, n_labels=n_labels)

    def forward(self, text: torch.Tensor) -> HashOutput:
        """``text``: float tensor of shape (b, in_dim)."""
        fused = self.fusion(self.norm(text)).flatten(1)
        hidden = self.lrn1(F.relu(self.fc1(fused)))
        feature = F.relu(self.fc2(hidden))
        code, logit = self.heads(self.lrn2(feature))
        return HashOutput(feature, code, logit)
