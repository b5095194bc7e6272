"""The backbones hashx extracts features with: names, layers, and the weights files to fetch.

Each entry names the architecture in its own package (a torchvision model
builder and weight enum, or an open_clip model name and pretrained tag), the
feature it yields, and the file its project publishes, which the user fetches
once and passes as ``weights``; hashx never downloads anything.  The tests
check every entry against torchvision's enum and open_clip's pretrained table.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._registry import Registry

__all__ = ["BackboneSpec", "BACKBONES", "get_backbone", "list_backbones", "list_text_backbones"]


@dataclass(frozen=True)
class BackboneSpec:
    """One registered backbone.

    Attributes
    ----------
    name : str
        The name used by hashx (``--backbone``).
    family : {"torchvision", "open_clip"}
        The package that defines the architecture.
    arch : str
        torchvision model builder (``"resnet50"``) or open_clip model name (``"ViT-B-32"``).
    weights_tag : str
        torchvision weight enum (``"ResNet50_Weights.IMAGENET1K_V1"``) or open_clip pretrained tag.
    dim : int
        Feature dimension.
    layer : str
        Which activation the feature is.
    weights_files : tuple of str
        Names of the published weights file (any one of them will do).
    source : str
        Where the file is published.
    quick_gelu : bool
        open_clip only: the weights were trained with QuickGELU (OpenAI's CLIP).
    """

    name: str
    family: str
    arch: str
    weights_tag: str
    dim: int
    layer: str
    weights_files: tuple
    source: str
    quick_gelu: bool = False

    @property
    def has_text(self) -> bool:
        """Whether the backbone also embeds text (CLIP)."""
        return self.family == "open_clip"

    def fetch_hint(self) -> str:
        """One sentence saying which file to fetch and from where."""
        files = " or ".join(self.weights_files)
        return f"fetch {files} ({self.family} weights {self.arch} / {self.weights_tag}) from {self.source}"


def _torchvision(name, arch, tag, dim, layer, filename):
    return BackboneSpec(name, "torchvision", arch, tag, dim, layer, (filename,),
                        f"https://download.pytorch.org/models/{filename}")


def _clip(name, arch, hub, dim):
    return BackboneSpec(name, "open_clip", arch, "openai", dim,
                        "image embedding: the image tower's output after its projection (not L2-normalised)",
                        ("open_clip_model.safetensors", "open_clip_pytorch_model.bin"),
                        f"https://huggingface.co/{hub} (open_clip's copy of OpenAI's weights)", quick_gelu=True)


_FC7 = "fc7: the second 4096-d fully connected layer after its ReLU (eval mode: no dropout)"

#: Backbones by name (:class:`BackboneSpec`), in the order ``list_backbones`` returns.
BACKBONES = Registry("backbone")
for _spec in (
        _torchvision("resnet50", "resnet50", "ResNet50_Weights.IMAGENET1K_V1", 2048,
                     "pool: global average pool of the last residual stage (2048-d, before fc)",
                     "resnet50-0676ba61.pth"),
        _torchvision("vgg16", "vgg16", "VGG16_Weights.IMAGENET1K_V1", 4096, _FC7, "vgg16-397923af.pth"),
        _torchvision("vgg19", "vgg19", "VGG19_Weights.IMAGENET1K_V1", 4096, _FC7, "vgg19-dcbb9e9d.pth"),
        _clip("clip-vit-b-32", "ViT-B-32", "timm/vit_base_patch32_clip_224.openai", 512),
):
    BACKBONES.register(_spec.name, _spec)


def list_backbones(*, text: bool = False) -> list[str]:
    """Names of the registered backbones (with ``text=True``: those with a text tower)."""
    return [name for name, spec in BACKBONES.items() if spec.has_text or not text]


def list_text_backbones() -> list[str]:
    """Names of the registered backbones that embed text (CLIP)."""
    return list_backbones(text=True)


def get_backbone(name: str) -> BackboneSpec:
    """The :class:`BackboneSpec` called ``name``.

    Raises
    ------
    HashxValueError
        Unknown name (the message lists the registered ones).
    """
    return BACKBONES.get(name, parameter="backbone", caller="get_backbone")
