"""16 LIF neurons with two exponential synapses in one step of 16-lane vector IR: the
arithmetic of :func:`neuroemu.spinnaker.neuron_update._lif_step` with the atoms'
constants shared, the same bits (issue 5: VA COBA's neuron update, 60 % of its run, was
limited by the int32 <-> int64 lane conversions of the scalar code's vectorisation; see
:mod:`neuroemu.engine.simd_fixedpoint`).
"""

from __future__ import annotations

from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

from neuroemu.engine import simd_fixedpoint as vx
from neuroemu.spinnaker.neuron_layout import COND_SHIFT

#: atoms per call of :func:`lif_block`
BLOCK = vx.LANES
#: order of the shared constants in the tuple :func:`lif_block` takes (int32 each; the
#: synapse factors as their u0.32 bits)
(K_SHIFT0, K_SHIFT1, K_INIT0, K_INIT1, K_DECAY0, K_DECAY1, K_OFFSET, K_R, K_V_REST,
 K_EXP_TC, K_V_THRESH, K_V_RESET, K_T_REFRACT, K_E_REV_E, K_E_REV_I) = range(15)
N_CONSTANTS = 15


def _vector_pointer(builder, context, array_type, array, index, element):
    data = context.make_array(array_type)(context, builder, array).data
    return builder.bitcast(builder.gep(data, [index]),
                           ir.VectorType(element, BLOCK).as_pointer())


def _shifted_input(builder, weight, shift):
    """``int32(int64(weight) << shift)`` of uint16 lanes (0 for shifts of 32 and more)."""
    wide = builder.zext(weight, vx.V32)
    big = builder.icmp_unsigned(">=", shift, ir.Constant(vx.I32, 32))
    safe = builder.select(big, ir.Constant(vx.I32, 0), shift)
    return builder.select(big, ir.Constant(vx.V32, None),
                          builder.shl(wide, vx.splat(builder, safe)))


@intrinsic
def lif_block(typingctx, slot0, slot1, syn0, syn1, v, refract, external, fired, k,
              constants, conductance):
    """Atoms k .. k + 15 of a core's rows (all arrays 1-d, contiguous, ``BLOCK`` atoms
    from ``k`` on): ring slots in (and cleared), input current (``conductance``: a
    literal bool), membrane step, spike flags, synapse decay; returns the spike count."""
    arrays = (slot0, slot1, syn0, syn1, v, refract, external, fired)
    if not (isinstance(conductance, types.BooleanLiteral)
            and isinstance(constants, types.UniTuple) and constants.count == N_CONSTANTS
            and constants.dtype == types.int32 and isinstance(k, types.Integer)
            and all(isinstance(a, types.Array) and a.ndim == 1 and a.layout == "C"
                    for a in arrays)):
        return None
    sig = types.int64(slot0, slot1, syn0, syn1, v, refract, external, fired, k, constants,
                      conductance)
    cond = conductance.literal_value

    def codegen(context, builder, signature, args):
        tys = signature.args
        at = context.cast(builder, args[8], tys[8], types.intp)
        p_slot0, p_slot1, p_syn0, p_syn1, p_v, p_refract, p_ext, p_fired = (
            _vector_pointer(builder, context, tys[i], args[i], at, element)
            for i, element in enumerate((ir.IntType(16), ir.IntType(16), vx.I32, vx.I32,
                                         vx.I32, vx.I32, vx.I32, ir.IntType(8))))
        c = [builder.extract_value(args[9], i) for i in range(N_CONSTANTS)]

        def load(p):
            return builder.load(p, align=1)

        def const(i):
            return vx.splat(builder, c[i])

        v0 = load(p_v)
        s0 = builder.add(load(p_syn0), vx.decay_s1615(
            builder, _shifted_input(builder, load(p_slot0), c[K_SHIFT0]), c[K_INIT0]))
        s1 = builder.add(load(p_syn1), vx.decay_s1615(
            builder, _shifted_input(builder, load(p_slot1), c[K_SHIFT1]), c[K_INIT1]))
        current = builder.add(const(K_OFFSET), load(p_ext))
        if cond:
            g_shift = vx.splat(builder, ir.Constant(vx.I32, COND_SHIFT))
            g_exc = builder.ashr(s0, g_shift)
            g_inh = builder.sub(ir.Constant(vx.V32, None), builder.ashr(s1, g_shift))
            current = builder.add(current, vx.mul_s1615(
                builder, g_exc, builder.sub(const(K_E_REV_E), v0)))
            current = builder.sub(current, vx.mul_s1615(
                builder, g_inh, builder.sub(const(K_E_REV_I), v0)))
        else:
            current = builder.sub(builder.add(current, s0), s1)
        alpha = builder.add(vx.mul_s1615(builder, current, const(K_R)), const(K_V_REST))
        v_free = builder.sub(alpha, vx.mul_s1615(builder, const(K_EXP_TC),
                                                 builder.sub(alpha, v0)))
        r0 = load(p_refract)
        frozen = builder.icmp_signed(">", r0, ir.Constant(vx.V32, None))
        v1 = builder.select(frozen, v0, v_free)
        r1 = builder.select(frozen, builder.sub(r0, vx.splat(builder, ir.Constant(vx.I32, 1))),
                            r0)
        spike = builder.icmp_signed(">=", v1, const(K_V_THRESH))
        builder.store(builder.select(spike, const(K_V_RESET), v1), p_v, align=1)
        builder.store(builder.select(spike, const(K_T_REFRACT), r1), p_refract, align=1)
        builder.store(vx.decay_s1615(builder, s0, c[K_DECAY0]), p_syn0, align=1)
        builder.store(vx.decay_s1615(builder, s1, c[K_DECAY1]), p_syn1, align=1)
        builder.store(builder.zext(spike, ir.VectorType(ir.IntType(8), BLOCK)), p_fired,
                      align=1)
        zero16 = ir.Constant(ir.VectorType(ir.IntType(16), BLOCK), None)
        builder.store(zero16, p_slot0, align=1)
        builder.store(zero16, p_slot1, align=1)
        mask = builder.bitcast(spike, ir.IntType(BLOCK))
        count = builder.call(builder.module.declare_intrinsic("llvm.ctpop", [mask.type]),
                             [mask])
        return builder.zext(count, vx.I64)

    return sig, codegen
