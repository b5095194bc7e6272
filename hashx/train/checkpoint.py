"""Checkpoint files: written atomically, loaded with ``torch.load(weights_only=True)``, checksummed.

A checkpoint is a dict of plain values and tensors saved with
:func:`torch.save`::

    format          "hashx-checkpoint"
    format_version  2
    kind            "model" (an encoder) or "training" (an encoder plus the
                    whole training state, to resume a run)
    hashx_version   version that wrote it
    run             RunConfig.to_dict() (the generic settings)
    method          {"name": method name, "settings": its MethodSettings.to_dict()}
    dims            DataDims.to_dict()
    split_sha256    Split.sha256 of the split trained on
    dataset         dataset name
    epoch           0-based epoch the weights come from
    encoder         {"image": {"name", "kwargs", "state"}, "text": {...}}
    metrics         validation MAPs of that epoch (may be empty)
    training        (kind "training" only) method state, trainer state
    checksum        SHA-256 over every other entry, tensors by dtype, shape and bytes

Loading never unpickles arbitrary objects (``weights_only=True``); a missing,
truncated, corrupted or foreign file raises :class:`~hashx.exceptions.CheckpointError`.

Format 1 (hashx 0.1) kept every setting in one ``config`` entry (SSAH's
``TrainConfig``, the device included).  Such checkpoints still load: their
config is split into ``run`` and ``method`` entries (the device dropped), so
they encode exactly as before; a format-1 training checkpoint cannot be
resumed (:func:`hashx.train.train` says so).
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np
import torch

from .._atomic import atomic_write
from .._version import __version__
from ..exceptions import CheckpointError
from .run_file import HASHX_0_1_SSAH_IMPLIED

__all__ = ["save_checkpoint", "load_checkpoint", "upgrade_v1", "FORMAT", "FORMAT_VERSION"]

FORMAT = "hashx-checkpoint"
FORMAT_VERSION = 2
#: The MS-DOS "directory" bit of a zip entry's external attributes.
_MSDOS_FOLDER = 0x10
_REQUIRED = ("kind", "hashx_version", "run", "method", "dims", "split_sha256", "epoch", "encoder", "checksum")
_REQUIRED_V1 = ("kind", "hashx_version", "config", "dims", "split_sha256", "epoch", "encoder", "checksum")
#: Settings of format 1's single config that belong to the run config (the rest are SSAH's, but "device").
_V1_RUN_KEYS = ("method", "nbits", "epochs", "batch_size", "seed", "lr_schedule", "lr_min_factor", "val_every",
                "patience", "eval_batch_size")


def _feed(h, obj) -> None:
    if isinstance(obj, dict):
        h.update(b"{%d" % len(obj))
        for key in sorted(obj, key=repr):
            _feed(h, key)
            _feed(h, obj[key])
        h.update(b"}")
    elif isinstance(obj, (list, tuple)):
        h.update(b"[%d" % len(obj))
        for item in obj:
            _feed(h, item)
        h.update(b"]")
    elif isinstance(obj, torch.Tensor):
        t = obj.detach().to("cpu").contiguous()
        h.update(f"T{t.dtype}{tuple(t.shape)}".encode())
        if t.numel():
            h.update(np.ascontiguousarray(t.reshape(-1).view(torch.uint8).numpy()).data)
    else:
        h.update(f"{type(obj).__name__}:{obj!r};".encode())


def content_digest(payload: dict) -> str:
    """SHA-256 (hex) of a checkpoint dict, the ``checksum`` entry excluded."""
    h = hashlib.sha256()
    _feed(h, {k: v for k, v in payload.items() if k != "checksum"})
    return h.hexdigest()


def save_checkpoint(path, payload: dict) -> Path:
    """Write ``payload`` (plus format, version and checksum entries) to ``path`` atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; its directory must exist.
    payload : dict
        Entries of the layout above (all but format, format_version,
        hashx_version and checksum, which are added).

    Returns
    -------
    pathlib.Path
    """
    path = Path(path)
    full = {"format": FORMAT, "format_version": FORMAT_VERSION, "hashx_version": __version__, **payload}
    full["checksum"] = content_digest(full)
    with atomic_write(path, "wb") as f:
        torch.save(full, f)
    return path


def _check_members(path: Path) -> None:
    """Refuse a checkpoint archive whose directory marks a member as a folder.

    torch's zip reader (miniz) takes a member whose directory entry carries the
    MS-DOS folder attribute for a folder and hands torch.load a buffer it never
    filled: the load then fails at random or, reading a buffer left by an
    earlier load, returns that earlier checkpoint's contents.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except Exception:  # noqa: BLE001 - not a zip archive, or not one zipfile reads: torch.load reports it below
        return
    for info in infos:
        if info.external_attr & _MSDOS_FOLDER or info.filename.endswith("/"):
            raise CheckpointError(f"Checkpoint {str(path)!r} is corrupted: its archive's directory marks the "
                                  f"member {info.filename!r} as a folder.")


