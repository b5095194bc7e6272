"""run_benchmark: train, encode and evaluate methods x bits x seeds on one protocol."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Callable

import numpy as np

from .._atomic import atomic_write
from .._validation import check_int
from ..codefile import save_codes
from ..exceptions import HashxValueError
from ..metrics import retrieval_report
from ..metrics.report import DEFAULT_KS
from .variants import resolve_method

__all__ = ["run_benchmark", "DIRECTIONS", "RESULTS_FILE"]

log = logging.getLogger(__name__)

#: Retrieval directions: name -> (query modality, database modality).
DIRECTIONS = {
    "image->text": ("image", "text"),
    "text->image": ("text", "image"),
    "image->image": ("image", "image"),
    "text->text": ("text", "text"),
}
RESULTS_FILE = "results.json"


def _write_records(path: Path, records: list) -> None:
    with atomic_write(path, "w") as f:
        json.dump(records, f, indent=1)


def _encode_split(encoder, dataset, split, codes_dir: Path) -> dict:
    """Codes of the query and retrieval sets in both modalities (also written as code files)."""
    codes_dir.mkdir(parents=True, exist_ok=True)
    codes = {}
    for part in ("query", "retrieval"):
        subset = dataset.subset(getattr(split, part))
        for modality in ("image", "text"):
            data = subset.image if modality == "image" else subset.text
            packed = encoder.encode(modality, data)
            save_codes(codes_dir / f"{part}-{modality}.hxc", packed, encoder.nbits)
            codes[part, modality] = packed
    return codes


def run_benchmark(dataset, split, *, protocol: str, methods, bits, seeds: int = 3, out_dir,
                  epochs: int | None = None, overrides: dict | None = None, ks=DEFAULT_KS,
                  progress: Callable[[dict], None] | None = None) -> list[dict]:
    """Train and evaluate every (method, bits, seed) on one protocol.

    For each run: train on ``split.fit`` with model selection on ``split.val``
    (:func:`hashx.train.train`), encode the query and retrieval sets with the
    selected model, and evaluate the four retrieval directions (image->text,
    text->image, image->image, text->text) with
    :func:`hashx.metrics.retrieval_report` (ties by database index).  The query
    set is used only here, after training.

    Finished runs are kept in ``out_dir/results.json`` (rewritten atomically
    after every run), so an interrupted benchmark resumes where it stopped.

    Parameters
    ----------
    dataset : CrossModalDataset
    split : Split
    protocol : str
        Protocol name recorded in the results.
    methods : sequence of str
        Method or variant names (:data:`hashx.experiments.VARIANTS`).
    bits : sequence of int
    seeds : int, default=3
        Training seeds 0 .. seeds-1 (the split stays the protocol's).
    out_dir : str or os.PathLike
        Holds ``results.json`` and ``runs/<method>-<bits>bits-seed<s>/``
        (the selected model ``model-best.pt`` and the code files of the query
        and retrieval sets; a finished run's resumable training state is
        deleted, since it is several times larger than the model).
    epochs : int, optional
        Overrides the training epochs.
    overrides : dict, optional
        Further :class:`~hashx.train.TrainConfig` settings for every run.
    ks : sequence of int
        Cut-offs of MAP@k and P@k.
    progress : callable, optional
        Called with each finished run's summary dict.

    Returns
    -------
    list of dict
        One record per run and direction: ``dataset``, ``protocol``, ``method``,
        ``bits``, ``seed``, ``direction``, ``map`` (MAP@all), ``map_at`` (k ->
        MAP@k), ``precision_at`` (k -> P@k), ``precision_within_radius``,
        ``pr_curve``, ``precision_curve``, ``train_seconds``, ``best_epoch``,
        ``val_map`` (the selected model's validation MAP, mean of both
        cross-modal directions), ``notes`` (the dataset's provenance).
    """
    from ..train import LAST_CHECKPOINT, TrainConfig, load_checkpoint, load_encoder, train

    seeds = check_int(seeds, "seeds", caller="run_benchmark", min_value=1)
    if not methods or not bits:
        raise HashxValueError("The 'methods' and 'bits' parameters of run_benchmark must not be empty.")
    plan = [(m, *resolve_method(m)) for m in methods]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results_path = out_dir / RESULTS_FILE
    records = json.loads(results_path.read_text()) if results_path.exists() else []
    done = {(r["method"], r["bits"], r["seed"]) for r in records if r.get("protocol") == protocol}
    labels_q = dataset.labels[split.query]
    labels_db = dataset.labels[split.retrieval]
    for name, method, settings in plan:
        for nbits in bits:
            for seed in range(seeds):
                if (name, nbits, seed) in done:
                    log.info("skipping %s %d bits seed %d: already in %s", name, nbits, seed, results_path)
                    continue
                values = {**settings, **(overrides or {}), "method": method, "nbits": nbits, "seed": seed}
                if epochs is not None:
                    values["epochs"] = epochs
                config = TrainConfig.from_dict(values)
                run_dir = out_dir / "runs" / f"{name}-{nbits}bits-seed{seed}"
                t0 = time.perf_counter()
                best = train(dataset, split, config, run_dir, resume=True)
                seconds = time.perf_counter() - t0
                ckpt = load_checkpoint(best)
                metrics = ckpt.get("metrics") or {}
                val = [v for v in (metrics.get("val_map_i2t"), metrics.get("val_map_t2i")) if v is not None]
                encoder = load_encoder(best, device=config.device)
                codes = _encode_split(encoder, dataset, split, run_dir / "codes")
                summary = {"method": name, "bits": nbits, "seed": seed, "train_seconds": round(seconds, 2)}
                for direction, (qm, dm) in DIRECTIONS.items():
                    rep = retrieval_report(codes["query", qm], codes["retrieval", dm], labels_q, labels_db, ks=ks)
                    records.append({
                        "dataset": dataset.name, "protocol": protocol, "method": name, "bits": nbits,
                        "seed": seed, "direction": direction, "map": rep["map"],
                        "map_at": {str(k): v for k, v in rep["map_at"].items()},
                        "precision_at": {str(k): v for k, v in rep["precision_at"].items()},
                        "precision_within_radius": rep["precision_within_radius"],
                        "pr_curve": rep["pr_curve"], "precision_curve": rep["precision_curve"],
                        "train_seconds": round(seconds, 2), "best_epoch": ckpt.get("epoch"),
                        "val_map": float(np.mean(val)) if val else None, "notes": dataset.notes,
                    })
                    summary[direction] = rep["map"]
                _write_records(results_path, records)
                (run_dir / LAST_CHECKPOINT).unlink(missing_ok=True)  # finished: the resumable state is not needed
                log.info("%s %d bits seed %d: I->T %.4f T->I %.4f (%.0f s)", name, nbits, seed,
                         summary["image->text"], summary["text->image"], seconds)
                if progress is not None:
                    progress(summary)
    return [r for r in records if r.get("protocol") == protocol]
