"""FitData: the training items' tensors, loaded once onto the training device."""

from __future__ import annotations

import numpy as np
import torch

from .dims import DataDims

__all__ = ["FitData"]


class FitData:
    """Rows ``idx`` of a :class:`~hashx.data.CrossModalDataset`, ready for training.

    Labels, text vectors and image feature vectors are loaded once (float32,
    on ``device``); raw images are read batch by batch through the dataset.

    Parameters
    ----------
    dataset : CrossModalDataset
    idx : ndarray of shape (n,), dtype=int64
        Dataset rows of the training items, in training order.
    device : torch.device

    Attributes
    ----------
    n : int
        Number of fit items.
    dims : DataDims
        The dataset's input shapes.
    labels, text : Tensor of shape (n, c) and (n, t), float32, on ``device``
    image : Tensor of shape (n, d), float32, on ``device``, or None for raw images
    """

    def __init__(self, dataset, idx: np.ndarray, *, device: torch.device):
        self.dataset = dataset
        self.idx = np.asarray(idx, dtype=np.int64)
        self.n = int(self.idx.shape[0])
        self.device = device
        self.image_kind = dataset.image_kind
        self.dims = DataDims.from_dataset(dataset)
        self.labels = torch.from_numpy(dataset.labels[self.idx].astype(np.float32)).to(device)
        self.text = torch.from_numpy(dataset.text_rows(self.idx)).to(device)
        self.image = None
        if self.image_kind == "features":
            self.image = torch.from_numpy(dataset.image_rows(self.idx)).to(device)

    def image_batch(self, rows: np.ndarray) -> torch.Tensor:
        """Image inputs of positions ``rows`` (0..n-1): float features or uint8 images."""
        if self.image is not None:
            return self.image[torch.as_tensor(rows, device=self.device)]
        return torch.from_numpy(np.ascontiguousarray(self.dataset.image_rows(self.idx[rows]))).to(self.device)

    def text_batch(self, rows: np.ndarray) -> torch.Tensor:
        """Text vectors (float32) of positions ``rows``."""
        return self.text[torch.as_tensor(rows, device=self.device)]

    def label_batch(self, rows: np.ndarray) -> torch.Tensor:
        """Multi-hot labels (float32) of positions ``rows``."""
        return self.labels[torch.as_tensor(rows, device=self.device)]
