"""Population count of a 64-bit word, as a numba intrinsic.

``popcount64(x)`` compiles to LLVM's ``ctpop`` (one ``popcnt`` instruction on
x86-64, or a vector ``vpopcntq`` when LLVM vectorises the loop around it).
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = ["popcount64"]


@intrinsic
def popcount64(typingctx, x):
    """Number of set bits of an unsigned 64-bit integer (returns uint64)."""
    if not isinstance(x, types.Integer):
        return None
    sig = types.uint64(types.uint64)

    def codegen(context, builder, signature, args):
        (value,) = args
        value = context.cast(builder, value, signature.args[0], types.uint64)
        ctpop = builder.module.declare_intrinsic("llvm.ctpop", [ir.IntType(64)])
        return builder.call(ctpop, [value])

    return sig, codegen
