"""The neuron part of a SpiNNaker neuron core's tick (spec §1.2-§1.6), phase by phase.

The machine loop keeps the neuron state and constants transposed while it runs: ``st`` is
(N_STATE, n_atoms) int32 and ``pr`` (N_PARAMS, n_atoms) the chip's 32-bit words of the
constants (int32 bits; u0.32 decays as their bit pattern, see :func:`chip_words`), so one
variable of a core's atoms [lo, hi) is a contiguous row (and half as many bytes to stream
per tick as int64). Each loop below runs over such rows with the branches on model and
input type taken outside it, which lets LLVM vectorise it. The common case (LIF with one
excitatory and one inhibitory exponential synapse) runs as one fused loop,
:func:`lif_two_synapse_tick`, reading the constants once per tick when a core's atoms share
them (then in blocks of 16 atoms of hand-built vector code,
:mod:`neuroemu.spinnaker.neuron_simd`); the other models go phase by phase (ring slot, input current, membrane, decay). The
arithmetic is the chip's (s16.15, u0.32, int32 wrap-around) and the order of the steps is
that of spec §1.3, so both give the same bits: every step of a neuron reads only that
neuron's values, and the sums are taken modulo 2^32.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from neuroemu.engine.fixedpoint import decay_s1615, mul_s1615
from neuroemu.spinnaker.current_sources import current_source_offset
from neuroemu.spinnaker.neuron_layout import (
    COND_SHIFT,
    CONDUCTANCE,
    DELTA,
    IZK_MAGIC,
    IZK_TQ_OFFSET,
    P_A,
    P_B,
    P_C,
    P_D,
    P_DECAY0,
    P_DECAY1,
    P_DECAY2,
    P_DELTA_SCALE,
    P_E_REV_E,
    P_E_REV_I,
    P_EXP_TC,
    P_I_OFFSET,
    P_INIT0,
    P_INIT1,
    P_INIT2,
    P_R,
    P_RESET_H,
    P_T_REFRACT,
    P_V_RESET,
    P_V_REST,
    P_V_THRESH,
    PARAM_NAMES,
    REC_GE,
    REC_GI,
    REC_V,
    S1615_5,
    S1615_140,
    S_H,
    S_REFRACT,
    S_SYN0,
    S_U,
    S_V,
)
from neuroemu.spinnaker.neuron_simd import BLOCK, lif_block

#: rows of the constants that are u0.32 words (decay factors); the others are int32
U032_ROWS = (P_DECAY0, P_INIT0, P_DECAY1, P_INIT1, P_DECAY2, P_INIT2)


@njit(cache=True)
def chip_words(params):
    """``params`` (n_atoms, N_PARAMS) int64 -> transposed (N_PARAMS, n_atoms) int32 words.
    Every constant is one 32-bit word on the chip: u0.32 rows must lie in [0, 2^32), the
    others in the int32 range; anything else is refused (it would wrap)."""
    words = np.empty((params.shape[1], params.shape[0]), dtype=np.int32)
    for j in range(params.shape[1]):
        unsigned = j in U032_ROWS
        lo_limit = 0 if unsigned else -(1 << 31)
        hi_limit = (1 << 32) if unsigned else (1 << 31)
        for n in range(params.shape[0]):
            x = params[n, j]
            if x < lo_limit or x >= hi_limit:
                raise ValueError("neuron constant " + PARAM_NAMES[j] + " of atom " + str(n)
                                 + " is " + str(x) + ", outside the chip's 32-bit word ["
                                 + str(lo_limit) + ", " + str(hi_limit) + ")")
            words[j, n] = np.int32(np.uint32(x)) if unsigned else np.int32(x)
    return words


@njit(cache=True, _nrt=False)
def synaptic_input(weight, shift, syn, init, delta):
    """Synaptic state after this tick's ring-buffer ``weight`` (uint16) arrives: ``syn +
    decay_s1615(w << shift, init)`` (exponential synapse) or ``syn + (w << shift)`` (delta
    synapse), int32 (spec §1.4, §1.6)."""
    inp = np.int32(np.int64(weight) << shift)
    if delta:
        return np.int32(syn + inp)
    return np.int32(syn + decay_s1615(inp, init))


@njit(cache=True, _nrt=False)
def transfer_ring_slot(ring, base, shift, syn, init, delta):
    """Move one synapse type's ring-buffer slot of this tick (``ring[base:]``) into the
    synaptic state ``syn`` (:func:`synaptic_input`) and clear it."""
    slot = ring[base:base + syn.size]
    for k in range(syn.size):
        syn[k] = synaptic_input(slot[k], shift, syn[k], init[k], delta)
        slot[k] = 0


@njit(cache=True, _nrt=False)
def _recorded_synapse(st, pr, n, s, ring, slot_base, lo, idx_bits, shifts, input_type):
    """Synapse type ``s`` of atom ``n`` once this tick's ring slot is in, as recorded
    (``g >> 10`` for conductances)."""
    weight = ring[slot_base + (s << idx_bits) + n - lo]
    g = synaptic_input(weight, shifts[s], st[S_SYN0 + s, n], pr[P_INIT0 + 2 * s, n],
                       input_type == DELTA)
    return g >> COND_SHIFT if input_type == CONDUCTANCE else g


@njit(cache=True, _nrt=False)
def record_signals(t, atoms, st, pr, ring, slot_base, lo, idx_bits, shifts, n_types,
                   input_type, rec_v_col, rec_ge_col, rec_gi_col, rec_interval, rec_row0, rec_v,
                   rec_ge, rec_gi):
    """Samples of V and of the excitatory / inhibitory synaptic input of the recorded
    ``atoms`` whose sampling interval divides ``t``, as the neuron update sees them (after
    this tick's ring slot, before the membrane step); called before the ring transfer."""
    for n in atoms:
        if rec_v_col[n] >= 0 and t % rec_interval[REC_V, n] == 0:
            rec_v[t // rec_interval[REC_V, n] - rec_row0[REC_V, n], rec_v_col[n]] = st[S_V, n]
        if rec_ge_col[n] >= 0 and t % rec_interval[REC_GE, n] == 0:
            g_exc = np.int32(0)
            for s in range(n_types - 1):
                g_exc = np.int32(g_exc + _recorded_synapse(st, pr, n, s, ring, slot_base, lo,
                                                           idx_bits, shifts, input_type))
            rec_ge[t // rec_interval[REC_GE, n] - rec_row0[REC_GE, n], rec_ge_col[n]] = g_exc
        if rec_gi_col[n] >= 0 and t % rec_interval[REC_GI, n] == 0:
            rec_gi[t // rec_interval[REC_GI, n] - rec_row0[REC_GI, n], rec_gi_col[n]] = \
                _recorded_synapse(st, pr, n, n_types - 1, ring, slot_base, lo, idx_bits,
                                  shifts, input_type)


@njit(cache=True, _nrt=False)
def external_currents(t, atoms, ext, cs_ptr, cs_inst, cs_i, cs_f, cs_kiss, step_tick,
                      step_amp):
    """``ext[n]`` = this tick's current-source offset of each of ``atoms`` (index order, so
    noisy sources draw in the chip's order)."""
    for n in atoms:
        ext[n] = current_source_offset(n, t, cs_ptr, cs_inst, cs_i, cs_f, cs_kiss, step_tick,
                                       step_amp)


@njit(cache=True, _nrt=False)
def input_current(st, pr, lo, hi, n_types, input_type, ext, cur):
    """``cur = I_exc - I_inh + I_offset + external`` (s16.15 nA, int32 wrap-around) of the
    atoms [lo, hi); the synapse types before the last are excitatory (spec §1.6)."""
    out = cur[lo:hi]
    v = st[S_V, lo:hi]
    offset = pr[P_I_OFFSET, lo:hi]
    external = ext[lo:hi]
    for k in range(out.size):
        out[k] = np.int32(offset[k] + external[k])
    inh = st[S_SYN0 + n_types - 1, lo:hi]
    if input_type == CONDUCTANCE:
        e_rev_e = pr[P_E_REV_E, lo:hi]
        e_rev_i = pr[P_E_REV_I, lo:hi]
        for s in range(n_types - 1):
            syn = st[S_SYN0 + s, lo:hi]
            for k in range(out.size):
                out[k] = np.int32(out[k] + mul_s1615(syn[k] >> COND_SHIFT,
                                                     np.int32(e_rev_e[k] - v[k])))
        for k in range(out.size):
            out[k] = np.int32(out[k] - mul_s1615(-(inh[k] >> COND_SHIFT),
                                                 np.int32(e_rev_i[k] - v[k])))
    elif input_type == DELTA:
        scale = pr[P_DELTA_SCALE, lo:hi]
        for s in range(n_types - 1):
            syn = st[S_SYN0 + s, lo:hi]
            for k in range(out.size):
                out[k] = np.int32(out[k] + mul_s1615(syn[k], np.int32(scale[k])))
        for k in range(out.size):
            out[k] = np.int32(out[k] - mul_s1615(inh[k], np.int32(scale[k])))
    else:
        for s in range(n_types - 1):
            syn = st[S_SYN0 + s, lo:hi]
            for k in range(out.size):
                out[k] = np.int32(out[k] + syn[k])
        for k in range(out.size):
            out[k] = np.int32(out[k] - inh[k])


@njit(cache=True, _nrt=False)
def lif_update(st, pr, lo, hi, cur, spiked):
    """LIF membrane step of atoms [lo, hi) (spec §1.2): outside the refractory period
    ``alpha = I R + V_rest``, ``V = alpha - exp_TC (alpha - V)``; at ``V >= V_thresh`` reset
    and refractory countdown. Returns the number of spikes, flags in ``spiked``."""
    v = st[S_V, lo:hi]
    refract = st[S_REFRACT, lo:hi]
    current = cur[lo:hi]
    fired = spiked[lo:hi]
    r_mem = pr[P_R, lo:hi]
    v_rest = pr[P_V_REST, lo:hi]
    exp_tc = pr[P_EXP_TC, lo:hi]
    v_thresh = pr[P_V_THRESH, lo:hi]
    v_reset = pr[P_V_RESET, lo:hi]
    t_refract = pr[P_T_REFRACT, lo:hi]
    n_spikes = 0
    for k in range(v.size):
        vk = v[k]
        alpha = np.int32(mul_s1615(current[k], np.int32(r_mem[k])) + v_rest[k])
        v_free = np.int32(alpha - mul_s1615(np.int32(exp_tc[k]), np.int32(alpha - vk)))
        rk = refract[k]
        if rk <= 0:
            vk = v_free
        else:
            rk = np.int32(rk - 1)
        spike = vk >= v_thresh[k]
        if spike:
            vk = np.int32(v_reset[k])
            rk = np.int32(t_refract[k])
        v[k] = vk
        refract[k] = rk
        fired[k] = spike
        n_spikes += spike
    return n_spikes


@njit(cache=True, _nrt=False, inline="always")
def lif_two_synapse_tick(ring, base0, base1, shift0, shift1, st, pr, lo, hi, conductance,
                         uniform, ext, spiked):
    """The whole neuron tick of LIF atoms [lo, hi) with one excitatory and one inhibitory
    exponential synapse, current or conductance input, in one loop: ring slots in (and
    cleared), input current, membrane step, synapse decay. The same arithmetic as
    :func:`transfer_ring_slot`, :func:`input_current`, :func:`lif_update` and
    :func:`decay_synapses` in turn; returns the number of spikes (flags in ``spiked``).
    ``uniform``: every atom has the constants of atom ``lo`` (read once, not per atom)."""
    # each call below compiles its own loop with its flags constant (vectorised)
    if uniform:
        if conductance:
            return _lif_uniform_loop(ring, base0, base1, shift0, shift1, st, pr, lo, hi, True,
                                     ext, spiked)
        return _lif_uniform_loop(ring, base0, base1, shift0, shift1, st, pr, lo, hi, False,
                                 ext, spiked)
    if conductance:
        return _lif_loop(ring, base0, base1, shift0, shift1, st, pr, lo, hi, True, ext, spiked)
    return _lif_loop(ring, base0, base1, shift0, shift1, st, pr, lo, hi, False, ext, spiked)


@njit(cache=True, _nrt=False, inline="always")
def _lif_step(w0, w1, shift0, shift1, syn0, syn1, v, refract, external, init0, init1,
              decay0, decay1, offset, r_mem, v_rest, exp_tc, v_thresh, v_reset, t_refract,
              e_rev_e, e_rev_i, conductance):
    """One LIF neuron's tick (two exponential synapses); returns the new (v, refract, syn0,
    syn1) and whether it spiked."""
    s0 = synaptic_input(w0, shift0, syn0, init0, False)
    s1 = synaptic_input(w1, shift1, syn1, init1, False)
    if conductance:
        current = np.int32(offset + external
                           + mul_s1615(s0 >> COND_SHIFT, np.int32(e_rev_e - v))
                           - mul_s1615(-(s1 >> COND_SHIFT), np.int32(e_rev_i - v)))
    else:
        current = np.int32(offset + external + s0 - s1)
    alpha = np.int32(mul_s1615(current, np.int32(r_mem)) + v_rest)
    v_free = np.int32(alpha - mul_s1615(np.int32(exp_tc), np.int32(alpha - v)))
    if refract <= 0:
        v = v_free
    else:
        refract = np.int32(refract - 1)
    spike = v >= v_thresh
    if spike:
        v = np.int32(v_reset)
        refract = np.int32(t_refract)
    return v, refract, decay_s1615(s0, decay0), decay_s1615(s1, decay1), spike


@njit(cache=True, _nrt=False, inline="always")
def _lif_loop(ring, base0, base1, shift0, shift1, st, pr, lo, hi, conductance, ext, spiked):
    """:func:`_lif_step` over atoms [lo, hi), constants per atom."""
    slot0 = ring[base0:base0 + hi - lo]
    slot1 = ring[base1:base1 + hi - lo]
    syn0, syn1 = st[S_SYN0, lo:hi], st[S_SYN0 + 1, lo:hi]
    v, refract = st[S_V, lo:hi], st[S_REFRACT, lo:hi]
    fired, external = spiked[lo:hi], ext[lo:hi]
    init0, init1 = pr[P_INIT0, lo:hi], pr[P_INIT1, lo:hi]
    decay0, decay1 = pr[P_DECAY0, lo:hi], pr[P_DECAY1, lo:hi]
    offset, r_mem, v_rest = pr[P_I_OFFSET, lo:hi], pr[P_R, lo:hi], pr[P_V_REST, lo:hi]
    exp_tc, v_thresh = pr[P_EXP_TC, lo:hi], pr[P_V_THRESH, lo:hi]
    v_reset, t_refract = pr[P_V_RESET, lo:hi], pr[P_T_REFRACT, lo:hi]
    e_rev_e, e_rev_i = pr[P_E_REV_E, lo:hi], pr[P_E_REV_I, lo:hi]
    n_spikes = 0
    for k in range(v.size):
        v[k], refract[k], syn0[k], syn1[k], fired[k] = _lif_step(
            slot0[k], slot1[k], shift0, shift1, syn0[k], syn1[k], v[k], refract[k],
            external[k], init0[k], init1[k], decay0[k], decay1[k], offset[k], r_mem[k],
            v_rest[k], exp_tc[k], v_thresh[k], v_reset[k], t_refract[k], e_rev_e[k],
            e_rev_i[k], conductance)
        slot0[k] = 0
        slot1[k] = 0
        n_spikes += fired[k]
    return n_spikes


@njit(cache=True, _nrt=False, inline="always")
def _lif_uniform_loop(ring, base0, base1, shift0, shift1, st, pr, lo, hi, conductance, ext,
                      spiked):
    """:func:`_lif_step` over atoms [lo, hi) sharing the constants of atom ``lo``: blocks
    of 16 atoms in vector code (:func:`neuroemu.spinnaker.neuron_simd.lif_block`, the same
    bits), the rest one by one."""
    slot0 = ring[base0:base0 + hi - lo]
    slot1 = ring[base1:base1 + hi - lo]
    syn0, syn1 = st[S_SYN0, lo:hi], st[S_SYN0 + 1, lo:hi]
    v, refract = st[S_V, lo:hi], st[S_REFRACT, lo:hi]
    fired, external = spiked[lo:hi], ext[lo:hi]
    init0, init1, decay0, decay1 = (pr[P_INIT0, lo], pr[P_INIT1, lo], pr[P_DECAY0, lo],
                                    pr[P_DECAY1, lo])
    offset, r_mem, v_rest, exp_tc = (pr[P_I_OFFSET, lo], pr[P_R, lo], pr[P_V_REST, lo],
                                     pr[P_EXP_TC, lo])
    v_thresh, v_reset, t_refract = pr[P_V_THRESH, lo], pr[P_V_RESET, lo], pr[P_T_REFRACT, lo]
    e_rev_e, e_rev_i = pr[P_E_REV_E, lo], pr[P_E_REV_I, lo]
    constants = (np.int32(shift0), np.int32(shift1), init0, init1, decay0, decay1, offset,
                 r_mem, v_rest, exp_tc, v_thresh, v_reset, t_refract, e_rev_e, e_rev_i)
    n_spikes = 0
    n_blocks = v.size // BLOCK
    if conductance:
        for b in range(n_blocks):
            n_spikes += lif_block(slot0, slot1, syn0, syn1, v, refract, external, fired,
                                  b * BLOCK, constants, True)
    else:
        for b in range(n_blocks):
            n_spikes += lif_block(slot0, slot1, syn0, syn1, v, refract, external, fired,
                                  b * BLOCK, constants, False)
    for k in range(n_blocks * BLOCK, v.size):
        v[k], refract[k], syn0[k], syn1[k], fired[k] = _lif_step(
            slot0[k], slot1[k], shift0, shift1, syn0[k], syn1[k], v[k], refract[k],
            external[k], init0, init1, decay0, decay1, offset, r_mem, v_rest, exp_tc,
            v_thresh, v_reset, t_refract, e_rev_e, e_rev_i, conductance)
        slot0[k] = 0
        slot1[k] = 0
        n_spikes += fired[k]
    return n_spikes


@njit(cache=True)
def uniform_constants(pr, lo, hi):
    """True when every atom of [lo, hi) has the same constants (then read once per tick)."""
    for j in range(pr.shape[0]):
        for n in range(lo + 1, hi):
            if pr[j, n] != pr[j, lo]:
                return False
    return True


@njit(cache=True, _nrt=False)
def izhikevich_update(st, pr, lo, hi, cur, spiked):
    """Izhikevich step of atoms [lo, hi): RK2 midpoint over the adaptive step ``h`` with the
    chip's s16.15 operations, reset ``V = c, U += d`` at threshold (spec §1.5); returns the number of spikes."""
    n_spikes = 0
    for n in range(lo, hi):
        h = np.int32(st[S_H, n])
        v = np.int32(st[S_V, n])
        u = np.int32(st[S_U, n])
        a = np.int32(pr[P_A, n])
        b = np.int32(pr[P_B, n])
        pre = np.int32(S1615_140 + cur[n] - u)
        alpha = np.int32(pre + mul_s1615(np.int32(S1615_5 + mul_s1615(IZK_MAGIC, v)), v))
        eta = np.int32(v + (mul_s1615(h, alpha) >> 1))
        beta = np.int32(mul_s1615(mul_s1615(h, np.int32(mul_s1615(b, v) - u)), a) >> 1)
        dv = mul_s1615(h, np.int32(pre - beta + mul_s1615(
            np.int32(S1615_5 + mul_s1615(IZK_MAGIC, eta)), eta)))
        du = mul_s1615(mul_s1615(a, h), np.int32(-u - beta + mul_s1615(b, eta)))
        st[S_V, n] = np.int32(v + dv)
        st[S_U, n] = np.int32(u + du)
        st[S_H, n] = np.int32(pr[P_RESET_H, n])
        spiked[n] = st[S_V, n] >= pr[P_V_THRESH, n]
        if spiked[n]:
            st[S_V, n] = np.int32(pr[P_C, n])
            st[S_U, n] = np.int32(st[S_U, n] + pr[P_D, n])
            st[S_H, n] = mul_s1615(np.int32(pr[P_RESET_H, n]), IZK_TQ_OFFSET)
            n_spikes += 1
    return n_spikes


@njit(cache=True, _nrt=False)
def decay_synapses(st, pr, lo, hi, n_types, input_type):
    """End of the tick: exponential synapses decay by their u0.32 factor, delta synapses
    are emptied."""
    for s in range(n_types):
        syn = st[S_SYN0 + s, lo:hi]
        if input_type == DELTA:
            syn[:] = 0
        else:
            decay = pr[P_DECAY0 + 2 * s, lo:hi]
            for k in range(syn.size):
                syn[k] = decay_s1615(syn[k], decay[k])
