"""Knuth's Poisson draws of several Poisson cores at once, one core per SIMD lane (issue 5).

Each Poisson core draws its sources' spike counts from its own KISS64 stream, one source
after the other (spec §4.1), so one core's draws form a single dependent chain: about 2.6
draws per source and tick at the microcircuit's rates, which bounded the scalar loop at about
6 ns per source and tick. Different cores never share a stream, so ``LANES`` cores can run
side by side in the lanes of a vector register: every loop trip is one KISS64 draw and one
Knuth step in each lane, written directly as LLVM vector IR (numba does not vectorise this
loop by itself). The counts and final KISS states are the same bits as the per-source loop
(:func:`neuroemu.spinnaker.poisson._fast_num_spikes`): each lane runs exactly that loop on
its own core; a lane whose core is finished keeps its state while the others go on.

Lanes take cores whose sources all draw by Knuth's method with one shared, nonzero
``exp(-lambda)`` (one population per core at one rate, the common case); other cores keep
the scalar loop. The lanes hold 32-bit words, as the chip computes (mod 2^32 by the lane
width); only the two 32 x 32 -> 64-bit products widen. With AVX-512 one trip of 16 lanes is
about one instruction per operation (2.4 ns per source-tick on the microcircuit's 157
background cores, 8 lanes: 2.7 ns); elsewhere LLVM splits the vectors, with the same results.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from neuroemu.engine.kiss64 import MWC_A, X_ADD, X_MUL
from neuroemu.spinnaker.poisson import eml_kind

#: Poisson cores drawn side by side (16 x 32 bits: one 512-bit register)
LANES = 16
# rows of the lane scratch array (uint64[LANE_ROWS * LANES]), one value per lane each:
# KISS x, y, z, c (in and out), sources of the lane's core, its first atom, its exp(-lambda),
# the row of its KISS words in the kernel's ``kiss_state``
_X, _Y, _Z, _C, _N, _BASE, _EML, _STREAM = range(8)
LANE_ROWS = 8

_M32 = 0xFFFFFFFF
_P_ONE = 0xFFFFFFFF  # UFRACT_CONST(1.0): Knuth's starting product


@intrinsic
def _knuth_lanes(typingctx, lanes, counts):
    """Run every lane's core to the end of its sources: counts into ``counts`` (int32) at
    the lane's first atom onwards, final KISS words back into ``lanes``."""
    if not (isinstance(lanes, types.Array) and lanes.ndim == 1 and lanes.dtype == types.uint64
            and isinstance(counts, types.Array) and counts.ndim == 1
            and counts.dtype == types.int32):
        return None
    sig = types.void(lanes, counts)

    def codegen(context, builder, signature, args):
        i1, i32, i64 = ir.IntType(1), ir.IntType(32), ir.IntType(64)
        vec, vec32, mask_t = (ir.VectorType(i64, LANES), ir.VectorType(i32, LANES),
                              ir.VectorType(i1, LANES))

        def splat(value, t=vec32):
            return ir.Constant(t, [value] * LANES)

        def wide(v):
            return builder.zext(v, vec)

        def high_word(v):
            return builder.trunc(builder.lshr(v, splat(32, vec)), vec32)

        lane_data = context.make_array(signature.args[0])(context, builder, args[0]).data
        count_data = context.make_array(signature.args[1])(context, builder, args[1]).data

        def row_ptr(row):
            return builder.bitcast(builder.gep(lane_data, [ir.Constant(i64, row * LANES)]),
                                   vec.as_pointer())

        # 32-bit lanes wherever the machine computes in 32 bits (twice the lanes per
        # instruction); 64 bits only for the two 32 x 32 -> 64-bit products
        x0, y0, z0, c0, n, eml = (builder.trunc(builder.load(row_ptr(r), align=8), vec32)
                                  for r in (_X, _Y, _Z, _C, _N, _EML))
        # the address of each lane's counts[base]: one int vector, offset per trip
        count_addr = builder.ptrtoint(count_data, i64)
        count_addr = builder.shuffle_vector(
            builder.insert_element(ir.Constant(vec, ir.Undefined), count_addr,
                                   ir.Constant(i32, 0)),
            ir.Constant(vec, ir.Undefined), ir.Constant(vec32, [0] * LANES))
        count_addr = builder.add(count_addr, builder.shl(builder.load(row_ptr(_BASE), align=8),
                                                         splat(2, vec)))
        entry = builder.block
        loop = builder.append_basic_block("knuth_lanes.loop")
        done = builder.append_basic_block("knuth_lanes.done")
        builder.branch(loop)
        builder.position_at_end(loop)
        # per lane: KISS words, Knuth product and draw count of the current source, source
        x, y, z, c, p, k, i = (builder.phi(vec32) for _ in range(7))
        active = builder.icmp_unsigned("<", i, n)
        # one KISS64 step (neuroemu.engine.kiss64.kiss64_step), mod 2^32 by the lane width
        x_new = builder.add(builder.mul(x, splat(int(X_MUL))), splat(int(X_ADD)))
        y_new = builder.xor(y, builder.shl(y, splat(5)))
        y_new = builder.xor(y_new, builder.lshr(y_new, splat(7)))
        y_new = builder.xor(y_new, builder.shl(y_new, splat(22)))
        mwc = builder.add(builder.mul(wide(z), splat(int(MWC_A), vec)), wide(c))
        z_new = builder.trunc(mwc, vec32)
        c_new = high_word(mwc)
        u = builder.add(builder.add(x_new, y_new), z_new)
        # one Knuth step on u0.32 products: the source ends when p <= exp(-lambda)
        p_new = high_word(builder.mul(wide(p), wide(u)))
        stop = builder.icmp_unsigned("<=", p_new, eml)
        ends = builder.and_(stop, active)
        # counts[base + i] = k for the lanes whose source ends now
        addr = builder.add(count_addr, builder.shl(wide(i), splat(2, vec)))
        ptrs_t = ir.VectorType(count_data.type, LANES)
        scatter = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [vec32, ptrs_t, i32, mask_t]),
            f"llvm.masked.scatter.v{LANES}i32.v{LANES}p0")
        builder.call(scatter, [k, builder.inttoptr(addr, ptrs_t), ir.Constant(i32, 4), ends])
        # a finished lane keeps its KISS words; the others advance
        x_next, y_next, z_next, c_next = (builder.select(active, new, old) for new, old in
                                          ((x_new, x), (y_new, y), (z_new, z), (c_new, c)))
        i_next = builder.add(i, builder.zext(ends, vec32))
        k_next = builder.select(stop, splat(0), builder.add(k, splat(1)))
        p_next = builder.select(stop, splat(_P_ONE), p_new)
        reduce_or = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(i1, [mask_t]), f"llvm.vector.reduce.or.v{LANES}i1")
        any_active = builder.call(reduce_or, [builder.icmp_unsigned("<", i_next, n)])
        for phi, start, nxt in ((x, x0, x_next), (y, y0, y_next), (z, z0, z_next),
                                (c, c0, c_next), (p, splat(_P_ONE), p_next), (k, splat(0), k_next),
                                (i, splat(0), i_next)):
            phi.add_incoming(start, entry)
            phi.add_incoming(nxt, loop)
        builder.cbranch(any_active, loop, done)
        builder.position_at_end(done)
        for row, value in ((_X, x_next), (_Y, y_next), (_Z, z_next), (_C, c_next)):
            builder.store(wide(value), row_ptr(row), align=8)
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True, _nrt=False, inline="always")
def add_lane(lanes, n_used, stream, first_atom, n_sources, eml, kiss_state):
    """Put a core into lane ``n_used``: its KISS words are ``kiss_state[stream]``, its sources
    the atoms ``first_atom`` onwards; returns the new number of lanes used."""
    kiss_row = kiss_state[stream]
    lanes[_X * LANES + n_used] = kiss_row[0]
    lanes[_Y * LANES + n_used] = kiss_row[1]
    lanes[_Z * LANES + n_used] = kiss_row[2]
    lanes[_C * LANES + n_used] = kiss_row[3]
    lanes[_N * LANES + n_used] = n_sources
    lanes[_BASE * LANES + n_used] = first_atom
    lanes[_EML * LANES + n_used] = eml
    lanes[_STREAM * LANES + n_used] = stream
    return n_used + 1


