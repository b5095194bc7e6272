"""Input normalisation fitted on the training items and stored with the network."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .._validation import check_choice
from ..exceptions import HashxValueError

__all__ = ["InputNorm", "INPUT_NORMS"]

INPUT_NORMS = ("standardize", "rms", "none")


class InputNorm(nn.Module):
    """``y = (x - shift) * scale``, with ``shift`` and ``scale`` fitted on training data.

    The statistics are buffers, so they are saved in every checkpoint with the
    weights and an encoder rebuilt from a checkpoint normalises new data exactly
    as during training.

    Parameters
    ----------
    dim : int
        Input width.
    kind : {"standardize", "rms", "none"}
        * ``"standardize"``: per-dimension mean and standard deviation of the
          fitted rows; each standard deviation is floored at 1% of the median
          non-zero one, so a (nearly) constant column cannot blow up new data.
          The default for image features (CNN fc7 activations, GIST, ...).
        * ``"rms"``: no shift and one global scale ``1 / sqrt(mean(x ** 2))``,
          so the average squared entry is 1.  Keeps sparsity and signs, which
          the text network's pooling + ReLU branches rely on; the default for
          text (bag-of-words counts or binary tags, topic vectors).
        * ``"none"``: identity.
    """

    def __init__(self, dim: int, *, kind: str = "standardize"):
        super().__init__()
        self.kind = check_choice(kind, "kind", INPUT_NORMS, caller="InputNorm")
        self.register_buffer("shift", torch.zeros(dim))
        self.register_buffer("scale", torch.ones(dim))

    @torch.no_grad()
    def fit(self, x) -> "InputNorm":
        """Fit the statistics on rows ``x``: an array-like of shape (n, dim).

        Sums are accumulated in float64 over chunks of rows, so a large float32
        matrix is never copied whole.
        """
        dim = self.shift.shape[0]
        n = int(x.shape[0])
        if len(x.shape) != 2 or x.shape[1] != dim or n == 0:
            raise HashxValueError(
                f"The 'x' parameter of InputNorm.fit must have shape (n >= 1, {dim}). "
                f"Got shape {tuple(x.shape)} instead."
            )
        total = np.zeros(dim)
        total_sq = np.zeros(dim)
        for start in range(0, n, 2048):
            chunk = np.asarray(x[start:start + 2048], dtype=np.float64)
            total += chunk.sum(axis=0)
            total_sq += (chunk**2).sum(axis=0)
        mean = total / n
        mean_sq = total_sq / n
        if self.kind == "standardize":
            std = np.sqrt(np.maximum(mean_sq - mean**2, 0.0))
            positive = std[std > 0]
            floor = 0.01 * float(np.median(positive)) if positive.size else 1.0
            shift, scale = mean, 1.0 / np.maximum(std, floor)
        elif self.kind == "rms":
            rms = float(np.sqrt(mean_sq.mean()))
            shift, scale = np.zeros(dim), np.full(dim, 1.0 / rms if rms > 0 else 1.0)
        else:
            shift, scale = np.zeros(dim), np.ones(dim)
        self.shift.copy_(torch.from_numpy(shift).to(self.shift))
        self.scale.copy_(torch.from_numpy(scale).to(self.scale))
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.shift) * self.scale
