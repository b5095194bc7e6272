"""Named method variants: a registered method plus settings, e.g. SSAH without its adversarial module.

=====================  ==========================================================================
name                   what it is
=====================  ==========================================================================
``ssah``               SSAH as hashx implements the paper (alternating GAN updates, shared codes B)
``ssah-noadv``         SSAH with no adversarial module (the ablation: the loss left out)
``ssah-grl``           SSAH aligned with a gradient-reversal layer instead of alternating updates
``ssah-official``      the official code's three deviations together: squared pairwise loss,
                       detached adversarial features (no gradient to the image/text networks),
                       per-batch self-sign quantisation
``ssah-squared``       only the official code's squared pairwise loss
``ssah-detached``      only the official code's detached adversarial features
``ssah-selfsign``      only the official code's per-batch self-sign quantisation
=====================  ==========================================================================

Any name registered in :mod:`hashx.methods` is accepted as well (with no
extra settings).
"""

from __future__ import annotations

from .._validation import check_choice

__all__ = ["VARIANTS", "resolve_method", "method_names"]

VARIANTS = {
    "ssah": ("ssah", {}),
    "ssah-noadv": ("ssah", {"alignment": "none"}),
    "ssah-grl": ("ssah", {"alignment": "grl"}),
    "ssah-official": ("ssah", {"pairwise_loss": "squared_nll", "alignment": "gan_detached",
                               "quantization": "self_sign"}),
    "ssah-squared": ("ssah", {"pairwise_loss": "squared_nll"}),
    "ssah-detached": ("ssah", {"alignment": "gan_detached"}),
    "ssah-selfsign": ("ssah", {"quantization": "self_sign"}),
}


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
