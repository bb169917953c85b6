"""Atomic fetch-and-add on an int64 array element for jitted parallel loops (LLVM
``atomicrmw``; numba itself offers no atomics).

Used to hand out work items to whichever thread is free: each call returns a distinct
previous value, so a shared counter numbers the items exactly once however the threads
interleave. Which thread takes an item never changes a result when the items are
independent (the caller's part to ensure).
"""

from __future__ import annotations

from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic


@intrinsic
def fetch_add(typingctx, array, index, value):
    """Atomically add ``value`` to ``array[index]`` (1-d int64 array, no bounds check) and
    return the value it had before."""
    if not (isinstance(array, types.Array) and array.ndim == 1 and array.dtype == types.int64
            and isinstance(index, types.Integer) and isinstance(value, types.Integer)):
        return None
    sig = types.int64(array, index, value)

    def codegen(context, builder, signature, args):
        arr = context.make_array(signature.args[0])(context, builder, args[0])
        i64 = ir.IntType(64)
        index_value = context.cast(builder, args[1], signature.args[1], types.int64)
        add = context.cast(builder, args[2], signature.args[2], types.int64)
        ptr = builder.gep(arr.data, [index_value])
        return builder.atomic_rmw("add", ptr, builder.sext(add, i64) if add.type != i64
                                  else add, "seq_cst")

    return sig, codegen
