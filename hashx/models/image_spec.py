"""Choosing the image network for the data at hand: an MLP on feature vectors, CNN-F on raw images."""

from __future__ import annotations

import logging
from typing import NamedTuple

from ..exceptions import HashxValueError

__all__ = ["NetSpec", "ImageNetSpec", "image_net_spec", "IMAGE_NET_CHOICES"]

log = logging.getLogger(__name__)

#: Values of a method's ``image_net`` setting.
IMAGE_NET_CHOICES = ("auto", "image_mlp", "image_cnnf")


class NetSpec(NamedTuple):
    """A registered network, its constructor arguments and optional pretrained weights."""

    name: str
    kwargs: dict
    state: dict | None


#: The spec of an image network (the same tuple).
ImageNetSpec = NetSpec


def image_net_spec(image_net: str, *, image_kind: str, image_dim, n_labels: int, nbits: int, feature_dim: int,
                   hidden_dim: int, norm: str, vggf_path: str | None = None,
                   caller: str = "image_net_spec") -> NetSpec:
    """The image network for ``image_kind`` data.

    Parameters
    ----------
    image_net : {"auto", "image_mlp", "image_cnnf"}
        ``"auto"`` picks ``"image_mlp"`` for feature vectors and
        ``"image_cnnf"`` for raw images; naming one that does not fit the data
        is an error.
    image_kind : {"features", "raw"}
    image_dim : int or tuple
        Feature width, or the (H, W, 3) image shape.
    n_labels, nbits, feature_dim : int
        The heads' sizes.
    hidden_dim : int
        Hidden width of the MLP.
    norm : str
        Input normalisation of the MLP (:class:`~hashx.models.InputNorm`).
    vggf_path : str or None
        MatConvNet ``imagenet-vgg-f.mat`` for the CNN-F trunk (None: random weights).
    caller : str
        Named in error messages (the settings class).

    Returns
    -------
    NetSpec
        ``state`` holds the CNN-F weights read from ``vggf_path`` (else None).
    """
    name = "image_mlp" if image_net == "auto" and image_kind == "features" else (
        "image_cnnf" if image_net == "auto" else image_net)
    if (name == "image_mlp") != (image_kind == "features"):
        raise HashxValueError(
            f"The 'image_net' parameter of {caller} is {image_net!r}, which does not fit {image_kind!r} image "
            f"data; use 'auto', 'image_mlp' for feature vectors or 'image_cnnf' for raw images."
        )
    common = {"n_labels": n_labels, "nbits": nbits, "feature_dim": feature_dim}
    if name == "image_mlp":
        return NetSpec(name, {**common, "in_dim": int(image_dim), "hidden_dim": hidden_dim, "norm": norm}, None)
    if vggf_path is None:
        log.warning("image_cnnf without vggf_path: the CNN-F trunk starts from random weights.")
        return NetSpec(name, common, None)
    from .pretrained_cnnf import cnnf_kwargs_and_state

    kwargs, state = cnnf_kwargs_and_state(vggf_path)
    return NetSpec(name, {**common, **kwargs}, state)
