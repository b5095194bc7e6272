"""CommonSpaceMethod: two towers trained jointly on paired batches into one common space (DSCMR, ACMR)."""

from __future__ import annotations

import math
from abc import abstractmethod
from typing import ClassVar, NamedTuple

import numpy as np
import torch
from torch import nn

from ..losses import SelfSignQuantization
from ..models import HashOutput, create_model
from ..models.common_tower import share_parts
from ..models.common_tower_spec import common_space_specs
from ..train import Method, lr_factor, seeded_batches, set_learning_rates
from ..train.optim import adam

__all__ = ["PairedBatch", "CommonSpaceMethod"]


class PairedBatch(NamedTuple):
    """One training batch of ``b`` paired items, as a common-space method's loss sees it.

    Attributes
    ----------
    rows : ndarray of shape (b,), dtype=int64
        Positions among the fit items.
    image, text : Tensor of shape (b, d_image) and (b, d_text), float32
        The items' input vectors (before the towers' normalisation).
    labels : Tensor of shape (b, c), float32
    """

    rows: np.ndarray
    image: torch.Tensor
    text: torch.Tensor
    labels: torch.Tensor


class CommonSpaceMethod(Method):
    """Base of the methods whose image and text towers meet in one common space.

    An image and a text :class:`~hashx.models.CommonSpaceTower` are built
    from the run seed (widths and normalisation from the settings, ``"auto"``
    resolved on the fit items), some of their parts shared
    (:attr:`shared_parts`); each epoch is one pass over the fit items in a
    seeded order (:func:`hashx.train.seeded_batches`, stage 0), both towers
    trained at every step on the paired batch by one Adam optimiser (plus the
    optimisers of the method's components, such as a modality classifier).
    A subclass sets the tower architecture and writes :meth:`loss_terms`.

    The codes: each tower has a tanh code layer on its common representation
    (shared by the two towers in both DSCMR and ACMR), and
    :meth:`quantization` pulls them towards their signs.

    The method keeps no per-item state.
    """

    #: Tower parts the image and text towers share (:data:`hashx.models.common_tower.SHAREABLE_PARTS`).
    shared_parts: ClassVar[tuple] = ()
    #: Private layers per tower, their activation and the common layer's activation.
    hidden_layers: ClassVar[int] = 1
    activation: ClassVar[str] = "relu"
    common_activation: ClassVar[str] = "none"

    def __init__(self, settings, *, run, data, device):
        super().__init__(settings, run=run, data=data, device=device)
        s = settings
        specs = common_space_specs(dims=self.dims, nbits=run.nbits, n_fit=data.n, image_values=data.image,
                                   text_values=data.text, hidden_dim=s.hidden_dim, feature_dim=s.feature_dim,
                                   hidden_layers=self.hidden_layers, activation=self.activation,
                                   common_activation=self.common_activation, image_norm=s.image_norm,
                                   text_norm=s.text_norm, caller=type(s).__name__)
        self._spec = {m: {"name": spec.name, "kwargs": spec.kwargs} for m, spec in specs.items()}
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(run.seed)
            self.image_net = create_model(specs["image"].name, **specs["image"].kwargs)
            self.text_net = create_model(specs["text"].name, **specs["text"].kwargs)
            share_parts(self.image_net, self.text_net, self.shared_parts)
            self.components = self.build_components()
        self.image_net.to(self.device)
        self.text_net.to(self.device)
        towers = nn.ModuleList([self.image_net, self.text_net])  # parameters() lists shared weights once
        self.optimizers = {"networks": (adam(towers.parameters(), lr=s.lr, weight_decay=s.weight_decay), s.lr)}
        for component in self.components.values():
            self.optimizers.update(component.optimizers())
        self.quantizer = SelfSignQuantization()

    # -- hooks for subclasses ------------------------------------------------
    def build_components(self) -> dict:
        """Extra trained components by name (e.g. ``{"alignment": ...}``), built from the seeded stream.

        Each offers ``modules()``, ``optimizers()``, ``state_dict()`` and
        ``load_state_dict()``; their optimisers step at every training step.
        """
        return {}

    @abstractmethod
    def loss_terms(self, image: HashOutput, text: HashOutput, batch: PairedBatch, *, progress: float,
                   samples_seen: int) -> dict:
        """The weighted loss terms of one batch (name -> scalar tensor); the objective is their sum.

        Parameters
        ----------
        image, text : HashOutput
            The towers' outputs on the batch (common representations, codes, label logits).
        batch : PairedBatch
        progress : float in (0, 1]
            Fraction of the planned training done after this step.
        samples_seen : int
            Training items seen so far, this batch's included.
        """

    def quantization(self, image: HashOutput, text: HashOutput) -> torch.Tensor:
        """``(Q(h_image) + Q(h_text)) / 2`` with ``Q(h) = mean (sign(h) - h)^2`` (sign taken as a constant)."""
        return 0.5 * (self.quantizer(image.code) + self.quantizer(text.code))

    # -- Method interface -----------------------------------------------------
    def encoder_nets(self) -> dict:
        return {"image": self.image_net, "text": self.text_net}

    def encoder_spec(self) -> dict:
        return {k: {"name": v["name"], "kwargs": dict(v["kwargs"])} for k, v in self._spec.items()}

    def modules(self) -> dict:
        nets = {"image": self.image_net, "text": self.text_net}
        for component in self.components.values():
            nets.update(component.modules())
        return nets

    @torch.no_grad()
    def setup(self, data) -> None:
        """Fit the towers' input normalisers on the fit items."""
        self.image_net.norm.fit(data.image.cpu().numpy())
        self.text_net.norm.fit(data.text.cpu().numpy())

    def state_dict(self) -> dict:
        """Networks (each with its copy of the shared weights), optimisers and components (live tensors)."""
        return {
            "nets": {"image": self.image_net.state_dict(), "text": self.text_net.state_dict()},
            "optimizers": {name: opt.state_dict() for name, (opt, _) in self.optimizers.items()},
            "components": {name: c.state_dict() for name, c in self.components.items()},
        }

    def load_state_dict(self, state: dict) -> None:
        self.image_net.load_state_dict(state["nets"]["image"])
        self.text_net.load_state_dict(state["nets"]["text"])
        for name, (opt, _) in self.optimizers.items():
            opt.load_state_dict(state["optimizers"][name])
        for name, component in self.components.items():
            component.load_state_dict(state["components"][name])

    def batches(self, epoch: int, n: int):
        """Seeded batch order of one epoch: arrays of fit positions, one pass."""
        return seeded_batches(n, self.run.batch_size, seed=self.run.seed, epoch=epoch, stage=0)

    def train_epoch(self, epoch: int, data) -> dict:
        factor = lr_factor(self.run, epoch)
        set_learning_rates(self.optimizers, factor)
        self.train_mode(True)
        optimizers = [opt for opt, _ in self.optimizers.values()]
        n_steps = math.ceil(data.n / self.run.batch_size)
        seen = epoch * data.n
        sums: dict[str, float] = {}
        step = 0
        for rows in self.batches(epoch, data.n):
            batch = PairedBatch(rows, data.image_batch(rows), data.text_batch(rows), data.label_batch(rows))
            seen += len(rows)
            progress = (epoch + (step + 1) / n_steps) / self.run.epochs
            terms = self.loss_terms(self.image_net(batch.image), self.text_net(batch.text), batch,
                                    progress=progress, samples_seen=seen)
            loss = sum(terms.values())
            for opt in optimizers:
                opt.zero_grad(set_to_none=True)
            loss.backward()
            for opt in optimizers:
                opt.step()
            for name, value in terms.items():
                sums[name] = sums.get(name, 0.0) + float(value.detach())
            step += 1
        stats = {name: total / max(step, 1) for name, total in sums.items()}
        stats["lr_factor"] = factor
        return stats
