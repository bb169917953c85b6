"""s16.15 / u0.32 products on LLVM vectors of 16 int32 lanes, for intrinsics that build IR
(:func:`neuroemu.engine.fixedpoint.mul_s1615` and ``decay_s1615`` lane by lane, the same
bits).

Why: written as scalar Numba code, each product widens both int32 operands to int64
lanes and narrows the result back, and those conversions (cross-lane shuffles) limit a
vectorised neuron update. Here the 64-bit products are taken on the int32 lanes in place:
an int64 multiply of two sign-extended low halves (x86: ``pmuldq``) gives the products of
the even lanes, the same after an arithmetic shift by 32 those of the odd lanes, and the
32 result bits of each lane are picked from the two products by a lane blend.
Generic LLVM IR: every target compiles it (x86 with AVX-512 best).
"""

from __future__ import annotations

from llvmlite import ir

LANES = 16
I32 = ir.IntType(32)
I64 = ir.IntType(64)
V32 = ir.VectorType(I32, LANES)
V64 = ir.VectorType(I64, LANES // 2)
#: lane 2j from the first vector, lane 2j + 1 from the second
_BLEND = ir.Constant(ir.VectorType(I32, LANES),
                     [j if j % 2 == 0 else LANES + j for j in range(LANES)])


def splat(builder: ir.IRBuilder, scalar: ir.Value) -> ir.Value:
    """An i32 scalar in all 16 lanes."""
    one = builder.insert_element(ir.Constant(V32, None), scalar, ir.Constant(I32, 0))
    return builder.shuffle_vector(one, ir.Constant(V32, None),
                                  ir.Constant(ir.VectorType(I32, LANES), [0] * LANES))


def _even_odd_products(builder: ir.IRBuilder, a: ir.Value, b: ir.Value):
    """int64 products of the even lanes and of the odd lanes of two <16 x i32>."""
    a64, b64 = builder.bitcast(a, V64), builder.bitcast(b, V64)
    c32 = ir.Constant(V64, [32] * (LANES // 2))

    def low_half(x):  # sign-extended low int32 of each int64 lane
        return builder.ashr(builder.shl(x, c32), c32)

    even = builder.mul(low_half(a64), low_half(b64))
    odd = builder.mul(builder.ashr(a64, c32), builder.ashr(b64, c32))
    return even, odd


def _blend(builder: ir.IRBuilder, even64: ir.Value, odd64: ir.Value) -> ir.Value:
    """Even lanes from the low int32 of ``even64``'s lanes, odd from the high of ``odd64``."""
    return builder.shuffle_vector(builder.bitcast(even64, V32), builder.bitcast(odd64, V32),
                                  _BLEND)


def mul_s1615(builder: ir.IRBuilder, a: ir.Value, b: ir.Value) -> ir.Value:
    """Lane-wise ``int32((int64(a) * int64(b)) >> 15)``: bits 15..46 of each product."""
    even, odd = _even_odd_products(builder, a, b)
    return _blend(builder, builder.lshr(even, ir.Constant(V64, [15] * (LANES // 2))),
                  builder.shl(odd, ir.Constant(V64, [17] * (LANES // 2))))


def decay_s1615(builder: ir.IRBuilder, x: ir.Value, d: ir.Value) -> ir.Value:
    """Lane-wise ``int32((int64(x) * int64(uint32(d))) >> 32)`` for an i32 scalar ``d``
    holding the u0.32 bits: with ``ds`` the int32 of the same bits, ``d = ds + 2^32`` when
    ``ds < 0``, so the high word is ``hi(x * ds) + (x if ds < 0 else 0)`` (mod 2^32)."""
    even, odd = _even_odd_products(builder, x, splat(builder, d))
    high = _blend(builder, builder.lshr(even, ir.Constant(V64, [32] * (LANES // 2))), odd)
    negative = builder.icmp_signed("<", d, ir.Constant(I32, 0))
    return builder.add(high, builder.select(negative, x, ir.Constant(V32, None)))
