"""A backbone's image preprocessing, stated as data and applied with Pillow and numpy.

Every backbone preprocesses the way its weights were trained: the image is
converted to RGB, its shorter side resized to ``resize`` pixels (the aspect
ratio kept; Pillow's ``interpolation`` filter), the centre ``crop x crop``
square cut out, the 8-bit values scaled to [0, 1] and normalised per channel
with ``mean`` and ``std``.  The parameters come from the backbone's own
package (torchvision's weight enum, open_clip's model config) when the
backbone is built, are written into every feature file, and are applied here
exactly as torchvision's ``ImageClassification`` and open_clip's evaluation
transform apply them to a Pillow image (the tests check equality).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .._validation import check_choice, check_int
from ..exceptions import HashxValueError

__all__ = ["Preprocessing", "INTERPOLATIONS"]

#: Interpolation names -> Pillow resampling filter names.
INTERPOLATIONS = {"nearest": "NEAREST", "bilinear": "BILINEAR", "bicubic": "BICUBIC", "lanczos": "LANCZOS"}


@dataclass(frozen=True)
class Preprocessing:
    """Resize the shorter side, centre-crop, scale to [0, 1], normalise per channel.

    Parameters
    ----------
    resize : int
        Length of the shorter side after resizing, in pixels.
    crop : int
        Side of the centre square cut out after resizing (``<= resize``).
    interpolation : {"nearest", "bilinear", "bicubic", "lanczos"}
        Pillow's resampling filter for the resize.
    mean, std : tuple of 3 floats
        Per-channel (R, G, B) mean and standard deviation of the [0, 1] values.
    """

    resize: int
    crop: int
    interpolation: str
    mean: tuple
    std: tuple

    def __post_init__(self):
        check_int(self.resize, "resize", caller="Preprocessing", min_value=1)
        check_int(self.crop, "crop", caller="Preprocessing", min_value=1, max_value=self.resize)
        check_choice(self.interpolation, "interpolation", tuple(INTERPOLATIONS), caller="Preprocessing")
        for name in ("mean", "std"):
            value = tuple(float(v) for v in getattr(self, name))
            if len(value) != 3 or (name == "std" and min(value) <= 0):
                raise HashxValueError(f"The '{name}' parameter of Preprocessing must be 3 floats"
                                      f"{' > 0' if name == 'std' else ''} (R, G, B). Got {value!r} instead.")
            object.__setattr__(self, name, value)

    def to_dict(self) -> dict:
        """The parameters as a JSON-ready dict (written into feature files)."""
        return {**asdict(self), "mean": list(self.mean), "std": list(self.std),
                "order": "RGB; shorter side -> resize; centre crop; /255; (x - mean) / std"}

    def resized_size(self, width: int, height: int) -> tuple[int, int]:
        """(width, height) after the shorter-side resize (torchvision's rounding: floor)."""
        if width <= height:
            return self.resize, int(self.resize * height / width)
        return int(self.resize * width / height), self.resize

    def __call__(self, image) -> np.ndarray:
        """Preprocess one Pillow image.

        Parameters
        ----------
        image : PIL.Image.Image
            Any mode; converted to RGB first.

        Returns
        -------
        ndarray of shape (3, crop, crop), dtype=float32
        """
        from ._imports import import_pil

        Image = import_pil("Image preprocessing")
        if image.mode != "RGB":
            image = image.convert("RGB")
        width, height = image.size
        size = self.resized_size(width, height)
        if size != (width, height):
            image = image.resize(size, getattr(Image.Resampling, INTERPOLATIONS[self.interpolation]))
        # torchvision's centre crop: offsets rounded half to even, as Python's round
        left = int(round((size[0] - self.crop) / 2.0))
        top = int(round((size[1] - self.crop) / 2.0))
        image = image.crop((left, top, left + self.crop, top + self.crop))
        pixels = np.asarray(image, dtype=np.uint8).transpose(2, 0, 1).astype(np.float32) / np.float32(255)
        mean = np.asarray(self.mean, dtype=np.float32)[:, None, None]
        std = np.asarray(self.std, dtype=np.float32)[:, None, None]
        return (pixels - mean) / std
