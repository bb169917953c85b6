"""The CPU's cycle counter in jitted code (LLVM ``llvm.readcyclecounter``), for sharing work
out between threads by what it costs (:mod:`neuroemu.engine.load_balance`).

Only ever used to decide *which thread* does a piece of work, never what the work computes,
so results do not depend on it. On targets without a counter LLVM returns 0.
"""

from __future__ import annotations

from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic


@intrinsic
def cycle_counter(typingctx):
    """The current value of the CPU's cycle (time-stamp) counter as an int64."""
    sig = types.int64()

    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(ir.IntType(64), [])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.readcyclecounter")
        return builder.call(fn, [])

    return sig, codegen
