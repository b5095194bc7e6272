"""DataDims: the data shapes a trained model depends on."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DataDims"]


@dataclass(frozen=True)
class DataDims:
    """Input shapes of a run, saved in every checkpoint.

    Attributes
    ----------
    image_kind : {"features", "raw"}
    image_dim : int or tuple
        Feature width, or the (H, W, 3) shape of raw images.
    text_dim : int
    n_labels : int
    """

    image_kind: str
    image_dim: object
    text_dim: int
    n_labels: int

    @classmethod
    def from_dataset(cls, dataset) -> "DataDims":
        image_dim = dataset.image_dim
        return cls(
            image_kind=dataset.image_kind,
            image_dim=tuple(int(v) for v in image_dim) if isinstance(image_dim, tuple) else int(image_dim),
            text_dim=int(dataset.text_dim),
            n_labels=int(dataset.n_labels),
        )

    def to_dict(self) -> dict:
        return {"image_kind": self.image_kind, "image_dim": self.image_dim,
                "text_dim": self.text_dim, "n_labels": self.n_labels}

    @classmethod
    def from_dict(cls, d: dict) -> "DataDims":
        image_dim = d["image_dim"]
        image_dim = tuple(int(v) for v in image_dim) if isinstance(image_dim, (tuple, list)) else int(image_dim)
        return cls(image_kind=str(d["image_kind"]), image_dim=image_dim,
                   text_dim=int(d["text_dim"]), n_labels=int(d["n_labels"]))
