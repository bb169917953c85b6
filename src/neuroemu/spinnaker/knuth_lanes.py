"""Knuth's Poisson draws of several Poisson cores at once, one core per SIMD lane (issue 5).

Each Poisson core draws its sources' spike counts from its own KISS64 stream, one source
after the other (spec §4.1), so one core's draws form a single dependent chain: about 2.6
draws per source and tick at the microcircuit's rates, which bounded the scalar loop at about
6 ns per source and tick. Different cores never share a stream, so ``LANES`` cores can run
side by side in the lanes of a vector register: every loop trip is one KISS64 draw and one
Knuth step in each lane, written directly as LLVM vector IR (numba does not vectorise this
loop by itself). The counts and final KISS states are the same bits as the per-source loop
(:func:`neuroemu.spinnaker.poisson._fast_num_spikes`): each lane runs exactly that loop on
its own core; a lane whose core is finished keeps its state while the others go on (the
loop runs without that masking while every lane still has sources).

Lanes take cores whose sources all draw by Knuth's method with one shared, nonzero
``exp(-lambda)`` (one population per core at one rate, the common case); other cores keep
the scalar loop. The lanes hold 32-bit words, as the chip computes (mod 2^32 by the lane
width); the two 32 x 32 -> 64-bit products take the even and the odd lanes apart in 64-bit
words, and a source's count goes out by one scatter with 32-bit indices (counts hold fewer
than 2^31 atoms). With AVX-512 one trip of 16 lanes is 43 instructions or fewer (160 cores
of 400-500 sources, the microcircuit's lambdas: 2.03 ns per source-tick, 2.80 ns with
widening conversions and 64-bit addresses); elsewhere LLVM splits the vectors, with the same
results.
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
        half = ir.VectorType(i64, LANES // 2)

        def splat(value, t=vec32):
            return ir.Constant(t, [value] * t.count)

        # The two 32 x 32 -> 64-bit products per trip: the even and the odd lanes apart,
        # each as 64-bit words of the same register (one multiply each, no conversions)
        def halves(v):
            """The even and the odd lanes of ``v``, zero-extended to 64 bits in place."""
            w = builder.bitcast(v, half)
            return builder.and_(w, splat(_M32, half)), builder.lshr(w, splat(32, half))

        def interleave(even, odd, word):
            """Lane-wise 32-bit word ``word`` (0 low, 1 high) of the even lanes' and the odd
            lanes' 64-bit values, back in lane order."""
            mask = [(lane & ~1) + word + (LANES if lane & 1 else 0) for lane in range(LANES)]
            return builder.shuffle_vector(builder.bitcast(even, vec32),
                                          builder.bitcast(odd, vec32),
                                          ir.Constant(vec32, mask))

        lane_data = context.make_array(signature.args[0])(context, builder, args[0]).data
        count_data = context.make_array(signature.args[1])(context, builder, args[1]).data

        def row_ptr(row):
            return builder.bitcast(builder.gep(lane_data, [ir.Constant(i64, row * LANES)]),
                                   vec.as_pointer())

        x0, y0, z0, c0, n, eml, base = (builder.trunc(builder.load(row_ptr(r), align=8), vec32)
                                        for r in (_X, _Y, _Z, _C, _N, _EML, _BASE))
        mwc_a = splat(int(MWC_A), half)
        scatter = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [vec32, ir.VectorType(
                count_data.type, LANES), i32, mask_t]),
            f"llvm.masked.scatter.v{LANES}i32.v{LANES}p0")

        def reduce(op, mask):
            fn = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(i1, [mask_t]), f"llvm.vector.reduce.{op}.v{LANES}i1")
            return builder.call(fn, [mask])

        def trip(state, masked):
            """One KISS64 draw and Knuth step in every lane (only in the lanes whose core
            has sources left if ``masked``); returns the next state."""
            x, y, z, c, p, k, i = state
            active = builder.icmp_unsigned("<", i, n) if masked else None
            x_new = builder.add(builder.mul(x, splat(int(X_MUL))), splat(int(X_ADD)))
            y_new = builder.xor(y, builder.shl(y, splat(5)))
            y_new = builder.xor(y_new, builder.lshr(y_new, splat(7)))
            y_new = builder.xor(y_new, builder.shl(y_new, splat(22)))
            (z_e, z_o), (c_e, c_o) = halves(z), halves(c)
            mwc_e = builder.add(builder.mul(z_e, mwc_a), c_e)
            mwc_o = builder.add(builder.mul(z_o, mwc_a), c_o)
            z_new, c_new = interleave(mwc_e, mwc_o, 0), interleave(mwc_e, mwc_o, 1)
            u = builder.add(builder.add(x_new, y_new), z_new)
            (p_e, p_o), (u_e, u_o) = halves(p), halves(u)
            p_new = interleave(builder.mul(p_e, u_e), builder.mul(p_o, u_o), 1)
            stop = builder.icmp_unsigned("<=", p_new, eml)
            ends = builder.and_(stop, active) if masked else stop
            # counts[base + i] = k where a source ends: a GEP with 32-bit vector indices
            # (one scatter instruction, not two of 64-bit addresses); llvmlite types a GEP
            # by its base pointer, LLVM by the index: a vector of pointers
            ptrs = builder.gep(count_data, [builder.add(base, i)], source_etype=i32)
            ptrs.type = ir.VectorType(count_data.type, LANES)
            builder.call(scatter, [k, ptrs, ir.Constant(i32, 4), ends])
            if masked:
                x_new, y_new, z_new, c_new = (builder.select(active, new, old) for new, old in
                                              ((x_new, x), (y_new, y), (z_new, z), (c_new, c)))
            return (x_new, y_new, z_new, c_new, builder.select(stop, splat(_P_ONE), p_new),
                    builder.select(stop, splat(0), builder.add(k, splat(1))),
                    builder.select(ends, builder.add(i, splat(1)), i))

        entry = builder.block
        all_lanes = builder.append_basic_block("knuth_lanes.all")
        some_lanes = builder.append_basic_block("knuth_lanes.some")
        done = builder.append_basic_block("knuth_lanes.done")
        start = (x0, y0, z0, c0, splat(_P_ONE), splat(0), splat(0))
        builder.cbranch(reduce("and", builder.icmp_unsigned("<", start[6], n)), all_lanes,
                        some_lanes)
        # while every lane has sources left, no lane needs keeping its state
        builder.position_at_end(all_lanes)
        state = [builder.phi(vec32) for _ in range(7)]
        after = trip(state, masked=False)
        for phi, first, nxt in zip(state, start, after):
            phi.add_incoming(first, entry)
            phi.add_incoming(nxt, all_lanes)
        builder.cbranch(reduce("and", builder.icmp_unsigned("<", after[6], n)), all_lanes,
                        some_lanes)
        # then until the last lane is done, the finished lanes keeping their state
        builder.position_at_end(some_lanes)
        masked_state = [builder.phi(vec32) for _ in range(7)]
        masked_after = trip(masked_state, masked=True)
        for phi, first, nxt, mid in zip(masked_state, start, masked_after, after):
            phi.add_incoming(first, entry)
            phi.add_incoming(mid, all_lanes)
            phi.add_incoming(nxt, some_lanes)
        builder.cbranch(reduce("or", builder.icmp_unsigned("<", masked_after[6], n)),
                        some_lanes, done)
        builder.position_at_end(done)
        for row, value in zip((_X, _Y, _Z, _C), masked_after[:4]):
            builder.store(builder.zext(value, vec), row_ptr(row), align=8)
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
