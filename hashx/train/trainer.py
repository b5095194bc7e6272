"""The training loop: epochs, validation-based model selection, checkpoints, resume.

It is the same for every method: the method (built from its settings, see
:class:`hashx.train.MethodSettings`) trains one epoch at a time; the trainer
validates, selects, checkpoints and resumes.  It never imports
:mod:`hashx.methods`: callers resolve method names.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .._atomic import remove_stale_temporaries
from ..data.dataset import CrossModalDataset
from ..data.split import Split
from ..exceptions import CheckpointError, HashxTypeError, HashxValueError
from .checkpoint import load_checkpoint, save_checkpoint
from .device import resolve_device
from .dims import DataDims
from .distributed import SINGLE_PROCESS, Distribution
from .encoder import Encoder
from .fit_data import FitData
from .learned_codes import learned_payload
from .method import MethodSettings
from .result import EpochReport, TrainResult
from .run_config import RunConfig

__all__ = ["train", "fit", "LAST_CHECKPOINT", "BEST_MODEL"]

log = logging.getLogger(__name__)

#: File name of the full training state, rewritten after every epoch.
LAST_CHECKPOINT = "checkpoint-last.pt"
#: File name of the selected model (best validation MAP so far).
BEST_MODEL = "model-best.pt"


@dataclass
class _TrainerState:
    epoch: int = -1
    best_epoch: int | None = None
    best_score: float | None = None
    evals_since_best: int = 0
    finished: bool = False
    history: list = field(default_factory=list)
    plan: int | None = None  # epochs planned so far (an adaptive run extends it)

    def to_dict(self) -> dict:
        return {"epoch": self.epoch, "best_epoch": self.best_epoch, "best_score": self.best_score,
                "evals_since_best": self.evals_since_best, "finished": self.finished, "history": self.history,
                "plan": self.plan}


def _check_inputs(dataset, split, method, run, caller) -> RunConfig:
    if not isinstance(dataset, CrossModalDataset):
        raise HashxTypeError(f"The 'dataset' parameter of {caller} must be a CrossModalDataset. "
                             f"Got {type(dataset).__name__} instead.")
    if not isinstance(split, Split):
        raise HashxTypeError(f"The 'split' parameter of {caller} must be a Split. Got {type(split).__name__} instead.")
    if not isinstance(method, MethodSettings) or type(method).method_class is None:
        raise HashxTypeError(f"The 'method' parameter of {caller} must be the settings of a registered method "
                             f"(e.g. hashx.methods.SSAHSettings()). Got {type(method).__name__} instead.")
    run = RunConfig() if run is None else run
    if not isinstance(run, RunConfig):
        raise HashxTypeError(f"The 'run' parameter of {caller} must be a RunConfig or None. "
                             f"Got {type(run).__name__} instead.")
    if run.method is None:
        run = run.replace(method=method.method_name)
    elif run.method != method.method_name:
        raise HashxValueError(f"The 'run' parameter of {caller} names method {run.method!r}, but the 'method' "
                              f"parameter holds the settings of {method.method_name!r}.")
    n = len(dataset)
    for part in ("train", "val"):
        idx = getattr(split, part)
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise HashxValueError(f"The 'split' parameter of {caller} has {part} indices outside [0, {n}) "
                                  f"for dataset {dataset.name!r}; is it the split of another dataset?")
    if split.fit.size < 2:
        raise HashxValueError(f"The 'split' parameter of {caller} leaves {split.fit.size} training item(s) "
                              f"outside the validation set; at least 2 are needed.")
    return run


class _Validator:
    """Validation MAP@all, I->T and T->I: the validation items query the fit items.

    Codes come from an :class:`Encoder` around the live networks, the same
    code path as ``hashx encode``.
    """

    def __init__(self, dataset, split, run, dims, device):
        self.val = dataset.subset(split.val)
        self.fit = dataset.subset(split.fit)
        self.run, self.dims, self.device = run, dims, device

    def __call__(self, method) -> tuple[float, float]:
        from ..metrics import mean_average_precision

        encoder = Encoder(method.encoder_nets(), nbits=self.run.nbits, dims=self.dims, device=self.device)
        bs = self.run.eval_batch_size
        q_img = encoder.encode("image", self.val.image, batch_size=bs)
        q_txt = encoder.encode("text", self.val.text, batch_size=bs)
        db_img = encoder.encode("image", self.fit.image, batch_size=bs)
        db_txt = encoder.encode("text", self.fit.text, batch_size=bs)
        i2t = float(mean_average_precision(q_img, db_txt, self.val.labels, self.fit.labels))
        t2i = float(mean_average_precision(q_txt, db_img, self.val.labels, self.fit.labels))
        return i2t, t2i


def _encoder_payload(method) -> dict:
    nets, spec = method.encoder_nets(), method.encoder_spec()
    return {m: {"name": spec[m]["name"], "kwargs": spec[m]["kwargs"],
                "state": nets[m].state_dict()} for m in ("image", "text")}


def _check_resume(ckpt, common, path):
    if ckpt.get("format_version") == 1:
        raise CheckpointError(
            f"Cannot resume from {str(path)!r}: it was written by hashx {ckpt.get('hashx_version')!r} in checkpoint "
            f"format 1, before the run/method settings split. Its model still encodes (hashx encode, "
            f"load_encoder), but its training state cannot be continued: start a new run in another folder."
        )
    for key, what in (("run", "run config"), ("method", "method settings")):
        if ckpt[key] != common[key]:
            saved, now = _flatten(ckpt[key]), _flatten(common[key])
            diff = sorted(k for k in set(saved) | set(now) if saved.get(k) != now.get(k))
            detail = ", ".join(f"{k}: {saved.get(k)!r} in the checkpoint vs {now.get(k)!r} now" for k in diff)
            raise CheckpointError(f"Cannot resume from {str(path)!r}: the {what} differs ({detail}).")
    if ckpt["split_sha256"] != common["split_sha256"]:
        raise CheckpointError(f"Cannot resume from {str(path)!r}: it was trained on another split "
                              f"(sha256 {ckpt['split_sha256'][:12]}... vs {common['split_sha256'][:12]}...).")
    if DataDims.from_dict(ckpt["dims"]).to_dict() != common["dims"]:
        raise CheckpointError(f"Cannot resume from {str(path)!r}: it was trained on data of shape "
                              f"{ckpt['dims']}, not {common['dims']}.")
    if "training" not in ckpt:
        raise CheckpointError(f"Cannot resume from {str(path)!r}: it holds no training state.")


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def train(dataset: CrossModalDataset, split: Split, out_dir, *, method: MethodSettings, run: RunConfig | None = None,
          device="cpu", resume: bool = False, progress: Callable[[EpochReport], None] | None = None,
          distribution: Distribution | None = None) -> TrainResult:
    """Train a model, checkpointing every epoch and selecting it on the validation split.

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
    out_dir : str or os.PathLike
        Created if missing.
    method : MethodSettings
        The method's settings (e.g. ``hashx.methods.SSAHSettings()``, or
        ``hashx.methods.make_settings("ssah", ...)``); they build the method.
    run : RunConfig, optional
        Generic settings (code length, epochs, seed, ...); default ``RunConfig()``.
        Its ``method`` may be None (filled in) or must name the same method.
        A method whose :meth:`~hashx.train.Method.converged` turns True ends
        the run after that epoch (closed-form and alternating methods).
    device : str, default="cpu"
        ``"cpu"``, ``"cuda"`` or ``"cuda:N"``; not saved (a checkpoint trained
        on one device resumes and encodes on another).
    resume : bool, default=False
        Continue from ``out_dir/checkpoint-last.pt`` (same run config, method
        settings, split and data required); the resumed run is identical to an
        uninterrupted one on CPU.  A folder without ``checkpoint-last.pt`` (a
        run killed in its first epoch) starts afresh.  Without ``resume``, an
        ``out_dir`` that already holds a run is an error.
    progress : callable, optional
        Called with an :class:`EpochReport` after each epoch, once its
        checkpoints are on disk (the CLI draws its progress bar from it).
    distribution : Distribution, optional
        This process's rank in a data-parallel run (:mod:`hashx.train.distributed`;
        ``Distribution.from_env()`` under torchrun); None trains in one process.
        Rank 0 alone validates and writes the checkpoints; every rank returns
        the same result.

    Returns
    -------
    TrainResult
        Paths of the selected model and of the last state, the best epoch and
        its validation MAPs, the per-epoch history.

    Raises
    ------
    HashxTypeError, HashxValueError
        Bad arguments; CUDA asked for and unavailable.
    CheckpointError
        ``resume`` with a checkpoint of another config, split or dataset.
    """
    run = _check_inputs(dataset, split, method, run, "train")
    dist = SINGLE_PROCESS if distribution is None else distribution
    if dist.active and not method.method_class.supports_distribution:
        raise HashxValueError(f"Method {method.method_name!r} does not support distributed training (its class "
                              f"sets supports_distribution = False); train it in one process.")
    adaptive = run.adaptive
    run = run.resolved(n_fit=int(split.fit.size))
    dev = resolve_device(device, caller="train")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    last_path, best_path = out_dir / LAST_CHECKPOINT, out_dir / BEST_MODEL
    data = FitData(dataset, split.fit, device=dev)
    common = {"run": run.to_dict(), "method": {"name": method.method_name, "settings": method.to_dict()},
              "dims": data.dims.to_dict(), "split_sha256": split.sha256, "dataset": dataset.name}
    if not resume and (last_path.exists() or best_path.exists()):
        raise HashxValueError(f"The 'out_dir' parameter of train points to {str(out_dir)!r}, which already holds "
                              f"a run; resume it (resume=True, hashx train --resume) or choose another directory.")
    dist.barrier()  # every rank has looked at out_dir before rank 0 changes it
    removed = remove_stale_temporaries(out_dir, (LAST_CHECKPOINT, BEST_MODEL)) if dist.is_main else []
    if removed:
        log.info("removed %d temporary file(s) an interrupted run left in %s", len(removed), out_dir)
    state = _TrainerState()
    ckpt = None
    if resume and last_path.exists():
        ckpt = load_checkpoint(last_path, map_location=dev, kind="training")
        _check_resume(ckpt, common, last_path)
        state = _TrainerState(**ckpt["training"]["trainer"])
        if state.finished:
            return _result(out_dir, run, method, state)
    elif resume and best_path.exists():
        log.warning("%s holds %s but no %s (the run stopped during its first epoch): starting it afresh.",
                    out_dir, BEST_MODEL, LAST_CHECKPOINT)
    built = method.build(run=run, data=data, device=dev)
    if ckpt is not None:
        built.load_state_dict(ckpt["training"]["method"])
        log.info("resuming %s from epoch %d", out_dir, state.epoch + 1)
    else:
        built.setup(data)
    built.distribute(dist)
    has_val = split.val.size > 0
    validate = _Validator(dataset, split, run, data.dims, dev) if has_val else None
    if not has_val:
        log.warning("split %r has no validation items: the last epoch's model is kept.", split.protocol)
    state.plan = run.epochs if state.plan is None else state.plan
    epoch = state.epoch + 1
    while epoch < state.plan:
        t0 = time.perf_counter()
        built.train_mode(True)
        losses = built.train_epoch(epoch, data)
        converged = built.converged()
        last_epoch = epoch == state.plan - 1 or converged
        i2t = t2i = None
        improved = stopping = False
        if has_val and (epoch % run.val_every == run.val_every - 1 or last_epoch):
            i2t, t2i = dist.broadcast(validate(built) if dist.is_main else None)
            score = 0.5 * (i2t + t2i)
            if state.best_score is None or score > state.best_score:
                state.best_score, state.best_epoch, state.evals_since_best = score, epoch, 0
                improved = True
            else:
                state.evals_since_best += 1
                stopping = run.patience is not None and state.evals_since_best >= run.patience
        elif not has_val and last_epoch:
            improved, state.best_epoch = True, epoch
        if last_epoch and adaptive and improved and has_val and not converged and state.plan < run.max_epochs:
            # validation MAP is still rising at the end of the plan: go on at the final learning rate
            state.plan = min(run.max_epochs, state.plan + (run.patience or 10))
            last_epoch = False
            log.info("validation MAP still rising after epoch %d: training up to epoch %d", epoch + 1, state.plan)
        encoder = _encoder_payload(built)
        metrics = {"val_map_i2t": i2t, "val_map_t2i": t2i}
        seconds = time.perf_counter() - t0
        state.epoch = epoch
        state.finished = last_epoch or stopping
        state.history.append({"epoch": epoch, "losses": {k: float(v) for k, v in losses.items()},
                              "val_map_i2t": i2t, "val_map_t2i": t2i, "seconds": seconds})
        if improved and dist.is_main:
            save_checkpoint(best_path, {**common, "kind": "model", "epoch": epoch, "encoder": encoder,
                                        "metrics": metrics, **learned_payload(built, split.fit, run.nbits)})
        if dist.is_main:
            save_checkpoint(last_path, {**common, "kind": "training", "epoch": epoch, "encoder": encoder,
                                        "metrics": metrics,
                                        "training": {"method": built.state_dict(), "trainer": state.to_dict()}})
        dist.barrier()  # the checkpoints of this epoch are on disk for every rank
        report = EpochReport(epoch=epoch, epochs=state.plan, losses=losses, val_map_i2t=i2t, val_map_t2i=t2i,
                             improved=improved, best_epoch=state.best_epoch, best_score=state.best_score,
                             seconds=seconds, stopping=stopping)
        _log_epoch(report)
        if progress is not None:
            progress(report)
        if stopping:
            log.info("early stopping after epoch %d (best epoch %s)", epoch, state.best_epoch)
            break
        epoch += 1
    return _result(out_dir, run, method, state)


def _result(out_dir, run, method, state) -> TrainResult:
    best = next((h for h in state.history if h["epoch"] == state.best_epoch), {})
    return TrainResult(out_dir=out_dir, best_checkpoint=out_dir / BEST_MODEL, last_checkpoint=out_dir / LAST_CHECKPOINT,
                       method=method.method_name, run=run, best_epoch=state.best_epoch,
                       val_map_i2t=best.get("val_map_i2t"), val_map_t2i=best.get("val_map_t2i"),
                       history=tuple(state.history),
                       stopped_early=state.finished and state.epoch < (state.plan or run.epochs) - 1)


def _log_epoch(r: EpochReport) -> None:
    main = {k: v for k, v in r.losses.items() if k.endswith(("pair_hash", "quantization", "adversarial",
                                                               "discriminator"))}
    terms = " ".join(f"{k}={v:.4f}" for k, v in main.items())
    val = "" if r.val_map_i2t is None else f" val I->T={r.val_map_i2t:.4f} T->I={r.val_map_t2i:.4f}"
    best = "" if r.best_score is None else f" (best {r.best_score:.4f} @ epoch {r.best_epoch})"
    log.info("epoch %d/%d %s%s%s %.1fs", r.epoch + 1, r.epochs, terms, val, best, r.seconds)


def fit(dataset: CrossModalDataset, split: Split, out_dir, *, method: MethodSettings, run: RunConfig | None = None,
        device="cpu", progress: Callable[[EpochReport], None] | None = None) -> Encoder:
    """:func:`train`, then load the selected model: ``fit(...).encode("image", x)``."""
    return train(dataset, split, out_dir, method=method, run=run, device=device,
                 progress=progress).load_encoder(device=device)
