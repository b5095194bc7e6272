"""Named method variants: a registered method plus settings, e.g. SSAH without its adversarial module.

=====================  ==========================================================================
name                   what it is
=====================  ==========================================================================
``ssah``               SSAH at its defaults (data-adaptive settings; image and text features
                       aligned with each other by the paper's discriminators)
``ssah-noadv``         SSAH with no adversarial module (the ablation: the loss left out)
``ssah-grl``           SSAH aligned with a gradient-reversal layer instead of alternating updates
``ssah-official``      the official code's three deviations together: squared pairwise loss,
                       detached adversarial features (no gradient to the image/text networks),
                       per-batch self-sign quantisation
``ssah-squared``       only the official code's squared pairwise loss
``ssah-detached``      only the official code's detached adversarial features
``ssah-selfsign``      only the official code's per-batch self-sign quantisation
``ssah-v1``            every setting as hashx 0.1 had it (SSAH's widths, 40 epochs, no early
                       stopping, RMS-scaled text, the GAN alignment), to reproduce its results
``ssah-gan``           the paper's form: alternating GAN updates against the label features
``ssah-projection``    label-conditioned (projection) discriminators against the label features
``ssah-wgan``          Wasserstein critics with a gradient penalty against the label features
                       (``ssah``'s alignment until image-to-text alignment replaced it)
``ssah-noise``         ``ssah-gan`` with annealed instance noise on the discriminators' inputs
``ssah-crossmodal``    the GAN, image and text features aligned with each other, not the labels'
                       (``ssah``'s alignment, spelled out: older tables' rows rerun under it)
``ssah-width4096``     ``ssah`` with hashx 0.1's width (4,096) instead of the data-chosen one
``ssah-width512``      ``ssah`` at a fixed hidden width of 512 (likewise ``-width1024``,
                       ``-width2048``): the points the width rule chooses between
``ssah-v1norm``        ``ssah`` with hashx 0.1's input norms (standardised images, RMS-scaled text)
``ssah-fusion``        ``ssah`` with multi-scale text fusion whatever the text's length
``ssah-40epochs``      ``ssah`` with hashx 0.1's schedule (40 epochs, no early stopping)
``ssah-standardize``   ``ssah`` with both inputs standardised, whatever they hold
=====================  ==========================================================================

``ssah-width4096`` to ``ssah-40epochs`` each put back one of hashx 0.1's settings into ``ssah``: the
leave-one-out ablations that measure what each data-driven default buys
(``ssah-gan`` does the same for the alignment).

Any name registered in :mod:`hashx.methods` is accepted as well (with no
extra settings).  A variant's settings are the method's (bare keys) and the
run's (keys ``run.X``).
"""

from __future__ import annotations

from .._validation import check_choice

__all__ = ["VARIANTS", "resolve_method", "method_names", "qualified"]

VARIANTS = {
    "ssah": ("ssah", {}),
    "ssah-noadv": ("ssah", {"alignment": "none"}),
    "ssah-grl": ("ssah", {"alignment": "grl", "align_to": "label"}),
    "ssah-official": ("ssah", {"pairwise_loss": "squared_nll", "alignment": "gan_detached",
                               "align_to": "label", "quantization": "self_sign"}),
    "ssah-squared": ("ssah", {"pairwise_loss": "squared_nll"}),
    "ssah-detached": ("ssah", {"alignment": "gan_detached", "align_to": "label"}),
    "ssah-selfsign": ("ssah", {"quantization": "self_sign"}),
    "ssah-v1": ("ssah", {"image_net": "auto", "text_net": "text_net", "hidden_dim": 4096, "feature_dim": 512,
                         "image_norm": "standardize", "text_norm": "rms", "alignment": "gan", "align_to": "label",
                         "instance_noise": 0.0, "delta": 0.01, "lr_label": 1e-3, "lr_image": 1e-3, "lr_text": 1e-3,
                         "lr_discriminator": 1e-4, "run.epochs": 40, "run.patience": None,
                         "run.lr_schedule": "cosine", "run.lr_min_factor": 0.1}),
    "ssah-gan": ("ssah", {"alignment": "gan", "align_to": "label"}),
    "ssah-projection": ("ssah", {"alignment": "projection", "align_to": "label"}),
    "ssah-wgan": ("ssah", {"alignment": "wgan_gp", "align_to": "label"}),
    "ssah-noise": ("ssah", {"alignment": "gan", "align_to": "label", "instance_noise": 1.0}),
    "ssah-crossmodal": ("ssah", {"alignment": "gan", "align_to": "modality"}),
    "ssah-width512": ("ssah", {"hidden_dim": 512}),
    "ssah-width1024": ("ssah", {"hidden_dim": 1024}),
    "ssah-width2048": ("ssah", {"hidden_dim": 2048}),
    "ssah-width4096": ("ssah", {"hidden_dim": 4096}),
    "ssah-v1norm": ("ssah", {"image_norm": "standardize", "text_norm": "rms"}),
    "ssah-fusion": ("ssah", {"text_net": "text_net"}),
    "ssah-40epochs": ("ssah", {"run.epochs": 40, "run.patience": None}),
    "ssah-standardize": ("ssah", {"image_norm": "standardize", "text_norm": "standardize"}),
}


def qualified(method: str, settings: dict) -> dict:
    """A variant's settings with every key qualified: ``run.X`` kept, a bare key made ``<method>.X``."""
    return {k if k.startswith("run.") else f"{method}.{k}": v for k, v in settings.items()}


def method_names() -> list[str]:
    """Every name :func:`resolve_method` accepts: the registered methods, then the variants."""
    from ..methods import list_methods

    return list(dict.fromkeys([*list_methods(), *VARIANTS]))


def resolve_method(name: str) -> tuple[str, dict]:
    """``(registered method, method settings)`` of a variant or method name.

    Raises
    ------
    HashxValueError
        Unknown name; the message lists the valid ones and suggests the closest.
    """
    check_choice(name, "method", method_names(), caller="resolve_method")
    if name in VARIANTS:
        return VARIANTS[name][0], dict(VARIANTS[name][1])
    return name, {}
