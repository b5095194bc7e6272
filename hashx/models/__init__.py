"""The networks of hashx, in a registry (``create_model(name, **kwargs)``).

Registered names
----------------
``label_net``      :class:`LabelNet`, SSAH's label (teacher) network.
``image_mlp``      :class:`ImageMLP`, image network on precomputed features.
``image_cnnf``     :class:`ImageCNNF`, image network on raw images (CNN-F trunk).
``text_net``       :class:`TextNet`, text network with multi-scale fusion.
``text_mlp``       :class:`TextMLP`, plain MLP text network.
``discriminator``  :class:`Discriminator`, feature-vs-label discriminator.
``image_linear_hash``, ``text_linear_hash``  :class:`LinearHash`, the shallow methods' ``sign(x W + b)``.
``image_kernel_hash``, ``text_kernel_hash``  :class:`KernelHash`, RBF features on anchors + a linear hash.
``projection_discriminator``  :class:`ProjectionDiscriminator`, label-conditioned discriminator.
``common_space_image``, ``common_space_text``
                   :class:`CommonSpaceTower`, a modality's tower into a common space (DSCMR, ACMR).
"""

from .cnnf import CNNFTrunk as CNNFTrunk
from .common_tower import CommonSpaceTower as CommonSpaceTower
from .discriminator import Discriminator as Discriminator
from .heads import HashHeads as HashHeads
from .heads import HashOutput as HashOutput
from .image_net import ImageCNNF as ImageCNNF
from .image_net import ImageMLP as ImageMLP
from .encoder_choice import AUTO as AUTO
from .encoder_choice import MAX_HIDDEN_DIM as MAX_HIDDEN_DIM
from .encoder_choice import MIN_FUSION_DIM as MIN_FUSION_DIM
from .encoder_choice import MIN_HIDDEN_DIM as MIN_HIDDEN_DIM
from .encoder_choice import SPARSE_ZERO_FRACTION as SPARSE_ZERO_FRACTION
from .encoder_choice import choose_hidden_dim as choose_hidden_dim
from .encoder_choice import choose_input_norm as choose_input_norm
from .encoder_choice import choose_text_net as choose_text_net
from .encoder_choice import modality_net_specs as modality_net_specs
from .image_spec import IMAGE_NET_CHOICES as IMAGE_NET_CHOICES
from .image_spec import NetSpec as NetSpec
from .image_spec import ImageNetSpec as ImageNetSpec
from .image_spec import image_net_spec as image_net_spec
from .input_norm import InputNorm as InputNorm
from .kernel_hash import KernelHash as KernelHash
from .kernel_hash import RBFFeatures as RBFFeatures
from .kernel_hash import rbf_features as rbf_features
from .kernel_hash import squared_distances as squared_distances
from .label_net import LabelNet as LabelNet
from .linear_hash import LinearHash as LinearHash
from .linear_hash import ProjectionOutput as ProjectionOutput
from .lrn import SSAHLocalResponseNorm as SSAHLocalResponseNorm
from .projection_discriminator import ProjectionDiscriminator as ProjectionDiscriminator
from .registry import MODELS as MODELS
from .registry import create_model as create_model
from .registry import list_models as list_models
from .registry import model_role as model_role
from .registry import register_model as register_model
from .text_net import MultiScaleFusion as MultiScaleFusion
from .text_mlp import TextMLP as TextMLP
from .text_net import TextNet as TextNet

__all__ = [
    "MODELS",
    "create_model",
    "list_models",
    "model_role",
    "register_model",
    "HashOutput",
    "HashHeads",
    "InputNorm",
    "image_net_spec",
    "NetSpec",
    "AUTO",
    "MIN_FUSION_DIM",
    "MIN_HIDDEN_DIM",
    "MAX_HIDDEN_DIM",
    "SPARSE_ZERO_FRACTION",
    "modality_net_specs",
    "choose_input_norm",
    "choose_text_net",
    "choose_hidden_dim",
    "ImageNetSpec",
    "IMAGE_NET_CHOICES",
    "SSAHLocalResponseNorm",
    "LabelNet",
    "ImageMLP",
    "ImageCNNF",
    "CNNFTrunk",
    "MultiScaleFusion",
    "TextNet",
    "TextMLP",
    "Discriminator",
    "ProjectionOutput",
    "LinearHash",
    "KernelHash",
    "RBFFeatures",
    "rbf_features",
    "squared_distances",
    "ProjectionDiscriminator",
    "CommonSpaceTower",
]
