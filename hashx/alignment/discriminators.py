"""Discriminators: one per aligned modality, and their Adam optimiser."""

from __future__ import annotations

from torch import nn

from .._validation import check_float, check_int
from ..models import create_model
from ..train.optim import adam

__all__ = ["Discriminators"]


class Discriminators:
    """One discriminator per modality (features vs anchors) and one Adam optimiser for all of them.

    The base of the adversarial alignment components.  The networks are
    registered models (``"discriminator"``: SSAH's 512 -> 512 -> 256 -> 1),
    created in the order of ``modalities`` from torch's current random state,
    so a method that seeds it before building its parts gets the same weights
    every time.

    Parameters
    ----------
    modalities : tuple of str, default=("image", "text")
    feature_dim : int
        Width of the features and anchors.
    weight : float >= 0
        Weight of the alignment's terms in the networks' objectives (SSAH's delta).
    lr : float > 0
        Adam learning rate of the discriminators.
    weight_decay : float >= 0, default=0.0
    device : torch.device or str
    """

    def __init__(self, *, modalities=("image", "text"), feature_dim: int, weight: float, lr: float,
                 weight_decay: float = 0.0, device="cpu"):
        caller = type(self).__name__
        check_int(feature_dim, "feature_dim", caller=caller, min_value=1)
        self.weight = check_float(weight, "weight", caller=caller)
        self.lr = check_float(lr, "lr", caller=caller, strictly_positive=True)
        self.modalities = tuple(modalities)
        self.nets = nn.ModuleDict({m: create_model("discriminator", feature_dim=feature_dim)
                                   for m in self.modalities}).to(device)
        self.optimizer = adam(self.nets.parameters(), lr=self.lr,
                              weight_decay=check_float(weight_decay, "weight_decay", caller=caller))

    def modules(self) -> dict:
        """``{"discriminator_<modality>": nn.Module}``."""
        return {f"discriminator_{m}": net for m, net in self.nets.items()}

    def optimizers(self) -> dict:
        """``{"discriminator": (optimizer, base learning rate)}`` for the method's schedule."""
        return {"discriminator": (self.optimizer, self.lr)}

    def state_dict(self) -> dict:
        return {"nets": self.nets.state_dict(), "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.nets.load_state_dict(state["nets"])
        self.optimizer.load_state_dict(state["optimizer"])
