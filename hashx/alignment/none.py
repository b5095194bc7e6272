"""NoAlignment: the ablation without an adversarial module."""

from __future__ import annotations

from .registry import register_alignment

__all__ = ["NoAlignment"]


@register_alignment("none")
class NoAlignment:
    """No stage, no loss term, no discriminator: the ablation is the module left out."""

    discriminator_stage = False

    def __init__(self):
        pass

    def discriminator_step(self, batches: dict, *, progress: float = 0.0, weight: float = 1.0, part=None) -> float:
        return 0.0

    def generator_terms(self, modality, batch, *, progress: float, samples_seen: int) -> dict:
        return {}

    def generator_optimizers(self) -> list:
        return []

    def distribute(self, dist) -> None:
        pass

    def modules(self) -> dict:
        return {}

    def optimizers(self) -> dict:
        return {}

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass
