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

from ..exceptions import HashxValueError

__all__ = ["VARIANTS", "resolve_method"]

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


def resolve_method(name: str) -> tuple[str, dict]:
    """``(registered method, settings)`` of a variant or method name.

    Raises
    ------
    HashxValueError
        Unknown name; the message lists the valid ones.
    """
    from ..methods import list_methods

    if name in VARIANTS:
        return VARIANTS[name][0], dict(VARIANTS[name][1])
    if name in list_methods():
        return name, {}
    valid = sorted(set(VARIANTS) | set(list_methods()))
    raise HashxValueError(f"Unknown method {name!r}. Valid methods and variants: {', '.join(valid)}.")
