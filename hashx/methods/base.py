"""Method: what a training procedure provides to the trainer."""

from __future__ import annotations

from abc import ABC, abstractmethod

from torch import nn

__all__ = ["Method"]


class Method(ABC):
    """A cross-modal hashing training procedure (SSAH, baselines).

    The generic trainer (:func:`hashx.train.train`) owns the epoch loop,
    validation, model selection, checkpoints and logging; a method owns its
    networks, losses, optimisers and whatever per-item state it keeps.

    Subclasses are registered with :func:`hashx.methods.register_method` and
    built as ``cls(config, dims, device=device)``; they must draw every
    random number from ``config.seed`` (and the epoch), so that the same seed
    gives the same codes and a resumed run continues exactly.
    """

    name: str = ""

    @abstractmethod
    def setup(self, data) -> None:
        """Prepare a fresh run on the fit items (:class:`hashx.train.FitData`):
        fit input normalisers, fill per-item buffers.  Not called on resume."""

    @abstractmethod
    def train_epoch(self, epoch: int, data) -> dict:
        """Train one epoch; return the mean of each logged loss term (str -> float)."""

    @abstractmethod
    def encoder_nets(self) -> dict:
        """The networks that produce codes: ``{"image": nn.Module, "text": nn.Module}``.
        Each returns an object whose ``code`` attribute is (b, nbits) in (-1, 1)."""

    @abstractmethod
    def encoder_spec(self) -> dict:
        """How to rebuild :meth:`encoder_nets`: ``{"image": {"name": registry name,
        "kwargs": constructor keyword arguments (plain values)}, "text": {...}}``."""

    @abstractmethod
    def state_dict(self) -> dict:
        """Everything needed to continue training exactly (tensors and plain values only)."""

    @abstractmethod
    def load_state_dict(self, state: dict) -> None:
        """Restore :meth:`state_dict` output."""

    def train_mode(self, mode: bool = True) -> None:
        """Put every network of the method in train or eval mode."""
        for net in self.modules().values():
            net.train(mode)

    def modules(self) -> dict[str, nn.Module]:
        """All networks of the method by name (default: the encoder networks)."""
        return dict(self.encoder_nets())
