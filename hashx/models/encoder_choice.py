"""Networks and input normalisation chosen from the data, for every method.

A method's settings may say ``"auto"`` for its image and text networks, their
hidden width and their input normalisation; :func:`modality_net_specs` then
decides from the training data, logs what it chose and why, and returns
specs whose constructor arguments record the choice (so an encoder rebuilt
from a checkpoint is the same network).  Naming a value instead of
``"auto"`` overrides the choice.

The rules
---------
Input normalisation (:func:`choose_input_norm`), from the training values:

* sparse non-negative integers -- at least :data:`SPARSE_ZERO_FRACTION` of
  the entries zero, rows not all summing to 1: binary tags, bag-of-words
  over a large vocabulary -- get ``"rms"``: one global scale, which keeps
  zeros zero and lets a long sparse vector keep its sparsity;
* everything else gets ``"standardize"``: per-dimension mean and standard
  deviation, so that no dimension dominates by scale alone.  That covers
  probability vectors (topic proportions), dense real features (CNN
  activations, embeddings) and dense non-negative integers (pixel
  intensities, histograms over a small vocabulary): on digits-quadrants
  (pixels 0-16, half of them zero) RMS scaling cost 0.03-0.07 validation
  MAP against standardising, on digits-halves it was 0.012 ahead
  (``benchmarks/results/defaults-ablation.md``).

Text network (:func:`choose_text_net`): SSAH's multi-scale fusion
(``"text_net"``) pools windows of 5 to 50 entries; on a vector shorter than
:data:`MIN_FUSION_DIM` (five times the widest window) those pools collapse
towards global means, so a plain MLP (``"text_mlp"``) is chosen instead.

Hidden width (:func:`choose_hidden_dim`): the power of two nearest to half
the number of training items, clipped to [:data:`MIN_HIDDEN_DIM`,
:data:`MAX_HIDDEN_DIM`] = [1024, 4096]: 4,096 (SSAH's width) from about 5,800
training items up, 2,048 from about 2,900, 1,024 below (a 4,096-wide layer
over 2,000 items overfits).  The floor is 1,024, not 512: at 512 (what the
rule chose for the digits proxies' 1,226 fitted items) 16-bit SSAH failed on
3 of 5 digits-halves seeds, validation MAP 0.65-0.81 against 0.92-0.93 at
1,024 (``benchmarks/results/width-rule.md``).
"""

from __future__ import annotations

import logging
import math

import numpy as np

from .._validation import check_int
from ..exceptions import HashxValueError
from .image_spec import NetSpec, image_net_spec
from .input_norm import INPUT_NORMS
from .registry import list_models
from .text_net import SSAH_WINDOWS

__all__ = [
    "AUTO",
    "MIN_FUSION_DIM",
    "MIN_HIDDEN_DIM",
    "MAX_HIDDEN_DIM",
    "SPARSE_ZERO_FRACTION",
    "choose_input_norm",
    "choose_text_net",
    "choose_hidden_dim",
    "modality_net_specs",
    "check_auto_choice",
]

log = logging.getLogger(__name__)

#: The setting value that asks for a choice made from the data.
AUTO = "auto"
#: Shortest text vector given multi-scale fusion by ``text_net="auto"``.
MIN_FUSION_DIM = 5 * max(SSAH_WINDOWS)
#: Least fraction of zero entries that makes integer values sparse counts (RMS-scaled).
SPARSE_ZERO_FRACTION = 0.9
#: Narrowest and widest hidden layer ``hidden_dim="auto"`` chooses.
MIN_HIDDEN_DIM = 1024
MAX_HIDDEN_DIM = 4096
_SAMPLE_ROWS = 4096


def _as_numpy(values) -> np.ndarray:
    """The first rows of ``values`` (ndarray, torch tensor or array-like) as a float64 array."""
    rows = values[:_SAMPLE_ROWS]
    if hasattr(rows, "detach"):
        rows = rows.detach().cpu().numpy()
    elif hasattr(rows, "toarray"):
        rows = rows.toarray()
    return np.asarray(rows, dtype=np.float64)


def choose_input_norm(values) -> tuple[str, str]:
    """``(norm, reason)`` for training values of shape (n, d) (see the module docstring).

    Decided on the first 4,096 rows (the same rows every time).
    """
    x = _as_numpy(values)
    if x.size == 0:
        return "standardize", "no values to inspect"
    nonneg = bool(x.min() >= 0)
    integer = bool(np.all(x == np.round(x)))
    simplex = nonneg and bool(np.allclose(x.sum(axis=1), 1.0, atol=1e-3))
    if simplex:
        return "standardize", "probability vectors (rows sum to 1)"
    zeros = float(np.mean(x == 0))
    if nonneg and integer and zeros >= SPARSE_ZERO_FRACTION:
        return "rms", f"sparse non-negative integer counts ({zeros:.0%} zeros: bag-of-words / tags)"
    if nonneg and integer:
        return "standardize", f"dense non-negative integers ({zeros:.0%} zeros: intensities or short histograms)"
    return "standardize", "dense real-valued features"


