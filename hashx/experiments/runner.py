"""run_benchmark: train, encode and evaluate methods x bits x seeds on one protocol."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Callable

from filelock import FileLock

from .._atomic import atomic_write, remove_stale_temporaries
from .._validation import check_choice, check_int
from ..codefile import save_codes
from ..exceptions import DataFormatError, HashxValueError
from ..metrics import retrieval_report
from ..metrics.report import DEFAULT_KS
from .db_codes import DB_CODES, with_learned_codes
from .variants import qualified, resolve_method

__all__ = ["run_benchmark", "plan_runs", "read_records", "DIRECTIONS", "RESULTS_FILE"]

log = logging.getLogger(__name__)

#: Retrieval directions: name -> (query modality, database modality).
DIRECTIONS = {
    "image->text": ("image", "text"),
    "text->image": ("text", "image"),
    "image->image": ("image", "image"),
    "text->text": ("text", "text"),
}
RESULTS_FILE = "results.json"
#: Written in a run's folder once its training has finished (the resumable state is then deleted).
FINISHED_FILE = "finished.json"


def _write_records(path: Path, records: list) -> None:
    with atomic_write(path, "w") as f:
        json.dump(records, f, indent=1)


def _records_lock(path: Path) -> FileLock:
    """The lock (``results.json.lock`` beside the file) that every benchmark writing into one
    folder holds while it reads and rewrites the results file."""
    return FileLock(str(path) + ".lock")


def _record_key(record: dict) -> tuple:
    return (record.get("protocol"), record["method"], record["bits"], record["seed"], record["direction"],
            record.get("db_codes", "features"))


def _add_records(path: Path, new: list) -> list:
    """Put ``new`` into the results file as it is on disk now, under its lock; return every record.

    Two benchmarks run into one folder at once (other lengths, methods or protocols) each read
    the file again before writing, so neither drops the other's records; a record with the key
    of a new one is replaced."""
    with _records_lock(path):
        replaced = {_record_key(r) for r in new}
        records = [r for r in read_records(path) if _record_key(r) not in replaced] + new
        _write_records(path, records)
    return records


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


def plan_runs(methods, bits, seeds: int, *, epochs: int | None = None, overrides: dict | None = None) -> list:
    """Resolve and validate every (method, bits, seed) run of a benchmark before any of them starts.

    Returns
    -------
    list of (name, nbits, seed, RunConfig, MethodSettings)

    Raises
    ------
    HashxValueError
        Empty ``methods`` or ``bits``, an unknown method or variant, a
        repeated method or bit length, an invalid setting, or an override
        that no listed method uses.
    """
    from ..methods import configure, split_overrides

    seeds = check_int(seeds, "seeds", caller="run_benchmark", min_value=1)
    methods, bits = list(methods), [check_int(b, "bits", caller="run_benchmark", min_value=8) for b in bits]
    if not methods or not bits:
        raise HashxValueError("The 'methods' and 'bits' parameters of run_benchmark must not be empty.")
    for what, values in (("methods", methods), ("bits", bits)):
        repeated = sorted({str(v) for v in values if values.count(v) > 1})
        if repeated:
            raise HashxValueError(f"The '{what}' parameter of run_benchmark lists {', '.join(repeated)} more than once.")
    overrides = dict(overrides or {})
    resolved = [(name, *resolve_method(name)) for name in methods]
    used = set()
    for _, method, _ in resolved:
        run_values, method_values, unused = split_overrides(overrides, method=method)
        used |= set(overrides) - set(unused)
    unused = sorted(set(overrides) - used)
    if unused:
        raise HashxValueError(f"The setting(s) {', '.join(repr(k) for k in unused)} apply to none of the methods "
                              f"{', '.join(methods)}.")
    plan = []
    for name, method, settings in resolved:
        for nbits in bits:
            for seed in range(seeds):
                values = {**qualified(method, settings), **overrides, "run.nbits": nbits, "run.seed": seed}
                if epochs is not None:
                    values["run.epochs"] = epochs
                plan.append((name, nbits, seed, *configure(method, values, strict=False)))
    return plan


def run_benchmark(dataset, split, *, protocol: str, methods, bits, seeds: int = 3, out_dir,
                  epochs: int | None = None, overrides: dict | None = None, ks=DEFAULT_KS, device="cpu",
                  db_codes: str = "features", progress: Callable[[dict], None] | None = None,
                  distribution=None) -> list[dict]:
    """Train and evaluate every (method, bits, seed) on one protocol.

    For each run: train on ``split.fit`` with model selection on ``split.val``
    (:func:`hashx.train.train`), encode the query and retrieval sets with the
    selected model, and evaluate the four retrieval directions (image->text,
    text->image, image->image, text->text) with
    :func:`hashx.metrics.retrieval_report` (ties by database index).  The query
    set is used only here, after training.  Every run is planned and
    validated (:func:`plan_runs`) before the first one starts.

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
        Further settings for every run, keys as in
        :func:`hashx.methods.configure` (``epochs``, ``ssah.alignment``,
        ``alignment``, ...): a bare method setting applies to each method that
        has it, and each key must apply to at least one method.
    ks : sequence of int
        Cut-offs of MAP@k and P@k.
    device : str, default="cpu"
    db_codes : {"features", "learned"}, default="features"
        How the retrieval set is coded (:data:`hashx.experiments.DB_CODES`):
        by the networks from each item's own features, or, for retrieval
        items that were training items, by the codes the method learned for
        them (as several published evaluations do; methods that learn no
        codes fall back to ``features``).  Recorded in every record; a
        finished run's model is reused when the other choice is evaluated.
    progress : callable, optional
        Called with each finished run's summary dict.
    distribution : Distribution, optional
        Train every run data-parallel (:mod:`hashx.train.distributed`); rank
        0 alone evaluates and writes the records.

    Returns
    -------
    list of dict
        One record per run and direction: ``dataset``, ``protocol``, ``method``,
        ``bits``, ``seed``, ``direction``, ``map`` (MAP@all), ``map_at`` (k ->
        MAP@k), ``precision_at`` (k -> P@k), ``precision_within_radius``,
        ``pr_curve``, ``precision_curve``, ``train_seconds``, ``eval_seconds``
        (encoding and evaluating the run's four directions), ``db_codes``
        (the choice asked for), ``db_learned`` (retrieval items coded by
        learned codes), ``best_epoch``,
        ``val_map`` (the selected model's validation MAP, mean of both
        cross-modal directions), ``notes`` (the dataset's provenance).
    """
    from ..train import BEST_MODEL, LAST_CHECKPOINT, train

    check_choice(db_codes, "db_codes", DB_CODES, caller="run_benchmark")
    plan = plan_runs(methods, bits, seeds, epochs=epochs, overrides=overrides)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results_path = out_dir / RESULTS_FILE
    if distribution is None or distribution.is_main:  # what a killed earlier bench left behind
        with _records_lock(results_path):  # never another live bench's temporary
            remove_stale_temporaries(out_dir, [RESULTS_FILE])
        for run_dir in (out_dir / "runs").glob("*"):
            remove_stale_temporaries(run_dir, [FINISHED_FILE])
            remove_stale_temporaries(run_dir / "codes", [f"{p}-{m}.hxc" for p in ("query", "retrieval")
                                                         for m in ("image", "text")])
    records = read_records(results_path)
    done = {(r["method"], r["bits"], r["seed"], r.get("db_codes", "features")) for r in records
            if r.get("protocol") == protocol}
    main = distribution is None or distribution.is_main
    for name, nbits, seed, run, settings in plan:
        if (name, nbits, seed, db_codes) in done:
            log.info("skipping %s %d bits seed %d: already in %s", name, nbits, seed, results_path)
            continue
        run_dir = out_dir / "runs" / f"{name}-{nbits}bits-seed{seed}"
        trained = _train_once(run_dir, lambda: train(dataset, split, run_dir, method=settings, run=run, device=device,
                                                     resume=True, distribution=distribution),
                              BEST_MODEL, LAST_CHECKPOINT, write=main)
        if main:  # rank 0 evaluates and writes; the other ranks only help train
            new, summary = _evaluate_run(dataset, split, protocol, run_dir / BEST_MODEL, run_dir / "codes",
                                         name=name, nbits=nbits, seed=seed, trained=trained, db_codes=db_codes,
                                         ks=ks, device=device)
            records = _add_records(results_path, new)
            log.info("%s %d bits seed %d: I->T %.4f T->I %.4f (%.0f s)", name, nbits, seed,
                     summary["image->text"], summary["text->image"], trained["train_seconds"])
            if progress is not None:
                progress(summary)
        if distribution is not None:
            distribution.barrier()
    return [r for r in records if r.get("protocol") == protocol]


def _evaluate_run(dataset, split, protocol, best, codes_dir, *, name, nbits, seed, trained, db_codes, ks,
                  device) -> tuple[list, dict]:
    """Encode the query and retrieval sets with a run's selected model and evaluate every direction."""
    from ..train import load_encoder, load_learned_codes

    t0 = time.perf_counter()
    codes = _encode_split(load_encoder(best, device=device), dataset, split, codes_dir)
    learned = load_learned_codes(best) if db_codes == "learned" else None
    replaced = 0
    if learned is not None:
        for modality in ("image", "text"):
            codes["retrieval", modality], replaced = with_learned_codes(codes["retrieval", modality],
                                                                       split.retrieval, learned)
    labels_q, labels_db = dataset.labels[split.query], dataset.labels[split.retrieval]
    reports = {direction: retrieval_report(codes["query", qm], codes["retrieval", dm], labels_q, labels_db, ks=ks)
               for direction, (qm, dm) in DIRECTIONS.items()}
    eval_seconds = time.perf_counter() - t0
    summary = {"method": name, "bits": nbits, "seed": seed, "train_seconds": trained["train_seconds"]}
    records = []
    for direction, rep in reports.items():
        records.append({
            "dataset": dataset.name, "protocol": protocol, "method": name, "bits": nbits,
            "seed": seed, "direction": direction, "db_codes": db_codes, "db_learned": replaced,
            "map": rep["map"],
            "map_at": {str(k): v for k, v in rep["map_at"].items()},
            "precision_at": {str(k): v for k, v in rep["precision_at"].items()},
            "precision_within_radius": rep["precision_within_radius"],
            "pr_curve": rep["pr_curve"], "precision_curve": rep["precision_curve"],
            "train_seconds": trained["train_seconds"], "eval_seconds": round(eval_seconds, 3),
            "best_epoch": trained["best_epoch"], "val_map": trained["val_map"], "notes": dataset.notes,
        })
        summary[direction] = rep["map"]
    return records, summary


def _train_once(run_dir: Path, train_run, best_name: str, last_name: str, *, write: bool = True) -> dict:
    """Train a run unless its folder says it finished; return its ``finished.json`` summary.

    A finished run keeps its selected model and this small summary; its
    resumable training state (several times larger than the model) is deleted.
    ``write=False`` (the other ranks of a data-parallel run) leaves the files to rank 0.
    """
    marker = run_dir / FINISHED_FILE
    if marker.exists() and (run_dir / best_name).exists():
        return json.loads(marker.read_text(encoding="utf-8"))
    t0 = time.perf_counter()
    result = train_run()
    summary = {"train_seconds": round(time.perf_counter() - t0, 2), "best_epoch": result.best_epoch,
               "val_map": result.best_score, "epochs_run": len(result.history)}
    if write:
        with atomic_write(marker, "w") as f:
            json.dump(summary, f)
        (run_dir / last_name).unlink(missing_ok=True)
    return summary


def read_records(path) -> list:
    """The records of a ``results.json`` (an empty list if the file does not exist).

    Raises
    ------
    DataFormatError
        The file is not valid JSON or not a list of records (e.g. truncated
        by hand); delete or repair it to start the benchmark over.
    """
    path = Path(path)
    if not path.exists():
        return []
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:  # RecursionError: nested too deeply
        raise DataFormatError(f"Results file {str(path)!r} is corrupted ({exc}); delete or repair it to "
                              f"start the benchmark over.") from None
    keys = ("method", "bits", "seed", "direction", "map")
    if not isinstance(records, list) or not all(isinstance(r, dict) and all(k in r for k in keys) for r in records):
        raise DataFormatError(f"Results file {str(path)!r} is not a list of benchmark records (each with "
                              f"{', '.join(keys)}); delete or repair it to start the benchmark over.")
    return records
