"""CommonSpaceTower: one modality's network into a common representation space, with code and label heads."""

from __future__ import annotations

import torch
from torch import nn

from .._validation import check_choice, check_int
from ..exceptions import HashxValueError
from ._checks import check_net_args
from .heads import HashOutput
from .init import he_init, lecun_init
from .input_norm import InputNorm
from .registry import register_model

__all__ = [
    "CommonSpaceTower",
    "CommonSpaceImageTower",
    "CommonSpaceTextTower",
    "TOWER_ACTIVATIONS",
    "SHAREABLE_PARTS",
    "share_parts",
]

#: Activations a tower's layers may use.
TOWER_ACTIVATIONS = ("relu", "tanh", "none")

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "none": nn.Identity}


def _init(layer: nn.Linear, activation: str) -> nn.Linear:
    """He weights before a ReLU, LeCun weights before tanh or nothing (:mod:`hashx.models.init`)."""
    return he_init(layer) if activation == "relu" else lecun_init(layer)


class CommonSpaceTower(nn.Module):
    """Input vectors -> private layers -> common layer -> (common representation, code, label logits).

    The network of the common-space methods (DSCMR, ACMR): each modality has a
    tower, and the towers meet in a common representation space where items
    of either modality are compared directly::

        x --norm--> [Linear(hidden_dim) + activation] * hidden_layers      (private)
          --> common: Linear(feature_dim) + common_activation = u           (the common representation)
          --> hash: tanh(Linear(nbits)(u))                                  (the code)
          --> classifier: Linear(n_labels)(u)                               (label logits, no activation)

    Weight sharing between the towers is the method's choice, made by
    assigning one tower's ``common``, ``hash`` or ``classifier`` module to
    the other (DSCMR shares all three, ACMR the code and label heads).  Each
    tower stays a complete network: its state dict holds its copy of the
    shared weights, so each is rebuilt alone from ``create_model(name,
    **kwargs)`` and its state dict (the encoder of a checkpoint).

    Parameters
    ----------
    in_dim : int
        Input width.
    n_labels : int
        Width of the label head.
    nbits : int
        Code length (a multiple of 8).
    hidden_dim : int, default=2048
        Width of the private layers.
    feature_dim : int, default=1024
        Width of the common representation.
    hidden_layers : int >= 0, default=1
        Number of private layers (0: the common layer reads the normalised input).
    activation : {"relu", "tanh", "none"}, default="relu"
        After each private layer.
    common_activation : {"relu", "tanh", "none"}, default="none"
        After the common layer (DSCMR: none; ACMR: tanh).
    norm : {"standardize", "rms", "none"}, default="standardize"
        Input normalisation (:class:`~hashx.models.InputNorm`), fitted on the
        training items and saved with the weights.

    Notes
    -----
    ``forward`` returns a :class:`~hashx.models.HashOutput` whose ``feature``
    is the common representation ``u`` (any sign unless ``common_activation``
    is ``"relu"``).  Weights: He normal before a ReLU, LeCun normal otherwise,
    zero biases (:mod:`hashx.models.init`).
    """

    def __init__(self, *, in_dim: int, n_labels: int, nbits: int, hidden_dim: int = 2048, feature_dim: int = 1024,
                 hidden_layers: int = 1, activation: str = "relu", common_activation: str = "none",
                 norm: str = "standardize"):
        super().__init__()
        caller = type(self).__name__
        check_net_args(caller, nbits=nbits, n_labels=n_labels, in_dim=in_dim, hidden_dim=hidden_dim,
                       feature_dim=feature_dim)
        check_int(hidden_layers, "hidden_layers", caller=caller, min_value=0)
        check_choice(activation, "activation", TOWER_ACTIVATIONS, caller=caller)
        check_choice(common_activation, "common_activation", TOWER_ACTIVATIONS, caller=caller)
        self.in_dim = in_dim
        self.common_activation = common_activation
        self.norm = InputNorm(in_dim, kind=norm)
        layers, width = [], in_dim
        for _ in range(hidden_layers):
            layers += [_init(nn.Linear(width, hidden_dim), activation), _ACTIVATIONS[activation]()]
            width = hidden_dim
        self.body = nn.Sequential(*layers)
        self.common = nn.Sequential(_init(nn.Linear(width, feature_dim), common_activation),
                                    _ACTIVATIONS[common_activation]())
        self.hash = lecun_init(nn.Linear(feature_dim, nbits))
        self.classifier = lecun_init(nn.Linear(feature_dim, n_labels))

    @property
    def relu_features(self) -> bool:
        """Whether the common representation is non-negative (a ReLU after the common layer)."""
        return self.common_activation == "relu"

    def forward(self, x: torch.Tensor) -> HashOutput:
        """``x``: float tensor of shape (b, in_dim); returns ``HashOutput(u, tanh code, label logits)``."""
        feature = self.common(self.body(self.norm(x)))
        return HashOutput(feature, torch.tanh(self.hash(feature)), self.classifier(feature))


@register_model("common_space_image", role="image")
class CommonSpaceImageTower(CommonSpaceTower):
    """:class:`CommonSpaceTower` for image feature vectors (default ``norm="standardize"``)."""


@register_model("common_space_text", role="text")
class CommonSpaceTextTower(CommonSpaceTower):
    """:class:`CommonSpaceTower` for text vectors (default ``norm="rms"``, as :class:`~hashx.models.TextMLP`)."""

    def __init__(self, *, in_dim: int, n_labels: int, nbits: int, hidden_dim: int = 2048, feature_dim: int = 1024,
                 hidden_layers: int = 1, activation: str = "relu", common_activation: str = "none",
                 norm: str = "rms"):
        super().__init__(in_dim=in_dim, n_labels=n_labels, nbits=nbits, hidden_dim=hidden_dim,
                         feature_dim=feature_dim, hidden_layers=hidden_layers, activation=activation,
                         common_activation=common_activation, norm=norm)


#: The parts of a tower that two towers may share.
SHAREABLE_PARTS = ("common", "hash", "classifier")


def share_parts(source: CommonSpaceTower, target: CommonSpaceTower, parts) -> None:
    """Make ``target`` use ``source``'s modules for ``parts`` (the same weights, not copies).

    Parameters
    ----------
    source, target : CommonSpaceTower
        Towers with the same ``feature_dim``, ``nbits`` and ``n_labels``.
    parts : iterable of {"common", "hash", "classifier"}

    Raises
    ------
    HashxValueError
        An unknown part, or shapes that differ between the towers.
    """
    for part in parts:
        check_choice(part, "parts", SHAREABLE_PARTS, caller="share_parts")
        mine, theirs = getattr(source, part), getattr(target, part)
        shapes = [tuple(p.shape) for p in mine.parameters()], [tuple(p.shape) for p in theirs.parameters()]
        if shapes[0] != shapes[1]:
            raise HashxValueError(f"share_parts cannot share {part!r}: the towers' shapes differ "
                                  f"({shapes[0]} vs {shapes[1]}).")
        setattr(target, part, mine)
