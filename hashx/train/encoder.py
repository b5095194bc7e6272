"""Encoder: a trained model's image and text networks, rebuilt from a checkpoint alone."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from .._validation import check_choice, check_int
from ..codes import binarize, pack_codes
from ..exceptions import CheckpointError, HashxTypeError, HashxValueError
from .checkpoint import load_checkpoint
from .device import resolve_device
from .dims import DataDims
from .run_config import RunConfig

__all__ = ["Encoder", "load_encoder", "encoder_from_checkpoint", "MODALITIES", "list_modalities"]

#: What an encoder encodes.
MODALITIES = ("image", "text")


def list_modalities() -> list[str]:
    """The modalities an :class:`Encoder` encodes: ``["image", "text"]``."""
    return list(MODALITIES)


class Encoder:
    """Maps images and texts to packed binary codes with a trained model.

    Build it with :func:`load_encoder` from a checkpoint; the trainer builds
    one around the live networks to encode the validation items, so that
    validation and ``hashx encode`` run the same code.

    Parameters
    ----------
    nets : dict
        ``{"image": nn.Module, "text": nn.Module}``, each returning an object
        with a ``code`` attribute of shape (b, nbits) in (-1, 1).  They are
        moved to ``device`` and put in eval mode.
    nbits : int
    dims : DataDims
    device : str or torch.device
    method : str or None
        Name of the method that trained the networks.
    metadata : dict, optional

    Attributes
    ----------
    nbits : int
        Code length.
    dims : DataDims
        Input shapes the model was trained on.
    method : str or None
    run : RunConfig or None
        The training run's generic settings (from a checkpoint).
    metadata : dict
        ``epoch``, ``metrics``, ``split_sha256``, ``dataset``, ``hashx_version``,
        ``kind`` and ``method_settings`` of the checkpoint.
    """

    def __init__(self, nets: dict, *, nbits: int, dims: DataDims, device, method: str | None = None,
                 run: RunConfig | None = None, metadata: dict | None = None):
        self.nets = nets
        self.dims = dims
        self.nbits = check_int(nbits, "nbits", caller="Encoder", min_value=8)
        self.method = method
        self.run = run
        self.device = torch.device(device)
        self.metadata = dict(metadata or {})
        for net in nets.values():
            net.to(self.device).eval()

    def __repr__(self) -> str:
        return (f"Encoder(method={self.method!r}, nbits={self.nbits}, image={self.dims.image_kind} "
                f"{self.dims.image_dim}, text_dim={self.dims.text_dim}, device={str(self.device)!r})")

    def _rows(self, modality: str, data):
        """Validate ``data``; return (n, fetch(start, stop) -> Tensor)."""
        caller = "Encoder.encode"
        raw = modality == "image" and self.dims.image_kind == "raw"
        if raw:
            if isinstance(data, np.ndarray):
                if data.dtype.kind not in "uif":
                    raise HashxTypeError(f"The 'data' parameter of {caller} must hold uint8 or float images. "
                                         f"Got dtype {data.dtype} instead.")
                array = data
            elif hasattr(data, "read") and hasattr(data, "shape"):
                array = None
            else:
                raise HashxTypeError(f"The 'data' parameter of {caller} must be a numpy array of images "
                                     f"(n, H, W, 3) or a lazy image store. Got {type(data).__name__} instead.")
            shape = tuple(data.shape)
            if len(shape) != 4 or shape[3] != 3:
                raise HashxValueError(f"The 'data' parameter of {caller} must have shape (n, H, W, 3) for "
                                      f"modality 'image'. Got shape {shape} instead.")

            def fetch(a, b):
                rows = array[a:b] if array is not None else data.read(np.arange(a, b))
                rows = np.ascontiguousarray(rows)
                if rows.dtype.kind == "f" and not np.isfinite(rows).all():
                    raise HashxValueError(f"The 'data' parameter of {caller} holds NaN or Inf values.")
                return torch.from_numpy(rows)

            return shape[0], fetch
        width = self.dims.text_dim if modality == "text" else int(self.dims.image_dim)
        if not (isinstance(data, np.ndarray) or sp.issparse(data)):
            raise HashxTypeError(f"The 'data' parameter of {caller} must be a numpy array (or scipy sparse "
                                 f"matrix) of shape (n, {width}). Got {type(data).__name__} instead.")
        if data.dtype.kind not in "biuf":
            raise HashxTypeError(f"The 'data' parameter of {caller} must have a numeric dtype. "
                                 f"Got dtype {data.dtype} instead.")
        if len(data.shape) != 2 or data.shape[1] != width:
            raise HashxValueError(f"The 'data' parameter of {caller} must have shape (n, {width}) for modality "
                                  f"{modality!r} (the width the model was trained on). Got shape "
                                  f"{tuple(data.shape)} instead.")

        def fetch(a, b):
            rows = data[a:b]
            rows = rows.toarray() if sp.issparse(rows) else rows
            rows = np.asarray(rows, dtype=np.float32)
            if not np.isfinite(rows).all():
                raise HashxValueError(f"The 'data' parameter of {caller} holds NaN or Inf values.")
            return torch.from_numpy(np.ascontiguousarray(rows))

        return int(data.shape[0]), fetch

    @torch.no_grad()
    def encode_continuous(self, modality: str, data, *, batch_size: int = 256) -> np.ndarray:
        """Continuous codes (tanh outputs) of shape (n, nbits), float32; see :meth:`encode`."""
        check_choice(modality, "modality", MODALITIES, caller="Encoder.encode")
        batch_size = check_int(batch_size, "batch_size", caller="Encoder.encode", min_value=1)
        n, fetch = self._rows(modality, data)
        net = self.nets[modality]
        out = np.empty((n, self.nbits), dtype=np.float32)
        for a in range(0, n, batch_size):
            b = min(a + batch_size, n)
            out[a:b] = net(fetch(a, b).to(self.device)).code.float().cpu().numpy()
        return out

    def encode(self, modality: str, data, *, batch_size: int = 256) -> np.ndarray:
        """Packed binary codes of images or texts.

        Parameters
        ----------
        modality : {"image", "text"}
        data : array-like
            ``"text"``: numeric array or scipy sparse matrix of shape (n, text_dim).
            ``"image"``: numeric array (n, image_dim) of features, or, for a
            model trained on raw images, images of shape (n, H, W, 3) (uint8
            or float in [0, 255]; an array or a lazy store with ``read(idx)``).
            Integer inputs are converted to float32.
        batch_size : int, default=256

        Returns
        -------
        ndarray of shape (n, nbits // 8), dtype=uint8
            Codes packed MSB first (:func:`hashx.pack_codes`); a bit is 1 where
            the tanh output is >= 0.

        Raises
        ------
        HashxValueError, HashxTypeError
            Unknown modality, wrong shape or dtype, NaN/Inf inputs.
        """
        continuous = self.encode_continuous(modality, data, batch_size=batch_size)
        if continuous.shape[0] == 0:
            return np.zeros((0, self.nbits // 8), dtype=np.uint8)
        return pack_codes(binarize(continuous))


def encoder_from_checkpoint(checkpoint: dict, *, device="cpu") -> Encoder:
    """Rebuild an :class:`Encoder` from a loaded checkpoint dict (see :mod:`hashx.train.checkpoint`)."""
    from ..models import create_model

    dev = resolve_device(device, caller="load_encoder")
    try:
        run = RunConfig.from_dict(dict(checkpoint["run"]))
        dims = DataDims.from_dict(checkpoint["dims"])
        nets = {}
        for modality in ("image", "text"):
            spec = checkpoint["encoder"][modality]
            net = create_model(spec["name"], **dict(spec["kwargs"]))
            net.load_state_dict(spec["state"])
            nets[modality] = net
    except CheckpointError:
        raise
    except Exception as exc:
        raise CheckpointError(f"The checkpoint's model cannot be rebuilt: {type(exc).__name__}: {exc}") from exc
    metadata = {k: checkpoint.get(k) for k in ("epoch", "metrics", "split_sha256", "dataset", "hashx_version", "kind")}
    metadata["method_settings"] = dict(checkpoint["method"].get("settings", {}))
    return Encoder(nets, nbits=run.nbits, dims=dims, device=dev, method=run.method, run=run, metadata=metadata)


def load_encoder(checkpoint_path, *, device="cpu") -> Encoder:
    """Load the encoder stored in a checkpoint (a "model" or a "training" checkpoint).

    Parameters
    ----------
    checkpoint_path : str or os.PathLike
    device : str, default="cpu"

    Returns
    -------
    Encoder

    Raises
    ------
    CheckpointError
        Missing, corrupted or incompatible checkpoint.
    """
    dev = resolve_device(device, caller="load_encoder")
    return encoder_from_checkpoint(load_checkpoint(checkpoint_path, map_location=dev), device=dev)
