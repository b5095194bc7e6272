"""The two towers of a common-space method, with widths and input normalisation chosen from the data."""

from __future__ import annotations

import logging

from .._validation import check_int
from ..exceptions import HashxValueError
from .encoder_choice import AUTO, check_auto_choice, choose_hidden_dim, choose_input_norm
from .image_spec import NetSpec
from .input_norm import INPUT_NORMS

__all__ = ["common_space_specs"]

log = logging.getLogger(__name__)


def common_space_specs(*, dims, nbits: int, n_fit: int, image_values, text_values, hidden_dim=AUTO,
                       feature_dim: int, hidden_layers: int, activation: str, common_activation: str,
                       image_norm: str = AUTO, text_norm: str = AUTO, caller: str = "common_space_specs") -> dict:
    """Specs of the image and text :class:`~hashx.models.CommonSpaceTower` for the data at hand.

    ``"auto"`` values are resolved by the rules of
    :mod:`hashx.models.encoder_choice` (hidden width from the training-set
    size, normalisation from the values) and logged; the returned kwargs hold
    the resolved values, so an encoder rebuilt from a checkpoint is the same
    network.

    Parameters
    ----------
    dims : DataDims
        The towers read feature vectors: ``dims.image_kind`` must be ``"features"``.
    nbits : int
    n_fit : int
        Number of training items.
    image_values, text_values : array-like of shape (n, d)
        Training inputs that ``"auto"`` normalisation inspects.
    hidden_dim : int or "auto"
    feature_dim, hidden_layers : int
    activation, common_activation : str
        See :class:`~hashx.models.CommonSpaceTower`.
    image_norm, text_norm : "auto" or one of ``INPUT_NORMS``
    caller : str
        Named in messages (the settings class).

    Returns
    -------
    dict
        ``{"image": NetSpec("common_space_image", kwargs, None), "text": NetSpec("common_space_text", ...)}``.

    Raises
    ------
    HashxValueError
        Raw images (the towers need feature vectors), or an invalid choice.
    """
    if dims.image_kind != "features":
        raise HashxValueError(
            f"{caller} trains on image feature vectors (e.g. CNN fc7 activations); this dataset holds "
            f"{dims.image_kind!r} images of shape {dims.image_dim}. Extract image features first."
        )
    check_auto_choice(image_norm, "image_norm", INPUT_NORMS, caller=caller)
    check_auto_choice(text_norm, "text_norm", INPUT_NORMS, caller=caller)
    choices = []
    if hidden_dim == AUTO:
        hidden_dim = choose_hidden_dim(n_fit)
        choices.append(f"hidden_dim={hidden_dim} ({n_fit} training items)")
    check_int(hidden_dim, "hidden_dim", caller=caller, min_value=1)
    norms = {}
    for modality, norm, values in (("image", image_norm, image_values), ("text", text_norm, text_values)):
        if norm == AUTO:
            norm, why = choose_input_norm(values)
            choices.append(f"{modality}_norm={norm} ({why})")
        norms[modality] = norm
    if choices:
        log.info("%s chose from the data: %s", caller, "; ".join(choices))
    common = {"n_labels": dims.n_labels, "nbits": nbits, "hidden_dim": hidden_dim, "feature_dim": feature_dim,
              "hidden_layers": hidden_layers, "activation": activation, "common_activation": common_activation}
    return {
        "image": NetSpec("common_space_image", {"in_dim": int(dims.image_dim), **common, "norm": norms["image"]}, None),
        "text": NetSpec("common_space_text", {"in_dim": int(dims.text_dim), **common, "norm": norms["text"]}, None),
    }