def load_checkpoint(path, *, map_location="cpu", kind: str | None = None) -> dict:
    """Read and verify a checkpoint.

    Parameters
    ----------
    path : str or os.PathLike
    map_location : str or torch.device, default="cpu"
    kind : {"model", "training"} or None
        Required kind; None accepts both ("training" checkpoints hold an encoder too).

    Raises
    ------
    CheckpointError
        Missing file, unreadable or truncated file, not a hashx checkpoint,
        written by a newer format version, checksum mismatch, or wrong kind.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"Checkpoint {str(path)!r} does not exist or is not a file.")
    _check_members(path)
    try:
        obj = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises RuntimeError, pickle errors, EOFError, zipfile errors...
        raise CheckpointError(
            f"Checkpoint {str(path)!r} cannot be read: it is truncated, corrupted or not a hashx checkpoint "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})."
        ) from exc
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise CheckpointError(f"File {str(path)!r} is not a hashx checkpoint (no 'format': {FORMAT!r} entry).")
    version = obj.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        raise CheckpointError(
            f"Checkpoint {str(path)!r} has format version {version!r}; this hashx ({__version__}) reads "
            f"versions 1 to {FORMAT_VERSION}. It was written by hashx {obj.get('hashx_version')!r}; "
            f"upgrade hashx to read it."
        )
    missing = [k for k in (_REQUIRED if version >= 2 else _REQUIRED_V1) if k not in obj]
    if missing:
        raise CheckpointError(f"Checkpoint {str(path)!r} lacks the entries {missing}; it is incomplete.")
    try:
        digest = content_digest(obj)
    except (RecursionError, RuntimeError, TypeError, ValueError) as exc:  # sparse tensors, absurd nesting...
        raise CheckpointError(
            f"Checkpoint {str(path)!r} is corrupted or foreign: its contents cannot be checksummed "
            f"({type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''})."
        ) from None
    if digest != obj["checksum"]:
        raise CheckpointError(
            f"Checkpoint {str(path)!r} is corrupted: its contents do not match the SHA-256 checksum "
            f"recorded when it was written."
        )
    if kind is not None and obj["kind"] != kind:
        raise CheckpointError(f"Checkpoint {str(path)!r} is a {obj['kind']!r} checkpoint; a {kind!r} one is needed.")
    return obj if version >= 2 else upgrade_v1(obj)


def upgrade_v1(obj: dict) -> dict:
    """A format-1 checkpoint dict in the format-2 layout (``format_version`` stays 1).

    The single ``config`` is split into ``run`` (the generic settings) and
    ``method`` (name and the remaining, SSAH's, settings); ``device`` is
    dropped: it is an argument of training and encoding, not a setting.
    hashx 0.1 aligned SSAH's features with the label network's only, so its
    settings get ``align_to="label"`` (today's default aligns the modalities
    with each other).
    """
    if not isinstance(obj.get("config"), dict):
        raise CheckpointError("A format-1 checkpoint needs a 'config' dict; this one has none.")
    settings = {k: v for k, v in obj["config"].items() if k != "device"}
    run = {k: settings.pop(k) for k in _V1_RUN_KEYS if k in settings}
    upgraded = {k: v for k, v in obj.items() if k != "config"}
    upgraded["run"] = run
    if run.get("method", "ssah") == "ssah":
        settings = {**HASHX_0_1_SSAH_IMPLIED, **settings}
    upgraded["method"] = {"name": run.get("method", "ssah"), "settings": settings}
    return upgraded
