"""16-lane s16.15 / u0.32 products in LLVM vector IR (``neuroemu.engine.simd_fixedpoint``).

Rules (spec /work/shared/spec/spinnaker.md §1.1): ``accum * accum`` is
``floor(a * b / 2^15)`` truncated to 32 bits; ``decay_s1615(x, d)`` is
``floor(x * d / 2^32)`` with ``x`` signed and ``d`` the unsigned u0.32 word, truncated to
32 bits. The reference is Python's exact integers.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit, types
from numba.extending import intrinsic

from neuroemu.engine import simd_fixedpoint as vx

WORD = st.integers(-(2**31), 2**31 - 1)
LANES = st.lists(WORD, min_size=vx.LANES, max_size=vx.LANES)


def _wrap32(x: int) -> int:
    return ((x + 2**31) % 2**32) - 2**31


def _lanes(context, builder, array_type, array):
    """Pointer to the 16 int32 of an array (loads and stores at its 4-byte alignment)."""
    data = context.make_array(array_type)(context, builder, array).data
    return builder.bitcast(data, vx.V32.as_pointer())


@intrinsic
def _vector_mul(typingctx, a, b, out):
    def codegen(context, builder, signature, args):
        pa, pb, po = (_lanes(context, builder, t, x) for t, x in zip(signature.args, args))
        builder.store(vx.mul_s1615(builder, builder.load(pa, align=4),
                                   builder.load(pb, align=4)), po, align=4)
        return context.get_dummy_value()
    return types.void(a, b, out), codegen


@intrinsic
def _vector_decay(typingctx, x, d, out):
    def codegen(context, builder, signature, args):
        px, po = (_lanes(context, builder, t, v) for t, v in
                  ((signature.args[0], args[0]), (signature.args[2], args[2])))
        d32 = context.cast(builder, args[1], signature.args[1], types.int32)
        builder.store(vx.decay_s1615(builder, builder.load(px, align=4), d32), po, align=4)
        return context.get_dummy_value()
    return types.void(x, d, out), codegen


@njit
def _mul(a, b, out):
    _vector_mul(a, b, out)


@njit
def _decay(x, d, out):
    _vector_decay(x, d, out)


@settings(max_examples=200, deadline=None)
@given(a=LANES, b=LANES)
def test_mul_s1615_lanes_are_floor_products_truncated_to_32_bits(a, b):
    out = np.zeros(vx.LANES, dtype=np.int32)
    _mul(np.array(a, dtype=np.int32), np.array(b, dtype=np.int32), out)
    assert out.tolist() == [_wrap32((x * y) >> 15) for x, y in zip(a, b)]


@settings(max_examples=200, deadline=None)
@given(x=LANES, d=st.integers(0, 2**32 - 1))
def test_decay_s1615_lanes_use_the_unsigned_word(x, d):
    out = np.zeros(vx.LANES, dtype=np.int32)
    _decay(np.array(x, dtype=np.int32), np.int32(_wrap32(d)), out)
    assert out.tolist() == [_wrap32((v * d) >> 32) for v in x]


def test_edge_words():
    """The extremes: INT32_MIN squared wraps (2^62 >> 15 = 2^47 -> 0 in 32 bits); 1.0 *
    1.0 = 1.0; a decay by the largest u0.32 word keeps all but the last bit's floor."""
    a = np.array([-(2**31), 32768, -1, 2**31 - 1] * 4, dtype=np.int32)
    out = np.zeros(vx.LANES, dtype=np.int32)
    _mul(a, a, out)
    assert out[:4].tolist() == [0, 32768, 0, _wrap32(((2**31 - 1) ** 2) >> 15)]
    _decay(a, np.int32(-1), out)  # d = 0xFFFFFFFF
    assert out[:4].tolist() == [_wrap32((int(v) * 0xFFFFFFFF) >> 32) for v in a[:4]]
    assert out[1] == 32767 and out[2] == -1
