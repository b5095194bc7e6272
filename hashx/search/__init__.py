"""Exact Hamming search on packed binary codes (torch-free)."""

from .index import HammingIndex as HammingIndex

__all__ = ["HammingIndex"]