@njit(cache=True, _nrt=False, inline="always")
def draw_lanes(lanes, n_used, counts, kiss_state):
    """Draw this tick's counts of the ``n_used`` cores put into lanes (the other lanes idle)
    and store their KISS words back into ``kiss_state``."""
    for lane in range(n_used, LANES):
        lanes[_N * LANES + lane] = 0
    _knuth_lanes(lanes, counts)
    for lane in range(n_used):
        row = kiss_state[lanes[_STREAM * LANES + lane]]
        row[0] = np.uint32(lanes[_X * LANES + lane])
        row[1] = np.uint32(lanes[_Y * LANES + lane])
        row[2] = np.uint32(lanes[_Z * LANES + lane])
        row[3] = np.uint32(lanes[_C * LANES + lane])


@njit(cache=True)
def lane_thresholds(slice_bounds, exp_minus_lambda):
    """Per Poisson core, the ``exp(-lambda)`` its sources share if they share one nonzero
    value (the core can take a lane), else 0 (it keeps the scalar loop)."""
    n_cores = slice_bounds.shape[0] - 1
    shared = np.zeros(n_cores, dtype=np.uint64)
    for core in range(n_cores):
        eml = exp_minus_lambda[slice_bounds[core]:slice_bounds[core + 1]]
        if eml_kind(eml) == 1:
            shared[core] = eml[0]
    return shared
