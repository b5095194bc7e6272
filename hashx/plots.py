"""Figures of retrieval results: PR curves and precision@k curves, several methods per figure.

matplotlib is imported inside the functions (so ``import hashx`` and the
search path never load it), and figures are drawn with the Agg renderer on
a figure object of their own, so the global pyplot backend and state are left
alone.  Files are written atomically (temporary file + rename).

Examples
--------
>>> from hashx.metrics import pr_curve, precision_at_k
>>> curves = {"SSAH": pr_curve(qc, db, ql, dl), "DCMH": pr_curve(qc2, db2, ql, dl)}  # doctest: +SKIP
>>> plot_pr_curves(curves, "pr.png", title="MIRFlickr, 64 bits, image -> text")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ._atomic import atomic_write
from ._validation import check_int
from .exceptions import HashxTypeError, HashxValueError

__all__ = ["plot_pr_curves", "plot_precision_at_k"]


def _require_matplotlib(caller: str):
    try:
        import matplotlib  # noqa: F401
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(
            f"{caller} needs matplotlib, a dependency of hashx that is missing from this environment. "
            "Install it with: pip install matplotlib"
        ) from exc
    return Figure, FigureCanvasAgg


def _check_curves(curves, caller: str, first_name: str, second_name: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    if not isinstance(curves, Mapping):
        raise HashxTypeError(
            f"The 'curves' parameter of {caller} must be a mapping {{method name: ({first_name}, {second_name})}}. "
            f"Got {type(curves).__name__} instead."
        )
    if len(curves) == 0:
        raise HashxValueError(f"The 'curves' parameter of {caller} must hold at least one curve. Got an empty mapping.")
    checked = {}
    for name, pair in curves.items():
        if not isinstance(name, str):
            raise HashxTypeError(
                f"The 'curves' parameter of {caller} must be keyed by method names (str). Got key {name!r}."
            )
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise HashxValueError(
                f"The 'curves' parameter of {caller} must map each method to a pair ({first_name}, {second_name}). "
                f"Got {type(pair).__name__} for {name!r}."
            )
        first, second = (np.asarray(a) for a in pair)
        for label, arr in ((first_name, first), (second_name, second)):
            if arr.ndim != 1 or arr.size == 0 or arr.dtype.kind not in "iuf":
                raise HashxValueError(
                    f"The 'curves' parameter of {caller} must hold non-empty 1-d numeric arrays. "
                    f"Got {label} of shape {arr.shape} and dtype {arr.dtype} for {name!r}."
                )
        if first.shape != second.shape:
            raise HashxValueError(
                f"The 'curves' parameter of {caller} must pair arrays of equal length. "
                f"Got {first_name} of length {first.size} and {second_name} of length {second.size} for {name!r}."
            )
        checked[name] = (first.astype(np.float64), second.astype(np.float64))
    return checked


def _check_path(path, caller: str) -> Path:
    if not isinstance(path, (str, Path)):
        raise HashxTypeError(f"The 'path' parameter of {caller} must be a str or Path. Got {type(path).__name__}.")
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise HashxValueError(f"The 'path' parameter of {caller} must end in '.png'. Got {str(path)!r} instead.")
    if not path.parent.is_dir():
        raise HashxValueError(
            f"The 'path' parameter of {caller} must be in an existing directory. "
            f"Got {str(path)!r}, but {str(path.parent)!r} is not a directory."
        )
    return path


def _render(caller, curves, path, title, width, height, dpi, xlabel, ylabel, draw, *, unit_x=False):
    Figure, FigureCanvasAgg = _require_matplotlib(caller)
    path = _check_path(path, caller)
    width = check_int(width, "width", caller=caller, min_value=64, max_value=10000)
    height = check_int(height, "height", caller=caller, min_value=64, max_value=10000)
    dpi = check_int(dpi, "dpi", caller=caller, min_value=10, max_value=1200)
    if title is not None and not isinstance(title, str):
        raise HashxTypeError(f"The 'title' parameter of {caller} must be a str or None. Got {type(title).__name__}.")
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for name, (first, second) in curves.items():
        draw(ax, name, first, second)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0.0, 1.02)
    if unit_x:
        ax.set_xlim(0.0, 1.02)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    with atomic_write(path, "wb") as f:
        fig.savefig(f, format="png", dpi=dpi)
    return path


def plot_pr_curves(curves, path, *, title=None, width=640, height=480, dpi=100) -> Path:
    """Draw precision-recall curves of several methods on one figure and save it as PNG.

    Parameters
    ----------
    curves : mapping of str to (precision, recall)
        Method name -> ``(precision, recall)``, two 1-d arrays of equal length,
        e.g. what :func:`hashx.metrics.pr_curve` returns (one point per Hamming
        radius).  NaN points are left out of the line.
    path : str or Path
        Destination ``.png`` file in an existing directory; written atomically.
    title : str, optional
    width, height : int, default=640, 480
        Size of the image in pixels.
    dpi : int, default=100

    Returns
    -------
    Path
        The file written.
    """

    def draw(ax, name, precision, recall):
        ax.plot(recall, precision, marker="o", markersize=3, label=name)

    checked = _check_curves(curves, "plot_pr_curves", "precision", "recall")
    return _render("plot_pr_curves", checked, path, title, width, height, dpi, "Recall", "Precision", draw,
                   unit_x=True)


def plot_precision_at_k(curves, path, *, title=None, width=640, height=480, dpi=100) -> Path:
    """Draw precision@k curves of several methods on one figure and save it as PNG.

    Parameters
    ----------
    curves : mapping of str to (ks, precision)
        Method name -> ``(ks, precision)``: the cut-offs and the precision at
        each, e.g. ``(ks, hashx.metrics.precision_at_k(..., ks))``.
    path : str or Path
        Destination ``.png`` file in an existing directory; written atomically.
    title : str, optional
    width, height : int, default=640, 480
        Size of the image in pixels.
    dpi : int, default=100

    Returns
    -------
    Path
        The file written.
    """

    def draw(ax, name, ks, precision):
        ax.plot(ks, precision, marker="o", markersize=3, label=name)

    checked = _check_curves(curves, "plot_precision_at_k", "ks", "precision")
    return _render("plot_precision_at_k", checked, path, title, width, height, dpi,
                   "Number of retrieved items (k)", "Precision@k", draw)
