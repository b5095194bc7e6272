"""NetSettings: the network settings shared by every method with an image and a text network."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import AUTO
from ..models.modality_nets import check_net_settings
from ..train.method import MethodSettings

__all__ = ["NetSettings"]


@dataclass(frozen=True, kw_only=True)
class NetSettings(MethodSettings):
    """Base of the settings of methods built on :func:`hashx.models.modality_net_specs`.

    It holds the fields of :data:`hashx.models.modality_nets.NET_SETTINGS`
    and checks them; a method's settings class extends it with its own
    hyperparameters (and may change a default, as DCMH does for
    ``text_net``).  Each subclass documents the fields.

    Parameters
    ----------
    image_net : str, default="auto"
    text_net : str, default="auto"
    hidden_dim : int or "auto", default="auto"
    feature_dim : int, default=512
    image_norm, text_norm : str, default="auto"
    vggf_path : str or None, default=None
    """

    image_net: str = AUTO
    text_net: str = AUTO
    hidden_dim: int | str = AUTO
    feature_dim: int = 512
    image_norm: str = AUTO
    text_norm: str = AUTO
    vggf_path: str | None = None

    def __post_init__(self):
        check_net_settings(self, caller=type(self).__name__)
