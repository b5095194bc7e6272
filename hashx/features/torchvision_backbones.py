"""torchvision CNNs as feature extractors: ResNet-50 pooled features, VGG-16/19 fc7.

The architecture comes from torchvision's model builder with ``weights=None``
(nothing is downloaded), is created on the ``meta`` device (no time spent on a
random initialisation that the file replaces) and receives the file's tensors.
The classifier is then cut where the registry's ``layer`` says.
"""

from __future__ import annotations

from ._imports import import_torchvision
from .preprocessing import Preprocessing
from .registry import BackboneSpec
from .weights_file import check_state_dict

__all__ = ["build_torchvision_backbone", "torchvision_preprocessing"]


def torchvision_preprocessing(spec: BackboneSpec) -> Preprocessing:
    """The preprocessing of the weights' enum (``weights.transforms()``), as a :class:`Preprocessing`."""
    tv = import_torchvision(f"Backbone '{spec.name}'")
    reference = tv.models.get_weight(spec.weights_tag).transforms()
    return Preprocessing(resize=int(reference.resize_size[0]), crop=int(reference.crop_size[0]),
                         interpolation=reference.interpolation.value, mean=tuple(reference.mean),
                         std=tuple(reference.std))


def build_torchvision_backbone(spec: BackboneSpec, state: dict, path):
    """The feature extractor of ``spec`` with the weights ``state``, in eval mode.

    Parameters
    ----------
    spec : BackboneSpec
        A ``torchvision`` entry of the registry.
    state : dict of str -> torch.Tensor
        The published state dict (with the classifier's last layer).
    path : str or os.PathLike
        The weights file, for error messages.

    Returns
    -------
    torch.nn.Module
        Maps (B, 3, H, W) float32 to (B, spec.dim) float32.

    Raises
    ------
    CheckpointError
        The state dict does not fit the architecture.
    """
    import torch

    tv = import_torchvision(f"Backbone '{spec.name}'")
    with torch.device("meta"):
        model = getattr(tv.models, spec.arch)(weights=None)
    check_state_dict({k: v.shape for k, v in model.state_dict().items()}, state, path, spec)
    model.load_state_dict(state, strict=True, assign=True)
    if spec.arch.startswith("resnet"):
        model.fc = torch.nn.Identity()
    else:  # VGG: Linear, ReLU, Dropout, Linear (fc7), ReLU, | Dropout, Linear (fc8)
        model.classifier = model.classifier[:5]
    return model.eval()
