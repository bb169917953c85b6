"""Software prefetch for jitted loops that jump through big arrays (LLVM ``llvm.prefetch``).

A hint only: it never changes a result, and an index past the end is harmless (no load
happens). Used where the next addresses are known ahead but irregular, e.g. the synaptic
rows of a core's inbox entries, which lie anywhere in a word array of up to gigabytes.
"""

from __future__ import annotations

from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic


@intrinsic
def prefetch(typingctx, array, index):
    """Hint the CPU to load the cache line of ``array[index]`` (1-d array, integer index)."""
    if not isinstance(array, types.Array) or array.ndim != 1 or not isinstance(
            index, types.Integer):
        return None
    sig = types.void(array, index)

    def codegen(context, builder, signature, args):
        arr_type, _ = signature.args
        arr = context.make_array(arr_type)(context, builder, args[0])
        # address arithmetic only: no bounds check, no load
        ptr = builder.gep(arr.data, [args[1]])
        i8p = ir.IntType(8).as_pointer()
        fnty = ir.FunctionType(ir.VoidType(), [i8p, ir.IntType(32), ir.IntType(32),
                                               ir.IntType(32)])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0i8")
        i32 = ir.IntType(32)
        # read, high temporal locality, data cache
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen
