"""The training loop: epochs, validation-based model selection, checkpoints, resume."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ..codes import binarize, pack_codes
from ..data.dataset import CrossModalDataset
from ..data.split import Split
from ..exceptions import CheckpointError, HashxTypeError, HashxValueError
from .checkpoint import load_checkpoint, save_checkpoint
from .config import TrainConfig
from .device import resolve_device
from .dims import DataDims
from .encoder import Encoder, load_encoder
from .fit_data import FitData

__all__ = ["train", "fit", "EpochReport", "LAST_CHECKPOINT", "BEST_MODEL"]

log = logging.getLogger(__name__)

#: File name of the full training state, rewritten after every epoch.
LAST_CHECKPOINT = "checkpoint-last.pt"
#: File name of the selected model (best validation MAP so far).
BEST_MODEL = "model-best.pt"


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


@dataclass
class _TrainerState:
    epoch: int = -1
    best_epoch: int | None = None
    best_score: float | None = None
    evals_since_best: int = 0
    finished: bool = False
    history: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"epoch": self.epoch, "best_epoch": self.best_epoch, "best_score": self.best_score,
                "evals_since_best": self.evals_since_best, "finished": self.finished, "history": self.history}


def _check_inputs(dataset, split, config, caller):
    if not isinstance(dataset, CrossModalDataset):
        raise HashxTypeError(f"The 'dataset' parameter of {caller} must be a CrossModalDataset. "
                             f"Got {type(dataset).__name__} instead.")
    if not isinstance(split, Split):
        raise HashxTypeError(f"The 'split' parameter of {caller} must be a Split. Got {type(split).__name__} instead.")
    if not isinstance(config, TrainConfig):
        raise HashxTypeError(f"The 'config' parameter of {caller} must be a TrainConfig. "
                             f"Got {type(config).__name__} instead.")
    n = len(dataset)
    for part in ("train", "val"):
        idx = getattr(split, part)
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise HashxValueError(f"The 'split' parameter of {caller} has {part} indices outside [0, {n}) "
                                  f"for dataset {dataset.name!r}; is it the split of another dataset?")
    if split.fit.size < 2:
        raise HashxValueError(f"The 'split' parameter of {caller} leaves {split.fit.size} training item(s) "
                              f"outside the validation set; at least 2 are needed.")


def _encode_packed(net, fetch, n, batch_size) -> np.ndarray:
    chunks = []
    for a in range(0, n, batch_size):
        chunks.append(net(fetch(np.arange(a, min(a + batch_size, n)))).code.float().cpu().numpy())
    return pack_codes(binarize(np.concatenate(chunks)))


@torch.no_grad()
def _validate(method, dataset, split, data, config, device) -> tuple[float, float]:
    """Validation MAP@all, I->T and T->I: val items query the fit items."""
    from ..metrics import mean_average_precision

    nets = method.encoder_nets()
    for net in nets.values():
        net.eval()
    val = split.val
    bs = config.eval_batch_size

    def val_image(rows):
        return torch.from_numpy(np.ascontiguousarray(dataset.image_rows(val[rows]))).to(device)

    def val_text(rows):
        return torch.from_numpy(dataset.text_rows(val[rows])).to(device)

    q_img = _encode_packed(nets["image"], val_image, val.size, bs)
    q_txt = _encode_packed(nets["text"], val_text, val.size, bs)
    db_img = _encode_packed(nets["image"], data.image_batch, data.n, bs)
    db_txt = _encode_packed(nets["text"], data.text_batch, data.n, bs)
    q_labels = dataset.labels[val]
    db_labels = dataset.labels[data.idx]
    i2t = float(mean_average_precision(q_img, db_txt, q_labels, db_labels))
    t2i = float(mean_average_precision(q_txt, db_img, q_labels, db_labels))
    return i2t, t2i


def _encoder_payload(method) -> dict:
    nets, spec = method.encoder_nets(), method.encoder_spec()
    return {m: {"name": spec[m]["name"], "kwargs": spec[m]["kwargs"],
                "state": nets[m].state_dict()} for m in ("image", "text")}


def _check_resume(ckpt, config, dims, split, path):
    saved = dict(ckpt["config"])
    current = config.to_dict()
    diff = sorted(k for k in set(saved) | set(current) if k != "device" and saved.get(k) != current.get(k))
    if diff:
        detail = ", ".join(f"{k}: {saved.get(k)!r} in the checkpoint vs {current.get(k)!r} now" for k in diff)
        raise CheckpointError(f"Cannot resume from {str(path)!r}: the config differs ({detail}).")
    if ckpt["split_sha256"] != split.sha256:
        raise CheckpointError(f"Cannot resume from {str(path)!r}: it was trained on another split "
                              f"(sha256 {ckpt['split_sha256'][:12]}... vs {split.sha256[:12]}...).")
    if DataDims.from_dict(ckpt["dims"]) != dims:
        raise CheckpointError(f"Cannot resume from {str(path)!r}: it was trained on data of shape "
                              f"{ckpt['dims']}, not {dims.to_dict()}.")
    if "training" not in ckpt:
        raise CheckpointError(f"Cannot resume from {str(path)!r}: it holds no training state.")


def train(dataset: CrossModalDataset, split: Split, config: TrainConfig, out_dir, *, resume: bool = False,
          progress: Callable[[EpochReport], None] | None = None) -> Path:
    """Train a model and return the path of the selected model's checkpoint.

    After every epoch the full training state is written to
    ``out_dir/checkpoint-last.pt``; whenever the validation MAP (mean of
    I->T and T->I, the validation items querying the fit items
    ``split.fit``) improves, the encoder is written to ``out_dir/model-best.pt``.
    The query set of the split is never looked at.

    Parameters
    ----------
    dataset : CrossModalDataset
    split : Split
        Training uses ``split.fit``; model selection uses ``split.val``.
    config : TrainConfig
    out_dir : str or os.PathLike
        Created if missing.
    resume : bool, default=False
        Continue from ``out_dir/checkpoint-last.pt`` (same config, split and
        data required).  The resumed run is identical to an uninterrupted one
        on CPU.  Without ``resume``, an ``out_dir`` that already holds a run
        is an error.
    progress : callable, optional
        Called with an :class:`EpochReport` after each epoch, once its
        checkpoints are on disk (the CLI draws its progress bar from it).

    Returns
    -------
    pathlib.Path
        ``out_dir/model-best.pt``; load it with :func:`hashx.train.load_encoder`.

    Raises
    ------
    HashxTypeError, HashxValueError
        Bad arguments; CUDA asked for and unavailable.
    CheckpointError
        ``resume`` with a checkpoint of another config, split or dataset.
    """
    _check_inputs(dataset, split, config, "train")
    from ..methods import get_method

    method_cls = get_method(config.method)
    device = resolve_device(config.device, caller="train")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    last_path, best_path = out_dir / LAST_CHECKPOINT, out_dir / BEST_MODEL
    dims = DataDims.from_dataset(dataset)
    data = FitData(dataset, split.fit, device=device)
    method = method_cls(config, dims, device=device)
    state = _TrainerState()
    if resume and last_path.exists():
        ckpt = load_checkpoint(last_path, map_location=device, kind="training")
        _check_resume(ckpt, config, dims, split, last_path)
        method.load_state_dict(ckpt["training"]["method"])
        state = _TrainerState(**ckpt["training"]["trainer"])
        log.info("resuming %s from epoch %d", out_dir, state.epoch + 1)
        if state.finished:
            return best_path
    elif last_path.exists() or best_path.exists():
        raise HashxValueError(f"The 'out_dir' parameter of train points to {str(out_dir)!r}, which already holds "
                              f"a run; pass resume=True to continue it or choose another directory.")
    else:
        method.setup(data)
    has_val = split.val.size > 0
    if not has_val:
        log.warning("split %r has no validation items: the last epoch's model is kept.", split.protocol)
    common = {"config": config.to_dict(), "dims": dims.to_dict(), "split_sha256": split.sha256,
              "dataset": dataset.name}
    for epoch in range(state.epoch + 1, config.epochs):
        t0 = time.perf_counter()
        losses = method.train_epoch(epoch, data)
        last_epoch = epoch == config.epochs - 1
        i2t = t2i = None
        improved = stopping = False
        if has_val and (epoch % config.val_every == config.val_every - 1 or last_epoch):
            i2t, t2i = _validate(method, dataset, split, data, config, device)
            score = 0.5 * (i2t + t2i)
            if state.best_score is None or score > state.best_score:
                state.best_score, state.best_epoch, state.evals_since_best = score, epoch, 0
                improved = True
            else:
                state.evals_since_best += 1
                stopping = config.patience is not None and state.evals_since_best >= config.patience
        elif not has_val and last_epoch:
            improved, state.best_epoch = True, epoch
        encoder = _encoder_payload(method)
        metrics = {"val_map_i2t": i2t, "val_map_t2i": t2i}
        if improved:
            save_checkpoint(best_path, {**common, "kind": "model", "epoch": epoch, "encoder": encoder,
                                        "metrics": metrics})
        seconds = time.perf_counter() - t0
        state.epoch = epoch
        state.finished = last_epoch or stopping
        state.history.append({"epoch": epoch, "losses": {k: float(v) for k, v in losses.items()},
                              "val_map_i2t": i2t, "val_map_t2i": t2i, "seconds": seconds})
        save_checkpoint(last_path, {**common, "kind": "training", "epoch": epoch, "encoder": encoder,
                                    "metrics": metrics,
                                    "training": {"method": method.state_dict(), "trainer": state.to_dict()}})
        report = EpochReport(epoch=epoch, epochs=config.epochs, losses=losses, val_map_i2t=i2t, val_map_t2i=t2i,
                             improved=improved, best_epoch=state.best_epoch, best_score=state.best_score,
                             seconds=seconds, stopping=stopping)
        _log_epoch(report)
        if progress is not None:
            progress(report)
        if stopping:
            log.info("early stopping after epoch %d (best epoch %s)", epoch, state.best_epoch)
            break
    return best_path


def _log_epoch(r: EpochReport) -> None:
    main = {k: v for k, v in r.losses.items() if k.endswith(("pair_hash", "quantization", "adversarial",
                                                               "discriminator"))}
    terms = " ".join(f"{k}={v:.4f}" for k, v in main.items())
    val = "" if r.val_map_i2t is None else f" val I->T={r.val_map_i2t:.4f} T->I={r.val_map_t2i:.4f}"
    best = "" if r.best_score is None else f" (best {r.best_score:.4f} @ epoch {r.best_epoch})"
    log.info("epoch %d/%d %s%s%s %.1fs", r.epoch + 1, r.epochs, terms, val, best, r.seconds)


def fit(dataset: CrossModalDataset, split: Split, config: TrainConfig, out_dir, *,
        progress: Callable[[EpochReport], None] | None = None) -> Encoder:
    """:func:`train`, then load the selected model: ``fit(...).encode("image", x)``."""
    return load_encoder(train(dataset, split, config, out_dir, progress=progress), device=config.device)
