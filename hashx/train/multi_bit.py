"""train_bits: one model per code length on one protocol, each in its own folder."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .._validation import check_int
from ..exceptions import HashxValueError
from .result import EpochReport, TrainResult
from .run_config import RunConfig
from .run_file import write_run_file
from .trainer import train

__all__ = ["train_bits", "run_dir_name"]


def run_dir_name(method: str, nbits: int) -> str:
    """Folder of one bit length's run inside ``train_bits``'s output: ``<method>-<nbits>bits``."""
    return f"{method}-{nbits}bits"


def train_bits(dataset, split, out_dir, *, method, run: RunConfig, bits, device="cpu", resume: bool = False,
               progress: Callable[[int, EpochReport], None] | None = None,
               distribution=None) -> list[TrainResult]:
    """Train one model per code length in ``bits``.

    Writes ``out_dir/split.json`` (the split, with its sha256) and, per bit
    length, ``out_dir/<method>-<bits>bits/`` holding ``config.json`` (the
    run file, :func:`hashx.train.write_run_file`), ``model-best.pt`` and
    ``checkpoint-last.pt`` (:func:`hashx.train.train`).  Every bit length is
    validated before any training starts.

    Parameters
    ----------
    dataset, split
        As in :func:`hashx.train.train`.
    out_dir : str or os.PathLike
    method : MethodSettings
    run : RunConfig
        Its ``nbits`` is replaced by each of ``bits``.
    bits : sequence of int
        Distinct code lengths.
    device : str, default="cpu"
    resume : bool, default=False
        Continue interrupted runs (and skip finished ones).
    progress : callable, optional
        Called as ``progress(nbits, report)`` after each epoch.
    distribution : Distribution, optional
        This process's rank in a data-parallel run (rank 0 writes the files).

    Returns
    -------
    list of TrainResult
        One per bit length, in the order of ``bits``.
    """
    bits = [check_int(b, "bits", caller="train_bits", min_value=8) for b in bits]
    if not bits:
        raise HashxValueError("The 'bits' parameter of train_bits must hold at least one code length.")
    duplicates = sorted({b for b in bits if bits.count(b) > 1})
    if duplicates:
        raise HashxValueError(f"The 'bits' parameter of train_bits lists {duplicates} more than once; each code "
                              f"length is trained once.")
    runs = [run.replace(nbits=b, method=run.method or method.method_name) for b in bits]  # validates every one
    main = distribution is None or distribution.is_main
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if main:
        split.save(out_dir / "split.json")
    results = []
    for r in runs:
        run_dir = out_dir / run_dir_name(r.method, r.nbits)
        run_dir.mkdir(exist_ok=True)
        if main:
            write_run_file(run_dir / "config.json", r, method, dataset=dataset.name, split_sha256=split.sha256)
        callback = None if progress is None else (lambda report, nbits=r.nbits: progress(nbits, report))
        results.append(train(dataset, split, run_dir, method=method, run=r, device=device, resume=resume,
                             progress=callback, distribution=distribution))
    return results
