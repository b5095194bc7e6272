"""The CPU the numba kernels are compiled for, and hashx's one hint to LLVM.

numba compiles for the host CPU (``NUMBA_CPU_NAME`` / ``NUMBA_CPU_FEATURES``
override it), and LLVM's tuning for that CPU decides how wide the vectorised
scans are.  For Intel server cores (Skylake-SP through Sapphire and Emerald
Rapids) LLVM prefers 256-bit vectors even where AVX-512 exists, a choice made
for the clock penalty of early AVX-512 parts; for AMD Zen 4/5 it uses 512-bit
vectors.  On a CPU with AVX-512 VPOPCNTDQ (Ice Lake and later, Zen 4 and later)
the scan's work is XOR, ``vpopcntq`` and compare on whole vectors, and 512-bit
vectors do twice the work per instruction: measured on a 2-core Emerald Rapids
VM, 1.25x (64-bit codes) to 1.6x (128-bit codes) faster single-thread scans.

:func:`prefer_wide_vectors` is an intrinsic the hot functions call first: when
the compile target has AVX-512 VPOPCNTDQ it sets the LLVM function attribute
``"prefer-vector-width"="512"`` on the function being compiled (what clang's
``-mprefer-vector-width=512`` does), otherwise nothing.  On Zen 4/5 that is
LLVM's own choice already; CPUs without VPOPCNTDQ (Skylake-SP, AVX2-only
CPUs, other architectures) keep LLVM's default, except for the two-word
loops below.  numba's on-disk cache
is keyed by CPU name and features, so a cached kernel always matches the
machine it runs on.

Two-word (128-bit) codes are the exception, through
:func:`prefer_wide_vectors_for_pairs`: their loop deinterleaves each code's
two words with cross-lane permutes, which share one port with the byte
shuffles (``vpshufb``) that count bits where there is no ``vpopcntq``.  With
512-bit vectors each of those instructions does twice the work, so on a CPU
with AVX-512BW but no VPOPCNTDQ (Skylake-SP, Cascade Lake) the two-word scan
asks for them too: measured on a 2-core Skylake-SP-class VM (numba target
``skylake-avx512``), 1,000 queries, k = 100, 1M 128-bit codes, 2 threads,
1,234 ms with LLVM's 256-bit default against 602-826 ms (one-word and
four-word codes gained nothing there, so they keep the default).  On CPUs
with AVX2 but no AVX-512 (Haswell to Zen 3) the two-word group mask is
written as explicit 256-bit vector code instead (:mod:`._pair_lanes`).
"""

from __future__ import annotations

import functools

from numba import types
from numba.extending import intrinsic

__all__ = ["compile_target", "wide_vectors", "lane_pairs", "prefer_wide_vectors",
           "prefer_wide_vectors_for_pairs"]

#: LLVM feature names (as in a ``-mattr`` string) reported by :func:`compile_target`.
REPORTED_FEATURES = ("popcnt", "avx2", "avx512f", "avx512bw", "avx512vl", "avx512vpopcntdq")

_WIDE = '"prefer-vector-width"="512"'


@functools.lru_cache(maxsize=1)
def compile_target() -> dict:
    """The CPU numba compiles for: name, features and the scan's vector width.

    Returns
    -------
    dict
        ``cpu`` (LLVM CPU name, e.g. ``"emeraldrapids"``, ``"znver4"``),
        ``cpu_source`` (``"host"`` or ``"NUMBA_CPU_NAME"``), ``features``
        (the :data:`REPORTED_FEATURES` the target has), ``features_source``
        (``"host"`` or ``"NUMBA_CPU_FEATURES"``), ``wide_vectors`` (True
        when hashx asks LLVM for 512-bit vectors, see the module docstring)
        ``wide_pairs`` (the same for the two-word scan) and ``lane_pairs``
        (True when the two-word group mask takes the explicit 256-bit form of
        :mod:`hashx.search._pair_lanes`: AVX2, neither VPOPCNTDQ nor AVX-512BW).
    """
    import llvmlite.binding as ll
    from numba.core import config

    cpu = config.CPU_NAME or ll.get_host_cpu_name()
    if config.CPU_FEATURES is not None:
        raw = config.CPU_FEATURES
    else:
        raw = ll.get_host_cpu_features().flatten()
    enabled = {f[1:] for f in raw.split(",") if f.startswith("+")}
    wide = {"avx512f", "avx512vpopcntdq"} <= enabled
    wide_pairs = wide or {"avx512f", "avx512bw"} <= enabled
    return {
        "cpu": cpu,
        "cpu_source": "NUMBA_CPU_NAME" if config.CPU_NAME else "host",
        "features": [f for f in REPORTED_FEATURES if f in enabled],
        "features_source": "NUMBA_CPU_FEATURES" if config.CPU_FEATURES is not None else "host",
        "wide_vectors": wide,
        "wide_pairs": wide_pairs,
        "lane_pairs": "avx2" in enabled and not wide_pairs,
    }


def wide_vectors() -> bool:
    """Whether the kernels are compiled with 512-bit vectors preferred."""
    return compile_target()["wide_vectors"]


def lane_pairs() -> bool:
    """Whether the two-word group mask takes its explicit 256-bit form (AVX2, neither VPOPCNTDQ nor AVX-512BW)."""
    return compile_target()["lane_pairs"]


def _prefer_wide(builder, wide: bool):
    if wide:
        # llvmlite validates attribute names against a fixed list that lacks
        # string attributes; the set itself takes any string and the IR
        # printer writes it verbatim after the function's signature
        set.add(builder.function.attributes, _WIDE)


@intrinsic
def prefer_wide_vectors(typingctx):
    """Ask LLVM for 512-bit vectors in the calling function (when the target has VPOPCNTDQ)."""

    def codegen(context, builder, signature, args):
        _prefer_wide(builder, wide_vectors())
        return context.get_dummy_value()

    return types.none(), codegen


@intrinsic
def prefer_wide_vectors_for_pairs(typingctx):
    """Ask LLVM for 512-bit vectors in a two-word scan (when the target has AVX-512BW)."""

    def codegen(context, builder, signature, args):
        _prefer_wide(builder, compile_target()["wide_pairs"])
        return context.get_dummy_value()

    return types.none(), codegen
