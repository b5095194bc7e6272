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
from ..models.modality_nets import fit_input_norms
from ..train import Method, lr_factor, seeded_batches, set_learning_rates
from ..train.optim import adam

__all__ = ["PairedBatch", "TowerPair", "CommonSpaceMethod"]


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


class TowerPair(nn.Module):
    """The image and text towers as one module, so that data-parallel training wraps them once.

    DSCMR's towers share modules; two separate DistributedDataParallel
    wrappers would each reduce the shared weights' gradients.  One wrapper
    around both towers lists every parameter once (:meth:`parameters`
    deduplicates) and runs one forward per step, as DDP expects.
    """

    def __init__(self, image: nn.Module, text: nn.Module):
        super().__init__()
        self.image = image
        self.text = text

    def forward(self, image: torch.Tensor, text: torch.Tensor) -> tuple[HashOutput, HashOutput]:
        """``(image tower(image), text tower(text))``."""
        return self.image(image), self.text(text)


class CommonSpaceMethod(Method):
    """Base of the methods whose image and text towers meet in one common space.

    An image and a text :class:`~hashx.models.CommonSpaceTower` are built
    from the run seed (widths and normalisation from the settings, ``"auto"``
    resolved on the fit items), some of their parts shared
    (:attr:`shared_parts`); each epoch is one pass over the fit items in a
    seeded order (:func:`hashx.train.seeded_batches`, stage 0), both towers
    trained at every step on the paired batch by one Adam optimiser (plus the
    optimisers of the method's components, such as a modality classifier).
    A subclass sets the tower architecture and writes the loss terms, in
    three kinds that data-parallel training weighs differently:

    * :meth:`batch_terms`: functions of the whole batch (pairs, triplets,
      or per-item means), computed on the global batch's outputs;
    * :meth:`item_terms`: per-item means that run a component's network on
      the items (a modality classifier), computed on this rank's items;
    * :meth:`parameter_terms`: functions of the weights alone (``L_reg``).

    In one process the objective of a step is the sum of all three on the
    batch (:meth:`loss_terms`).

    The codes: each tower has a tanh code layer on its common representation
    (shared by the two towers in both DSCMR and ACMR), and
    :meth:`quantization` pulls them towards their signs.

    Data-parallel training (:mod:`hashx.train.distributed`)
    --------------------------------------------------------
    DSCMR's discrimination loss and ACMR's triplets couple the items of a
    batch, so the global batch's loss cannot be cut into per-rank means.
    Each rank runs its part of the global batch through the towers (one
    DistributedDataParallel module, :class:`TowerPair`), gathers every
    rank's outputs (:meth:`global_outputs`: the other ranks' rows as
    constants, its own rows live) and computes the batch terms ``T`` on the
    whole global batch.  Rank ``r``'s gradient of ``T`` is then the part
    that flows through its own items; DDP averages over the ``W`` ranks, so
    the objective of rank ``r`` is::

        W * T  +  w_r * I_r  +  P

    (``I_r`` the item terms on its ``b_r`` items, ``w_r = b_r W / B`` the
    shard weight; ``P`` the parameter terms, whose gradient is the same on
    every rank), and the averaged gradient is the one-process gradient of
    ``T + I + P`` on the global batch, up to floating-point summation order.

    The method keeps no per-item state.
    """

    #: Tower parts the image and text towers share (:data:`hashx.models.common_tower.SHAREABLE_PARTS`).
    shared_parts: ClassVar[tuple] = ()
    #: Private layers per tower, their activation and the common layer's activation.
    hidden_layers: ClassVar[int] = 1
    activation: ClassVar[str] = "relu"
    common_activation: ClassVar[str] = "none"
    supports_distribution = True

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
        self.towers = TowerPair(self.image_net, self.text_net).to(self.device)
        self._forward = self.towers
        # parameters() lists the shared weights once
        self.optimizers = {"networks": (adam(self.towers.parameters(), lr=s.lr, weight_decay=s.weight_decay), s.lr)}
        for component in self.components.values():
            self.optimizers.update(component.optimizers())
        self.quantizer = SelfSignQuantization()

    # -- hooks for subclasses ------------------------------------------------
    def build_components(self) -> dict:
        """Extra trained components by name (e.g. ``{"alignment": ...}``), built from the seeded stream.

        Each offers ``modules()``, ``optimizers()``, ``state_dict()``,
        ``load_state_dict()`` and ``distribute(dist)``; their optimisers step
        at every training step.
        """
        return {}

    @abstractmethod
    def batch_terms(self, image: HashOutput, text: HashOutput, batch: PairedBatch) -> dict:
        """The weighted loss terms computed on the whole batch (name -> scalar tensor).

        Parameters
        ----------
        image, text : HashOutput
            The towers' outputs on the batch (common representations, codes, label logits).
        batch : PairedBatch
        """

    def item_terms(self, image: HashOutput, text: HashOutput, batch: PairedBatch, *, progress: float,
                   samples_seen: int) -> dict:
        """The weighted per-item mean terms that run a component's network on the items (none by default).

        Parameters
        ----------
        image, text : HashOutput
            The towers' outputs on this rank's items (the whole batch in one process).
        batch : PairedBatch
            The same items.
        progress : float in (0, 1]
            Fraction of the planned training done after this step.
        samples_seen : int
            Training items seen so far, this batch's included.
        """
        return {}

    def parameter_terms(self) -> dict:
        """The weighted terms that are functions of the weights alone (none by default)."""
        return {}

    def loss_terms(self, image: HashOutput, text: HashOutput, batch: PairedBatch, *, progress: float,
                   samples_seen: int) -> dict:
        """Every weighted loss term of one batch in one process; the objective is their sum."""
        return {**self.batch_terms(image, text, batch),
                **self.item_terms(image, text, batch, progress=progress, samples_seen=samples_seen),
                **self.parameter_terms()}

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
        fit_input_norms(self.encoder_nets(), data)

    def distribute(self, dist) -> None:
        """Train data-parallel: both towers in one DDP module, components wrapped, batch terms on gathered outputs."""
        super().distribute(dist)
        self._forward = dist.wrap(self.towers)
        for component in self.components.values():
            component.distribute(dist)

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

    # -- training -------------------------------------------------------------
    def batches(self, epoch: int, n: int):
        """Seeded batch order of one epoch: arrays of fit positions, one pass."""
        return seeded_batches(n, self.run.batch_size, seed=self.run.seed, epoch=epoch, stage=0)

    def global_outputs(self, image: HashOutput, text: HashOutput, n: int) -> tuple[HashOutput, HashOutput]:
        """The towers' outputs on the whole ``n``-item global batch, this rank's rows live.

        Parameters
        ----------
        image, text : HashOutput
            This rank's outputs on its part of the batch (:meth:`Distribution.shard`).
        n : int
            Size of the global batch.

        Returns
        -------
        image, text : HashOutput
            Rows in global batch order; the other ranks' rows are constants
            (one all-gather, :meth:`Distribution.live_batch`), this rank's rows are its live outputs, so the
            gradient of a function of them reaches this rank's networks
            through its own items only.  In one process: the inputs.
        """
        if not self.dist.active:
            return image, text
        parts = [*image, *text]
        widths = [t.shape[1] for t in parts]
        full = self.dist.live_batch(torch.cat(parts, dim=1), n)
        fields = torch.split(full, widths, dim=1)
        return HashOutput(*fields[:3]), HashOutput(*fields[3:])

    def train_epoch(self, epoch: int, data) -> dict:
        factor = lr_factor(self.run, epoch)
        set_learning_rates(self.optimizers, factor)
        self.train_mode(True)
        optimizers = [opt for opt, _ in self.optimizers.values()]
        n_steps = math.ceil(data.n / self.run.batch_size)
        world = self.dist.world_size
        seen = epoch * data.n
        sums: dict[str, float] = {}
        step = 0
        for rows in self.batches(epoch, data.n):
            local, weight = self.dist.shard(rows)
            seen += len(rows)
            progress = (epoch + (step + 1) / n_steps) / self.run.epochs
            local_batch = PairedBatch(local, data.image_batch(local), data.text_batch(local), data.label_batch(local))
            image, text = self._forward(local_batch.image, local_batch.text)
            batch = local_batch if not self.dist.active else PairedBatch(
                rows, data.image_batch(rows), data.text_batch(rows), data.label_batch(rows))
            whole = self.batch_terms(*self.global_outputs(image, text, len(rows)), batch)
            items = self.item_terms(image, text, local_batch, progress=progress, samples_seen=seen)
            params = self.parameter_terms()
            loss = world * sum(whole.values()) + weight * sum(items.values(), image.code.new_zeros(()))
            loss = loss + sum(params.values(), image.code.new_zeros(()))
            for opt in optimizers:
                opt.zero_grad(set_to_none=True)
            loss.backward()
            for opt in optimizers:
                opt.step()
            # logged: each rank adds its share; the sum over ranks / W is the global batch's value
            for scale, terms in ((1.0, whole), (weight, items), (1.0, params)):
                for name, value in terms.items():
                    sums[name] = sums.get(name, 0.0) + float(value.detach()) * scale
            step += 1
        sums = {k: v / world for k, v in self.dist.sum_over_ranks(sums).items()}
        stats = {name: total / max(step, 1) for name, total in sums.items()}
        stats["lr_factor"] = factor
        return stats
