"""A method's image and text networks: checked settings, seeded construction, fitted input normalisers.

Methods whose image and text networks are chosen by :func:`modality_net_specs`
(DCMH, CSQ, ...) share these steps; each is written once here:

* :func:`check_net_settings` validates the settings fields that choose the
  networks (:data:`NET_SETTINGS`);
* :func:`build_modality_nets` builds both networks from ``run.seed``
  without touching torch's global random state, loading pretrained CNN-F
  weights where the spec carries them;
* :func:`fit_input_norms` fits the networks' input normalisers on the fit items.
"""

from __future__ import annotations

import torch

from .._validation import check_choice, check_int
from ..exceptions import HashxTypeError, HashxValueError
from .encoder_choice import AUTO, modality_net_specs
from .image_spec import IMAGE_NET_CHOICES
from .input_norm import INPUT_NORMS, InputNorm
from .registry import create_model, list_models

__all__ = ["NET_SETTINGS", "check_net_settings", "build_modality_nets", "fit_input_norms"]

#: The settings fields that choose a method's image and text networks (see :func:`modality_net_specs`).
NET_SETTINGS = ("image_net", "text_net", "hidden_dim", "feature_dim", "image_norm", "text_norm", "vggf_path")


def check_net_settings(settings, *, caller: str) -> None:
    """Check the :data:`NET_SETTINGS` fields of a method's settings object.

    Parameters
    ----------
    settings : object
        Has the attributes named in :data:`NET_SETTINGS`.
    caller : str
        The settings class, named in error messages.

    Raises
    ------
    HashxValueError, HashxTypeError
        A value that is not ``"auto"`` or a valid choice, naming the parameter.
    """
    check_choice(settings.image_net, "image_net", IMAGE_NET_CHOICES, caller=caller)
    check_choice(settings.text_net, "text_net", [AUTO, *list_models(role="text")], caller=caller)
    if settings.hidden_dim != AUTO:
        check_int(settings.hidden_dim, "hidden_dim", caller=caller, min_value=1)
    check_int(settings.feature_dim, "feature_dim", caller=caller, min_value=1)
    check_choice(settings.image_norm, "image_norm", [AUTO, *INPUT_NORMS], caller=caller)
    check_choice(settings.text_norm, "text_norm", [AUTO, *INPUT_NORMS], caller=caller)
    if settings.vggf_path is not None and not isinstance(settings.vggf_path, str):
        raise HashxTypeError(f"The 'vggf_path' parameter of {caller} must be a str or None. "
                             f"Got {settings.vggf_path!r} instead.")


def build_modality_nets(settings, *, nbits: int, data, seed: int, device, caller: str) -> tuple[dict, dict]:
    """The image and text networks that ``settings`` choose for ``data``, initialised from ``seed``.

    Parameters
    ----------
    settings : object
        Has the :data:`NET_SETTINGS` attributes.
    nbits : int
    data : FitData
        The fit items (their shapes and values make the ``"auto"`` choices).
    seed : int
        Seeds the initial weights (image network first, then text), inside a
        forked random state: torch's global generator is left as it was.
    device : torch.device
    caller : str
        Named in error messages and in the log line of the choices.

    Returns
    -------
    nets : dict
        ``{"image": nn.Module, "text": nn.Module}`` on ``device``.
    spec : dict
        ``{"image": {"name": str, "kwargs": dict}, "text": {...}}``, how an
        encoder rebuilds them (:meth:`hashx.train.Method.encoder_spec`).
    """
    specs = modality_net_specs(dims=data.dims, nbits=nbits, n_fit=data.n, image_values=data.image,
                               text_values=data.text, image_net=settings.image_net, text_net=settings.text_net,
                               hidden_dim=settings.hidden_dim, feature_dim=settings.feature_dim,
                               image_norm=settings.image_norm, text_norm=settings.text_norm,
                               vggf_path=settings.vggf_path, caller=caller)
    nets = {}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for modality in ("image", "text"):
            spec = specs[modality]
            net = create_model(spec.name, **spec.kwargs)
            if spec.state is not None:
                _, unexpected = net.load_state_dict(spec.state, strict=False)
                if unexpected:
                    raise HashxValueError(f"Unexpected pretrained weights for {spec.name}: {unexpected}")
            nets[modality] = net.to(device)
    return nets, {m: {"name": spec.name, "kwargs": dict(spec.kwargs)} for m, spec in specs.items()}


def fit_input_norms(nets: dict, data) -> None:
    """Fit the input normaliser (:class:`InputNorm`) of each network that has one on the fit items.

    Parameters
    ----------
    nets : dict
        ``{"image": nn.Module, "text": nn.Module}``.
    data : FitData
        ``data.image`` (None for raw images, whose network has no normaliser) and ``data.text``.
    """
    for modality, values in (("image", data.image), ("text", data.text)):
        norm = getattr(nets[modality], "norm", None)
        if isinstance(norm, InputNorm) and values is not None:
            norm.fit(values.cpu().numpy())
