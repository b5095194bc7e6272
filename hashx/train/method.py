"""The method contract: what the generic trainer needs from a training method, and its settings' base.

The trainer (:func:`hashx.train.train`) owns the epoch loop, validation,
model selection, checkpoints, resume and logging.  A method owns its
networks, losses, optimisers and whatever per-item state it keeps.  Methods
live in :mod:`hashx.methods` and implement this contract; the trainer never
imports them: it receives a method's settings object, which builds the method.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from ..exceptions import HashxTypeError
from .distributed import SINGLE_PROCESS, Distribution
from .settings import Settings

__all__ = ["Method", "MethodSettings"]


@dataclass(frozen=True, kw_only=True)
class MethodSettings(Settings):
    """Base of a method's settings: a frozen dataclass that each method declares.

    A subclass lists the method's hyperparameters (keyword-only, validated in
    ``__post_init__`` against the method's own component registries).  It is
    tied to its method when the method is registered
    (:func:`hashx.methods.register_method`), and it is the factory the trainer
    receives: :meth:`build` makes the method for one run.
    """

    #: Registered name of the method these settings belong to (set at registration).
    method_name: ClassVar[str] = ""
    #: The :class:`Method` subclass these settings build (set at registration).
    method_class: ClassVar[type | None] = None

    def build(self, *, run, data, device) -> "Method":
        """The method, with freshly initialised networks, for one run.

        Parameters
        ----------
        run : RunConfig
        data : FitData
            The training items (data-dependent choices, such as input
            normalisation or network width, are made from them).
        device : torch.device
        """
        cls = type(self).method_class
        if cls is None:
            raise HashxTypeError(f"{type(self).__name__} is not tied to a method; register the method with "
                                 f"hashx.methods.register_method(name, settings=...).")
        return cls(self, run=run, data=data, device=device)


class Method(ABC):
    """A cross-modal hashing training procedure (SSAH and the baselines).

    Built as ``cls(settings, run=run, data=data, device=device)`` (by
    :meth:`MethodSettings.build`).  A method must draw every random number
    from ``run.seed`` (and the epoch), so that the same seed gives the same
    codes and a resumed run continues exactly.

    Class attributes
    ----------------
    name : str
        Registered name (set by :func:`hashx.methods.register_method`).
    settings_class : type of MethodSettings
        The method's settings dataclass.
    """

    name: ClassVar[str] = ""
    settings_class: ClassVar[type[MethodSettings]] = MethodSettings
    #: Whether :meth:`distribute` makes the method train data-parallel (see :mod:`hashx.train.distributed`).
    supports_distribution: ClassVar[bool] = False

    def __init__(self, settings: MethodSettings, *, run, data, device):
        if not isinstance(settings, self.settings_class):
            raise HashxTypeError(f"The 'settings' parameter of {type(self).__name__} must be a "
                                 f"{self.settings_class.__name__}. Got {type(settings).__name__} instead.")
        self.settings = settings
        self.run = run
        self.dims = data.dims
        self.device = torch.device(device)
        self.dist: Distribution = SINGLE_PROCESS

    @abstractmethod
    def setup(self, data) -> None:
        """Prepare a fresh run on the fit items (:class:`hashx.train.FitData`):
        fit input normalisers, fill per-item buffers.  Not called on resume."""

    @abstractmethod
    def train_epoch(self, epoch: int, data) -> dict:
        """Train one epoch (0-based); return the mean of each logged loss term (str -> float)."""

    @abstractmethod
    def encoder_nets(self) -> dict:
        """The networks that produce codes: ``{"image": nn.Module, "text": nn.Module}``.
        Each returns an object whose ``code`` attribute is (b, nbits) in (-1, 1)."""

    @abstractmethod
    def encoder_spec(self) -> dict:
        """How to rebuild :meth:`encoder_nets`: ``{"image": {"name": model registry name,
        "kwargs": constructor keyword arguments (plain values)}, "text": {...}}``."""

    @abstractmethod
    def state_dict(self) -> dict:
        """Everything needed to continue training exactly (tensors and plain values only)."""

    @abstractmethod
    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict` output."""

    def distribute(self, dist: Distribution) -> None:
        """Take part in a data-parallel run as one rank of ``dist`` (called once, before training).

        A method that supports it (``supports_distribution = True``) wraps
        the networks it trains with ``dist.wrap`` and, in every step, trains
        on ``dist.shard(global_batch)`` with its loss multiplied by the shard's
        weight, gathers per-item outputs with ``dist.gather_batch`` so that
        per-item state stays identical on every rank, and sums its logged
        losses with ``dist.sum_over_ranks`` (see :mod:`hashx.train.distributed`).
        The default only records ``dist``.
        """
        self.dist = dist

    def converged(self) -> bool:
        """True once further epochs cannot change the model; the trainer then stops.

        Iterative deep methods never converge in this sense (the default,
        False: the run's epochs and early stopping decide).  A closed-form
        method converges after its one fitting epoch; an alternating one (e.g.
        CMFH) when its objective stops decreasing.
        """
        return False

    def learned_codes(self):
        """Binary codes the method learned for its fit items, if it learns any.

        Published methods may index the training items by these codes instead
        of their networks' codes (DCMH's and SCRATCH's B, SSAH's label-network
        codes); ``hashx bench --db-codes learned`` uses them.

        Returns
        -------
        Tensor of shape (n_fit, nbits) holding +1/-1, in fit order, or None
        (the default: the method learns no per-item codes).
        """
        return None

    def modules(self) -> dict[str, nn.Module]:
        """All networks of the method by name (default: the encoder networks)."""
        return dict(self.encoder_nets())

    def train_mode(self, mode: bool = True) -> None:
        """Put every network of the method in train or eval mode."""
        for net in self.modules().values():
            net.train(mode)
