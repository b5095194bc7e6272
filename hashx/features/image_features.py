"""``extract_image_features``: a folder of images -> an image feature file, batched and resumable."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._validation import check_int
from ..exceptions import DataFormatError, HashxTypeError, HashxValueError
from ._imports import import_pil
from .backbone import Backbone, load_backbone
from .feature_file import ArrayStream, meta_array, write_npz
from .image_list import list_images
from .partial_run import PartialRun
from .preprocessing import Preprocessing

__all__ = ["FeatureFileInfo", "extract_image_features", "load_image"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeatureFileInfo:
    """What :func:`extract_image_features` wrote.

    Attributes
    ----------
    path : pathlib.Path
        The feature file.
    count, dim : int
        Shape of its ``image`` array.
    meta : dict
        Its ``meta`` entry (how the features were made).
    resumed_rows : int
        Rows taken from an unfinished earlier run instead of computed.
    """

    path: Path
    count: int
    dim: int
    meta: dict
    resumed_rows: int = 0


def load_image(path, preprocessing: Preprocessing) -> np.ndarray:
    """Decode one image file and preprocess it.

    Returns
    -------
    ndarray of shape (3, crop, crop), dtype=float32

    Raises
    ------
    DataFormatError
        The file cannot be decoded as an image.
    """
    Image = import_pil("Reading images")
    try:
        with Image.open(path) as image:
            image.load()
            return preprocessing(image)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise DataFormatError(f"Image file '{path}' cannot be read as an image ({exc}).") from None


def _chunk_rows(root: Path, paths: list, start: int, stop: int, backbone: Backbone, batch_size: int,
                progress, done: int, total: int) -> np.ndarray:
    out = np.empty((stop - start, backbone.spec.dim), dtype=np.float32)
    for a in range(start, stop, batch_size):
        b = min(a + batch_size, stop)
        pixels = np.stack([load_image(root / p, backbone.preprocessing) for p in paths[a:b]])
        out[a - start:b - start] = backbone.encode_pixels(pixels)
        if progress is not None:
            progress(done + b - start, total)
    return out


def _finished(run: PartialRun, index: int, shape: tuple) -> np.ndarray:
    block = run.load(index, shape)
    if block is None:
        raise DataFormatError(f"Chunk {index} of '{run.folder}' disappeared or changed while the output was "
                              f"written; run again to recompute it.")
    return block


def extract_image_features(images, *, backbone, out, weights=None, batch_size: int = 32,
                           chunk_size: int = 1024, device: str = "cpu", resume: bool = True,
                           progress: Callable[[int, int], None] | None = None) -> FeatureFileInfo:
    """Embed every image of a folder (or list file) with a pretrained backbone; write a feature file.

    Images are decoded, preprocessed (:class:`Preprocessing`, the backbone's
    own) and embedded ``batch_size`` at a time.  Every ``chunk_size`` rows the
    finished rows are saved beside ``out`` (:class:`PartialRun`), so memory
    stays bounded and an interrupted run, started again with the same
    arguments, continues where it stopped.  ``out`` appears only when every
    row is done (written atomically; see :mod:`hashx.features.feature_file`).

    Parameters
    ----------
    images : str or os.PathLike
        A folder of images (searched recursively, natural order) or a text
        file listing one image path per line (:func:`list_images`).
    backbone : str or Backbone
        A registered backbone name (then ``weights`` is required) or a
        :class:`Backbone` from :func:`load_backbone`.
    out : str or os.PathLike
        The ``.npz`` feature file to write (its folder must exist).
    weights : str or os.PathLike, optional
        The backbone's published weights file, or a folder holding it.
    batch_size : int, default=32
        Images per forward pass.
    chunk_size : int, default=1024
        Rows per saved chunk (the unit of resumption); a multiple of
        ``batch_size``, so that resumed and uninterrupted runs compute the
        same batches and give identical features.
    device : str, default="cpu"
    resume : bool, default=True
        Continue an unfinished run of the same settings; False discards it.
    progress : callable, optional
        Called as ``progress(rows_done, rows_total)`` after every batch (the
        command line draws its bar with it).

    Returns
    -------
    FeatureFileInfo

    Raises
    ------
    DataFormatError
        No image found, an unreadable image.
    CheckpointError
        Missing, corrupted or wrong weights file.
    HashxValueError
        Bad sizes, or an unfinished run with other settings (``resume=True``).
    ImportError
        The ``features`` extra is not installed.
    """
    batch_size = check_int(batch_size, "batch_size", caller="extract_image_features", min_value=1)
    chunk_size = check_int(chunk_size, "chunk_size", caller="extract_image_features", min_value=1)
    if chunk_size % batch_size:
        raise HashxValueError(f"The 'chunk_size' parameter of extract_image_features must be a multiple of "
                              f"batch_size={batch_size}. Got {chunk_size} instead.")
    out = Path(out)
    if out.suffix.lower() != ".npz":
        raise HashxValueError(f"The 'out' parameter of extract_image_features must end in .npz. Got '{out}' instead.")
    if not out.parent.is_dir():
        raise HashxValueError(f"The folder of 'out' ('{out.parent}') does not exist.")
    root, paths = list_images(images)
    if isinstance(backbone, str):
        backbone = load_backbone(backbone, weights, device=device)
    elif not isinstance(backbone, Backbone):
        raise HashxTypeError(f"The 'backbone' parameter of extract_image_features must be a backbone name or a "
                             f"Backbone. Got {type(backbone).__name__} instead.")
    n, dim = len(paths), backbone.spec.dim
    listing = hashlib.sha256("\n".join(paths).encode("utf-8")).hexdigest()
    run = PartialRun(out, {"backbone": backbone.spec.name, "weights_sha256": backbone.weights_sha256,
                           "images_sha256": listing, "count": n, "batch_size": batch_size,
                           "chunk_size": chunk_size}, resume=resume)
    n_chunks = -(-n // chunk_size)
    resumed = 0
    for c in range(n_chunks):
        start, stop = c * chunk_size, min((c + 1) * chunk_size, n)
        if run.load(c, (stop - start, dim)) is not None:
            resumed += stop - start
            if progress is not None:
                progress(stop, n)
            continue
        run.save(c, _chunk_rows(root, paths, start, stop, backbone, batch_size, progress, start, n))
        logger.info("features: %d / %d images", stop, n)
    if resumed:
        logger.info("features: %d of %d rows came from the unfinished run in %s", resumed, n, run.folder)
    meta = {"kind": "image-features", **backbone.metadata(), "count": n, "image_root": str(root.resolve()),
            "images_sha256": listing, "batch_size": batch_size}
    blocks = (_finished(run, c, (min((c + 1) * chunk_size, n) - c * chunk_size, dim)) for c in range(n_chunks))
    write_npz(out, {"image": ArrayStream((n, dim), np.float32, blocks),
                    "paths": np.array(paths, dtype=str), "meta": meta_array(meta)})
    run.remove()
    return FeatureFileInfo(out, n, dim, meta, resumed)
