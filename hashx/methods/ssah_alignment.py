"""How SSAH aligns image/text features with the label features: interchangeable components.

Each alignment contributes (i) zero or more training stages run between the
label-network stage and the image-network stage, and (ii) zero or more loss
terms added to the image and text networks' objectives.  The ablation
without an adversarial module is :class:`NoAlignment`, which contributes
neither; the SSAH method itself has no adversarial switches.
"""

from __future__ import annotations

import torch
from torch import nn

from ..losses.adversarial import discriminator_loss, generator_loss, grad_reverse, grl_lambda
from ..models import create_model
from ..train.optim import adam

__all__ = ["GANAlignment", "DetachedGANAlignment", "GRLAlignment", "NoAlignment", "ALIGNMENTS"]


class _DiscriminatorPair:
    """The image-vs-label and text-vs-label discriminators and their Adam optimiser."""

    def __init__(self, config, device):
        self.nets = nn.ModuleDict({
            "image": create_model("discriminator", feature_dim=config.feature_dim),
            "text": create_model("discriminator", feature_dim=config.feature_dim),
        }).to(device)
        self.optimizer = adam(self.nets.parameters(), lr=config.lr_discriminator, weight_decay=config.weight_decay)
        self.weight = config.delta

    def modules(self) -> dict:
        return {"discriminator_image": self.nets["image"], "discriminator_text": self.nets["text"]}

    def optimizers(self) -> dict:
        return {"discriminator": (self.optimizer, "lr_discriminator")}

    def state_dict(self) -> dict:
        return {"nets": self.nets.state_dict(), "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.nets.load_state_dict(state["nets"])
        self.optimizer.load_state_dict(state["optimizer"])


class GANAlignment(_DiscriminatorPair):
    """(a) SSAH's alternating adversarial updates, with the generator gradient reaching the networks.

    Stage "discriminators" (after the label network, before the image
    network, ``discriminator_passes`` passes): each discriminator learns to
    tell the label network's features (1) from its modality's features (0),
    SSAH's ``Loss_D`` (the mean of the four cross-entropies).  The features are
    the per-item features the networks produced on their latest pass (kept by
    the method), which are what SSAH's feature buffers hold.

    Image/text stages: the term ``delta * BCE(D(f), 1)`` on the live features
    ``f``; its gradient flows through the (frozen for that step) discriminator
    into the image/text network, as the paper intends.
    """

    name = "gan"

    def extra_stages(self):
        return [("discriminators", self.train_discriminators)]

    def _features(self, feature: torch.Tensor) -> torch.Tensor:
        return feature

    def generator_terms(self, modality: str, feature: torch.Tensor, label_feature: torch.Tensor,
                        progress: float) -> dict:
        logits = self.nets[modality](self._features(feature))
        return {"adversarial": self.weight * generator_loss(logits)}

    def generator_optimizers(self) -> list:
        return []

    def train_discriminators(self, method, epoch: int) -> dict:
        total, count = 0.0, 0
        buffers = method.buffers
        for rows in method.batches(epoch, "discriminators", method.config.discriminator_passes):
            r = torch.as_tensor(rows, device=method.device)
            label_feature = buffers["feature_label"][r]
            loss = 0.5 * (
                discriminator_loss(self.nets["image"](buffers["feature_image"][r]), self.nets["image"](label_feature))
                + discriminator_loss(self.nets["text"](buffers["feature_text"][r]), self.nets["text"](label_feature))
            )
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            total += float(loss.detach())
            count += 1
        return {"discriminator": total / max(count, 1)}


class DetachedGANAlignment(GANAlignment):
    """SSAH official-code switch: the adversarial term sees detached features.

    SSAH's TensorFlow code feeds its discriminators numpy copies of the
    features, so ``delta * Loss_adver`` has no gradient with respect to the
    image and text networks: the discriminators are trained, but never shape
    the codes.  (That code's image/text optimiser also steps the discriminator
    weights on the generator loss; since no gradient reaches the image/text
    networks either way, the codes are unaffected, and hashx does not repeat it.)
    """

    name = "gan_detached"

    def _features(self, feature: torch.Tensor) -> torch.Tensor:
        return feature.detach()


class GRLAlignment(_DiscriminatorPair):
    """(b) A gradient-reversal layer between the features and the discriminators.

    In the image/text stages each discriminator is trained jointly with the
    network: the term ``delta * (BCE(D(R(f)), 0) + BCE(D(f_label), 1)) / 2``
    where ``R`` is the identity forward and multiplies the gradient by
    ``-lambda`` backward, ``lambda = 2 / (1 + exp(-10 p)) - 1`` and ``p`` the
    fraction of training done.  The discriminator descends its loss while
    the network ascends it; no separate discriminator stage.
    """

    name = "grl"

    def extra_stages(self):
        return []

    def generator_terms(self, modality: str, feature: torch.Tensor, label_feature: torch.Tensor,
                        progress: float) -> dict:
        d = self.nets[modality]
        reversed_feature = grad_reverse(feature, grl_lambda(progress))
        return {"adversarial": self.weight * discriminator_loss(d(reversed_feature), d(label_feature))}

    def generator_optimizers(self) -> list:
        return [self.optimizer]


class NoAlignment:
    """The ablation without an adversarial module: no stage, no loss term, no discriminator."""

    name = "none"

    def __init__(self, config, device):
        pass

    def extra_stages(self):
        return []

    def generator_terms(self, modality, feature, label_feature, progress) -> dict:
        return {}

    def generator_optimizers(self) -> list:
        return []

    def modules(self) -> dict:
        return {}

    def optimizers(self) -> dict:
        return {}

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


ALIGNMENTS = {
    "gan": GANAlignment,
    "grl": GRLAlignment,
    "gan_detached": DetachedGANAlignment,
    "none": NoAlignment,
}
