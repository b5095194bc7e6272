"""Discriminators: one per aligned modality, their Adam optimiser and optional instance noise."""

from __future__ import annotations

import torch
from torch import nn

from .._validation import check_float, check_int
from ..exceptions import HashxValueError
from ..models import create_model
from ..train.optim import adam

__all__ = ["Discriminators"]


class Discriminators:
    """One discriminator per modality (features vs anchors) and one Adam optimiser for all of them.

    The base of the adversarial alignment components.  The networks are
    registered models (:attr:`model`; SSAH's ``"discriminator"``, 512 -> 512
    -> 256 -> 1), created in the order of ``modalities`` from torch's current
    random state, so a method that seeds it before building its parts gets
    the same weights every time.

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
    instance_noise : float >= 0, default=0.0
        Instance noise (Sonderby et al. 2017; Arjovsky and Bottou 2017):
        Gaussian noise added to everything a discriminator sees, in its own
        steps and in the networks' steps, with standard deviation
        ``instance_noise * (1 - progress) * rms`` -- relative to the root mean
        square ``rms`` of the batch it is added to, and annealed to 0 over
        training -- so that features and anchors with disjoint supports still
        overlap and the discriminator's gradient stays informative.
    n_labels : int or None, default=None
        Number of labels (label-conditioned discriminators need it).
    seed : int, default=0
        Seeds the noise; draws are numbered, so a resumed run draws the same.
    """

    #: Registered model of each discriminator.
    model = "discriminator"
    #: Data-parallel training wraps the discriminators in DistributedDataParallel; a component that
    #: sets False averages its gradients with :meth:`hashx.train.Distribution.average_gradients`.
    data_parallel_wrapper = True
    #: Adam's eps for the discriminators (PyTorch's default).
    adam_eps = 1e-8

    def __init__(self, *, modalities=("image", "text"), feature_dim: int, weight: float, lr: float,
                 weight_decay: float = 0.0, device="cpu", instance_noise: float = 0.0, n_labels: int | None = None,
                 seed: int = 0):
        caller = type(self).__name__
        check_int(feature_dim, "feature_dim", caller=caller, min_value=1)
        self.weight = check_float(weight, "weight", caller=caller)
        self.lr = check_float(lr, "lr", caller=caller, strictly_positive=True)
        self.instance_noise = check_float(instance_noise, "instance_noise", caller=caller)
        self.seed = check_int(seed, "seed", caller=caller, min_value=0)
        self.n_labels = check_int(n_labels, "n_labels", caller=caller, min_value=1, allow_none=True)
        self.modalities = tuple(modalities)
        self.device = torch.device(device)
        self.nets = nn.ModuleDict({m: create_model(self.model, **self.model_kwargs(feature_dim))
                                   for m in self.modalities}).to(device)
        self.optimizer = adam(self.nets.parameters(), lr=self.lr, eps=self.adam_eps,
                              weight_decay=check_float(weight_decay, "weight_decay", caller=caller))
        self.draws = 0
        self.forward = dict(self.nets.items())
        self.dist = None

    def model_kwargs(self, feature_dim: int) -> dict:
        """Constructor arguments of each discriminator."""
        return {"feature_dim": feature_dim}

    def random(self, shape, *, like: torch.Tensor, uniform: bool = False, part=None) -> torch.Tensor:
        """Numbered, seeded random numbers (normal, or uniform in [0, 1)) of ``shape``, on ``like``'s device.

        ``part = (start, stop, total)``: ``shape`` holds rows ``start:stop`` of
        a ``total``-row batch (a data-parallel rank's part); the numbers are
        drawn for the whole batch and those rows returned, so that every item
        gets the number one process would give it.
        """
        g = torch.Generator().manual_seed(int(self.seed) * 1_000_003 + self.draws)
        self.draws += 1
        full = tuple(shape) if part is None else (int(part[2]), *tuple(shape)[1:])
        x = torch.rand(full, generator=g) if uniform else torch.randn(full, generator=g)
        if part is not None:
            x = x[int(part[0]):int(part[1])]
        return x.to(device=like.device, dtype=like.dtype)

    def noisy(self, x: torch.Tensor, progress: float) -> torch.Tensor:
        """``x`` plus the annealed instance noise (``x`` itself without it)."""
        if self.instance_noise == 0.0:
            return x
        scale = self.instance_noise * (1.0 - min(max(float(progress), 0.0), 1.0))
        if scale == 0.0:
            return x
        rms = x.detach().pow(2).mean().sqrt().clamp(min=1e-12)
        return x + scale * rms * self.random(x.shape, like=x)

    def score(self, modality: str, x: torch.Tensor, labels, *, progress: float) -> torch.Tensor:
        """The modality's discriminator on (noisy) ``x``: logits of shape (b,)."""
        return self.forward[modality](self.noisy(x, progress))

    def distribute(self, dist) -> None:
        """Wrap the discriminators for data-parallel training (:mod:`hashx.train.distributed`).

        Raises
        ------
        HashxValueError
            With instance noise: its scale is the root mean square of the
            whole batch, which a rank's part does not know, so a
            data-parallel run would not train the one-process objective.
        """
        if self.instance_noise and dist.active:
            raise HashxValueError(f"The 'instance_noise' parameter of {type(self).__name__} must be 0 for "
                                  f"data-parallel training (the noise is scaled by the whole batch's root mean "
                                  f"square, which one rank's part does not know); got {self.instance_noise}. "
                                  f"Train in one process (without --nproc or torchrun) or set instance_noise=0.")
        self.dist = dist
        if self.data_parallel_wrapper:
            self.forward = {m: dist.wrap(net) for m, net in self.nets.items()}

    def modules(self) -> dict:
        """``{"discriminator_<modality>": nn.Module}``."""
        return {f"discriminator_{m}": net for m, net in self.nets.items()}

    def optimizers(self) -> dict:
        """``{"discriminator": (optimizer, base learning rate)}`` for the method's schedule."""
        return {"discriminator": (self.optimizer, self.lr)}

    def state_dict(self) -> dict:
        return {"nets": self.nets.state_dict(), "optimizer": self.optimizer.state_dict(), "draws": self.draws}

    def load_state_dict(self, state: dict) -> None:
        self.nets.load_state_dict(state["nets"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.draws = int(state.get("draws", 0))
