"""TrainResult and EpochReport: what a training run reports."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["TrainResult", "EpochReport"]


@dataclass(frozen=True)
class EpochReport:
    """What the progress callback receives after each epoch.

    Attributes
    ----------
    epoch : int
        0-based epoch just finished.
    epochs : int
        Planned number of epochs.
    losses : dict
        Mean of each loss term over the epoch (``"image/pair_hash"`` ...).
    val_map_i2t, val_map_t2i : float or None
        Validation MAP@all (validation items as queries, fit items as the
        database); None when not evaluated this epoch.
    improved : bool
        This epoch's model became the selected model.
    best_epoch : int or None
    best_score : float or None
        Mean of the two validation MAPs of the selected model.
    seconds : float
        Wall time of the epoch (training and validation).
    stopping : bool
        Early stopping ends the run after this epoch.
    """

    epoch: int
    epochs: int
    losses: dict
    val_map_i2t: float | None
    val_map_t2i: float | None
    improved: bool
    best_epoch: int | None
    best_score: float | None
    seconds: float
    stopping: bool = False


@dataclass(frozen=True)
class TrainResult:
    """The outcome of :func:`hashx.train.train`.

    Attributes
    ----------
    out_dir : pathlib.Path
    best_checkpoint : pathlib.Path
        ``out_dir/model-best.pt``, the model selected on the validation split.
    last_checkpoint : pathlib.Path
        ``out_dir/checkpoint-last.pt``, the full state after the last epoch (for resume).
    method : str
    run : RunConfig
    best_epoch : int or None
        0-based epoch of the selected model.
    val_map_i2t, val_map_t2i : float or None
        Its validation MAP@all (None without validation items).
    history : tuple of dict
        One entry per epoch trained: ``epoch``, ``losses``, ``val_map_i2t``,
        ``val_map_t2i``, ``seconds``.
    stopped_early : bool
        Early stopping ended the run before ``run.epochs``.
    """

    out_dir: Path
    best_checkpoint: Path
    last_checkpoint: Path
    method: str
    run: object
    best_epoch: int | None
    val_map_i2t: float | None
    val_map_t2i: float | None
    history: tuple
    stopped_early: bool

    @property
    def best_score(self) -> float | None:
        """Mean of the selected model's two validation MAPs."""
        if self.val_map_i2t is None or self.val_map_t2i is None:
            return None
        return 0.5 * (self.val_map_i2t + self.val_map_t2i)

    def load_encoder(self, *, device="cpu"):
        """The selected model's :class:`~hashx.train.Encoder` (read from :attr:`best_checkpoint`)."""
        from .encoder import load_encoder

        return load_encoder(self.best_checkpoint, device=device)
