"""Resolving the training/encoding device."""

from __future__ import annotations

import torch

from ..exceptions import HashxValueError

__all__ = ["resolve_device"]


def resolve_device(device, *, caller: str = "train") -> torch.device:
    """``"cpu"``, ``"cuda"`` or ``"cuda:N"`` as a :class:`torch.device`.

    Raises
    ------
    HashxValueError
        If the string is not a device, or CUDA is asked for and not available.
    """
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise HashxValueError(
            f"The 'device' parameter of {caller} must be 'cpu', 'cuda' or 'cuda:N'. Got {device!r} instead."
        ) from exc
    if dev.type == "cpu":
        return dev
    if dev.type != "cuda":
        raise HashxValueError(
            f"The 'device' parameter of {caller} must be 'cpu', 'cuda' or 'cuda:N'. Got {device!r} instead."
        )
    if not torch.cuda.is_available():
        raise HashxValueError(
            f"The 'device' parameter of {caller} asks for {device!r}, but torch reports no CUDA device "
            f"(torch {torch.__version__}, torch.cuda.is_available() is False). Use device='cpu'."
        )
    if dev.index is not None and dev.index >= torch.cuda.device_count():
        raise HashxValueError(
            f"The 'device' parameter of {caller} asks for {device!r}, but only "
            f"{torch.cuda.device_count()} CUDA device(s) exist."
        )
    return dev
