"""Placeholder: HammingIndex is being written (issue 2)."""


class HammingIndex:  # pragma: no cover - replaced by the real engine
    def __init__(self, nbits, *, threads=None):
        raise NotImplementedError