def choose_text_net(text_dim: int) -> tuple[str, str]:
    """``(registered text network, reason)`` for text vectors of width ``text_dim``."""
    if text_dim >= MIN_FUSION_DIM:
        return "text_net", f"{text_dim}-d text: long enough for multi-scale fusion"
    return "text_mlp", f"{text_dim}-d text: shorter than {MIN_FUSION_DIM}, too short for multi-scale fusion"


def choose_hidden_dim(n_fit: int) -> int:
    """Hidden width for ``n_fit`` training items: 2**round(log2(n_fit / 2)) clipped to [1024, 4096]."""
    n_fit = check_int(n_fit, "n_fit", caller="choose_hidden_dim", min_value=1)
    return int(min(MAX_HIDDEN_DIM, max(MIN_HIDDEN_DIM, 2 ** round(math.log2(max(n_fit / 2, 1))))))


def check_auto_choice(value, name: str, choices, *, caller: str):
    """Check a setting that is ``"auto"`` or one of ``choices``."""
    if value != AUTO and value not in choices:
        listed = ", ".join(repr(c) for c in [AUTO, *choices])
        raise HashxValueError(f"The '{name}' parameter of {caller} must be one of {listed}. Got {value!r} instead.")
    return value


def modality_net_specs(*, dims, nbits: int, n_fit: int, image_values, text_values, image_net: str = AUTO,
                       text_net: str = AUTO, hidden_dim=AUTO, feature_dim: int = 512, image_norm: str = AUTO,
                       text_norm: str = AUTO, vggf_path: str | None = None,
                       caller: str = "modality_net_specs") -> dict:
    """The image and text networks for the data at hand.

    Parameters
    ----------
    dims : DataDims
        ``image_kind``, ``image_dim``, ``text_dim``, ``n_labels``.
    nbits : int
    n_fit : int
        Number of training items (chooses ``hidden_dim="auto"``).
    image_values, text_values : array-like of shape (n, d), or None
        Training inputs (numpy arrays or torch tensors) that ``"auto"``
        normalisation inspects; ``image_values`` is None for raw images.
    image_net : {"auto", "image_mlp", "image_cnnf"}
    text_net : "auto" or a registered text network
    hidden_dim : int or "auto"
    feature_dim : int
    image_norm, text_norm : "auto" or one of ``INPUT_NORMS``
    vggf_path : str or None
        CNN-F weights for raw images.
    caller : str
        Named in error messages (the settings class).

    Returns
    -------
    dict
        ``{"image": NetSpec, "text": NetSpec}``; the kwargs hold the resolved
        width and normalisation.
    """
    check_auto_choice(text_net, "text_net", list_models(role="text"), caller=caller)
    check_auto_choice(image_norm, "image_norm", INPUT_NORMS, caller=caller)
    check_auto_choice(text_norm, "text_norm", INPUT_NORMS, caller=caller)
    if hidden_dim != AUTO:
        check_int(hidden_dim, "hidden_dim", caller=caller, min_value=1)
    choices = []
    if hidden_dim == AUTO:
        hidden_dim = choose_hidden_dim(n_fit)
        choices.append(f"hidden_dim={hidden_dim} ({n_fit} training items)")
    if text_net == AUTO:
        text_net, why = choose_text_net(dims.text_dim)
        choices.append(f"text_net={text_net} ({why})")
    if text_norm == AUTO:
        text_norm, why = choose_input_norm(text_values)
        choices.append(f"text_norm={text_norm} ({why})")
    if image_norm == AUTO:
        image_norm, why = ("standardize", "raw images") if image_values is None else choose_input_norm(image_values)
        if dims.image_kind == "features":
            choices.append(f"image_norm={image_norm} ({why})")
    if choices:
        log.info("%s chose from the data: %s", caller, "; ".join(choices))
    image = image_net_spec(image_net, image_kind=dims.image_kind, image_dim=dims.image_dim, n_labels=dims.n_labels,
                           nbits=nbits, feature_dim=feature_dim, hidden_dim=hidden_dim, norm=image_norm,
                           vggf_path=vggf_path, caller=caller)
    text = NetSpec(text_net, {"in_dim": dims.text_dim, "n_labels": dims.n_labels, "nbits": nbits,
                              "hidden_dim": hidden_dim, "feature_dim": feature_dim, "norm": text_norm}, None)
    return {"image": image, "text": text}
