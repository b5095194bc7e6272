"""SSAH's image networks: on precomputed features (MLP) or on raw images (CNN-F)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ._checks import check_net_args
from .cnnf import MIN_IMAGE_SIZE, VGGF_CONV_SPECS, VGGF_POOL_SPECS, CNNFTrunk
from .init import he_init
from .heads import HashHeads, HashOutput
from .input_norm import InputNorm
from .registry import register_model

__all__ = ["ImageMLP", "ImageCNNF"]


@register_model("image_mlp", role="image")
class ImageMLP(nn.Module):
    """Image features -> 4096 -> 512 feature -> hash (K, tanh) and label (c) heads.

    SSAH's image head (fc8 4096->512 ReLU, fc9 hash, fc10 label) preceded by
    one FC ``in_dim -> hidden_dim`` + ReLU layer standing in for fc7, so that
    precomputed features (CNN-F/VGG fc7, GIST, ...) of any width can be used.

    Parameters
    ----------
    in_dim : int
        Feature width (e.g. 4096 for CNN-F fc7 features).
    n_labels, nbits, hidden_dim, feature_dim
        As in :class:`~hashx.models.LabelNet`.
    norm : {"standardize", "rms", "none"}, default="standardize"
        Input normalisation (:class:`~hashx.models.InputNorm`), fitted on the
        training items and stored in the checkpoint.

    Notes
    -----
    Initialisation: He/LeCun normal, zero biases (:mod:`hashx.models.init`).
    """

    def __init__(self, *, in_dim: int, n_labels: int, nbits: int, hidden_dim: int = 4096,
                 feature_dim: int = 512, norm: str = "standardize"):
        super().__init__()
        check_net_args(type(self).__name__, nbits=nbits, n_labels=n_labels, in_dim=in_dim,
                       hidden_dim=hidden_dim, feature_dim=feature_dim)
        self.in_dim = in_dim
        self.norm = InputNorm(in_dim, kind=norm)
        self.body = nn.Sequential(
            he_init(nn.Linear(in_dim, hidden_dim)),
            nn.ReLU(),
            he_init(nn.Linear(hidden_dim, feature_dim)),
            nn.ReLU(),
        )
        self.heads = HashHeads(feature_dim=feature_dim, nbits=nbits, n_labels=n_labels)

    def forward(self, x: torch.Tensor) -> HashOutput:
        """``x``: float tensor of shape (b, in_dim)."""
        feature = self.body(self.norm(x))
        code, logit = self.heads(feature)
        return HashOutput(feature, code, logit)


@register_model("image_cnnf", role="image")
class ImageCNNF(nn.Module):
    """Raw images -> CNN-F trunk (conv1-5, fc6, fc7) -> fc8 512 + ReLU -> heads.

    SSAH's ``img_net``.  The input is a batch of RGB images of shape
    (b, H, W, 3), uint8 or float in [0, 255]; the network subtracts the
    average image (a buffer saved with the weights; its per-channel mean is
    used when the input size differs from the average image's size) and
    runs :class:`~hashx.models.cnnf.CNNFTrunk`.

    Parameters
    ----------
    n_labels, nbits, feature_dim
        As in :class:`~hashx.models.LabelNet`.
    channels, fc_dims, conv_specs, pool_specs
        Trunk shape, see :class:`~hashx.models.cnnf.CNNFTrunk`.
    mean_size : tuple (H, W), default=(224, 224)
        Size of the average-image buffer (zeros until loaded).

    Notes
    -----
    With ``SSAHSettings(vggf_path=...)`` the method builds it from a MatConvNet
    ``imagenet-vgg-f.mat`` (:mod:`hashx.models.pretrained_cnnf`), as SSAH does.  fc8 and the heads (and the
    trunk when not loaded) use He/LeCun normal weights (:mod:`hashx.models.init`).
    """

    def __init__(self, *, n_labels: int, nbits: int, feature_dim: int = 512,
                 channels: tuple = (64, 256, 256, 256, 256), fc_dims: tuple = (4096, 4096),
                 conv_specs: tuple = VGGF_CONV_SPECS, pool_specs: tuple = VGGF_POOL_SPECS,
                 mean_size: tuple = (224, 224)):
        super().__init__()
        check_net_args("ImageCNNF", nbits=nbits, n_labels=n_labels, feature_dim=feature_dim,
                       **{"mean_size[0]": mean_size[0], "mean_size[1]": mean_size[1]})
        self.trunk = CNNFTrunk(channels=channels, fc_dims=fc_dims, conv_specs=conv_specs, pool_specs=pool_specs)
        self.register_buffer("mean_image", torch.zeros(3, int(mean_size[0]), int(mean_size[1])))
        self.fc8 = he_init(nn.Linear(self.trunk.out_dim, feature_dim))
        self.heads = HashHeads(feature_dim=feature_dim, nbits=nbits, n_labels=n_labels)
        self.in_dim = None

    def forward(self, images: torch.Tensor) -> HashOutput:
        """``images``: tensor of shape (b, H, W, 3), uint8 or float, H, W >= 63."""
        if images.dim() != 4 or images.shape[-1] != 3:
            raise ValueError(f"ImageCNNF expects images of shape (b, H, W, 3). Got {tuple(images.shape)}.")
        if min(images.shape[1], images.shape[2]) < MIN_IMAGE_SIZE:
            raise ValueError(f"ImageCNNF needs images of at least {MIN_IMAGE_SIZE}x{MIN_IMAGE_SIZE} pixels. "
                             f"Got {images.shape[1]}x{images.shape[2]}.")
        x = images.permute(0, 3, 1, 2).to(self.mean_image.dtype)
        mean = self.mean_image
        if tuple(mean.shape[1:]) != tuple(x.shape[2:]):
            mean = mean.mean(dim=(1, 2), keepdim=True)
        feature = F.relu(self.fc8(self.trunk(x - mean)))
        code, logit = self.heads(feature)
        return HashOutput(feature, code, logit)
