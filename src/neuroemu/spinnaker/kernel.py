"""The SpiNNaker machine loop: one jitted call runs a whole ``run()``.

Per tick (spec §1.3, §1.4):

1. routing (serial, :func:`neuroemu.spinnaker.faults.route_packets`): every spike packet
   sent in the previous tick is looked up in the routing table (key -> [(core, synaptic
   row)]) and queued in the inbox of each target core (optionally through the fault model);
2. cores (``prange``, each core owns its state, rows and ring buffer, so no races):
   * neuron core: process inbox rows into the uint16 ring buffer (saturating), transfer the
     slot of this tick into the synaptic state, update every neuron (s16.15), emit spikes;
   * Poisson core: KISS64-driven spike counts (multi-spike packets);
   * spike-array core: the spikes scheduled for this tick;
   * delay-extension core: remember incoming spikes, re-send them on stage keys after
     ``stage * slots`` ticks;
3. gather (serial, in core order): outgoing packets become next tick's routing input, and
   recorded spikes are set in the recording bitfield.

Same inputs give bit-identical results for any thread count: cores never share writable
state and the serial steps run in a fixed order.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from neuroemu.engine.fixedpoint import decay_s1615, mul_s1615
from neuroemu.spinnaker.current_sources import current_source_offset
from neuroemu.spinnaker.faults import route_packets
from neuroemu.spinnaker.poisson import poisson_core_tick
from neuroemu.spinnaker.stdp import add_post_event, plastic_synapse_update, pre_trace_after_spike

# core kinds
NEURON_CORE, POISSON_CORE, ARRAY_CORE, DELAY_CORE = 0, 1, 2, 3
# neuron models (C_MODEL) and input types (C_INPUT)
LIF, IZK = 0, 1
CURRENT, CONDUCTANCE, DELTA = 0, 1, 2
# columns of the per-neuron state array (int32); synapse state per synapse type
S_V, S_SYN0, S_SYN1, S_SYN2, S_REFRACT, S_U, S_H = range(7)
N_STATE = 7
# columns of the per-neuron constant array (int64)
(P_V_REST, P_V_RESET, P_V_THRESH, P_EXP_TC, P_R, P_T_REFRACT, P_I_OFFSET, P_E_REV_E,
 P_E_REV_I, P_DECAY0, P_INIT0, P_DECAY1, P_INIT1, P_DECAY2, P_INIT2, P_A, P_B, P_C, P_D,
 P_RESET_H, P_DELTA_SCALE) = range(21)
N_PARAMS = 21
# columns of the per-core integer table
(C_KIND, C_LO, C_HI, C_MODEL, C_RING_OFF, C_IDX_BITS, C_DELAY_MASK, C_SHIFT0, C_SHIFT1,
 C_SHIFT2, C_INBOX_OFF, C_OUT_OFF, C_SUB, C_AUX_OFF, C_AUX_LEN, C_SLOTS, C_STAGES, C_INPUT,
 C_N_TYPES, C_TYPE_BITS, C_STDP) = range(21)
# C_SUB: Poisson core -> index among Poisson cores; delay core -> its first stage key.
# C_AUX_OFF/C_AUX_LEN: Poisson -> first Poisson atom; array core -> its event range;
# delay core -> offset and length (ticks) of its spike history.
# C_N_TYPES: synapse types (2, or 3 for dual excitatory); the last one is inhibitory.
# C_STDP: index of the core's STDP rule, -1 if it has no plastic synapses.
N_CORE_COLS = 21
# provenance counters per core
PROV_SATURATED, PROV_SPIKES, N_PROV = 0, 1, 2
# rows of rec_interval / rec_row0 (per recorded state variable, per atom)
REC_V, REC_GE, REC_GI = 0, 1, 2
# conductance input: g = syn >> 10 (7.4.1 binary, spec §1.6)
COND_SHIFT = 10
# Izhikevich (spec §1.5): 0.040008544921875 = 1311 / 2^15; 1.85 as an s16.15 literal
IZK_MAGIC = 1311
IZK_TQ_OFFSET = 60621
S1615_140, S1615_5 = 140 << 15, 5 << 15


@njit(cache=True)
def _izhikevich_step(state, params, n, h, current):
    """RK2 midpoint update of (V, U) over ``h`` with the chip's s16.15 operations (§1.5)."""
    v = np.int32(state[n, S_V])
    u = np.int32(state[n, S_U])
    a = np.int32(params[n, P_A])
    b = np.int32(params[n, P_B])
    pre = np.int32(S1615_140 + current - u)
    alpha = np.int32(pre + mul_s1615(np.int32(S1615_5 + mul_s1615(IZK_MAGIC, v)), v))
    eta = np.int32(v + (mul_s1615(h, alpha) >> 1))
    beta = np.int32(mul_s1615(mul_s1615(h, np.int32(mul_s1615(b, v) - u)), a) >> 1)
    dv = mul_s1615(h, np.int32(pre - beta + mul_s1615(
        np.int32(S1615_5 + mul_s1615(IZK_MAGIC, eta)), eta)))
    du = mul_s1615(mul_s1615(a, h), np.int32(-u - beta + mul_s1615(b, eta)))
    state[n, S_V] = np.int32(v + dv)
    state[n, S_U] = np.int32(u + du)


@njit(cache=True)
def _excitatory_current(state, params, n, col, input_type, v):
    """Excitatory synapse state -> current (nA, s16.15) for one synapse type (spec §1.6)."""
    syn = state[n, col]
    if input_type == CONDUCTANCE:
        return mul_s1615(syn >> COND_SHIFT, np.int32(params[n, P_E_REV_E] - v))
    if input_type == DELTA:
        return mul_s1615(syn, np.int32(params[n, P_DELTA_SCALE]))
    return syn


@njit(cache=True)
def _plastic_row(c, r0, length, prow, t_pre, cores, words, ring, roff, ring_mask, shift_time,
                 prov, pre_time, pre_trace, post_n, post_t, post_tr, post_dummy, timing, luts,
                 lut_len, lut_shift, wdep, wpar):
    """A presynaptic spike through a plastic row: deferred STDP update of every synapse,
    new weight into the ring buffer and back into the row (spec §8, ``stdp.py``)."""
    idx_bits = cores[c, C_IDX_BITS]
    ti_bits = idx_bits + cores[c, C_TYPE_BITS]
    last_t = pre_time[prow]
    last_r1 = pre_trace[prow, 0]
    last_r2 = pre_trace[prow, 1]
    pre_time[prow] = t_pre
    pre_trace_after_spike(timing, t_pre, last_t, last_r1, last_r2, luts, lut_len, lut_shift,
                          pre_trace[prow])
    new_r2 = pre_trace[prow, 1]
    lo = cores[c, C_LO]
    for w in range(r0, r0 + length):
        word = np.int64(words[w])
        ctrl = word & 0xFFFF
        s = (ctrl >> idx_bits) & ((1 << (ti_bits - idx_bits)) - 1)
        d = ctrl >> ti_bits
        n = lo + (ctrl & ((1 << idx_bits) - 1))
        shift = cores[c, C_SHIFT0 + s]
        weight = plastic_synapse_update(
            (word >> 16) << shift, n, d, t_pre, last_t, last_r1, new_r2, post_n,
            post_t, post_tr, post_dummy, timing, luts, lut_len, lut_shift, wdep, wpar[s])
        new_w = (weight >> shift) & 0xFFFF
        words[w] = np.uint32((new_w << 16) | ctrl)
        idx = roff + ((ctrl + shift_time) & ring_mask)
        acc = np.int64(ring[idx]) + new_w
        if acc > 0xFFFF:
            acc = 0xFFFF
            prov[c, PROV_SATURATED] += 1
        ring[idx] = np.uint16(acc)


@njit(cache=True)
def _neuron_core(c, t, cores, state, params, words, ring, inbox_row, inbox_len, inbox_cnt,
                 inbox_time, inbox_prow, inbox_n, out_key, out_cnt, out_n, prov, cs_ptr,
                 cs_inst, cs_i, cs_f, cs_kiss, step_tick, step_amp, pre_time, pre_trace,
                 post_n, post_t, post_tr, post_dummy, luts, lut_len, lut_shift, timing, wdep,
                 wpar, rec_v_col, rec_ge_col, rec_gi_col,
                 rec_interval, rec_row0, rec_v, rec_ge, rec_gi):
    lo, hi = cores[c, C_LO], cores[c, C_HI]
    roff = cores[c, C_RING_OFF]
    idx_bits = cores[c, C_IDX_BITS]
    ti_bits = idx_bits + cores[c, C_TYPE_BITS]
    n_types = cores[c, C_N_TYPES]
    dmask = cores[c, C_DELAY_MASK]
    ring_mask = ((dmask + 1) << ti_bits) - 1
    model = cores[c, C_MODEL]
    input_type = cores[c, C_INPUT]
    # 1. synaptic rows of the packets routed to this core
    ib = cores[c, C_INBOX_OFF]
    rule = cores[c, C_STDP]
    for e in range(inbox_n[c]):
        r0 = inbox_row[ib + e]
        cnt = inbox_cnt[ib + e]
        shift_time = (inbox_time[ib + e] & dmask) << ti_bits
        prow = inbox_prow[ib + e]
        if prow >= 0:
            for _ in range(cnt):
                _plastic_row(c, r0, inbox_len[ib + e], prow, inbox_time[ib + e], cores, words,
                             ring, roff, ring_mask, shift_time, prov, pre_time, pre_trace,
                             post_n, post_t, post_tr, post_dummy, timing[rule], luts[rule],
                             lut_len[rule], lut_shift[rule], wdep[rule], wpar[rule])
            continue
        for w in range(r0, r0 + inbox_len[ib + e]):
            word = np.int64(words[w])
            weight = word >> 16
            idx = roff + (((word & 0xFFFF) + shift_time) & ring_mask)
            for _ in range(cnt):
                acc = np.int64(ring[idx]) + weight
                if acc > 0xFFFF:
                    acc = 0xFFFF
                    prov[c, PROV_SATURATED] += 1
                ring[idx] = np.uint16(acc)
    inbox_n[c] = 0
    # 2. ring-buffer slot of this tick -> synaptic state
    slot_base = roff + ((t & dmask) << ti_bits)
    n_here = hi - lo
    for s in range(n_types):
        base = slot_base + (s << idx_bits)
        sh = cores[c, C_SHIFT0 + s]
        col = S_SYN0 + s
        for k in range(n_here):
            value = ring[base + k]
            if value != 0:
                n = lo + k
                inp = np.int32(np.int64(value) << sh)
                if input_type == DELTA:
                    state[n, col] = np.int32(state[n, col] + inp)
                else:
                    state[n, col] = np.int32(state[n, col] + decay_s1615(
                        inp, params[n, P_INIT0 + 2 * s]))
                ring[base + k] = 0
    # 3. neuron updates in index order
    inh_col = S_SYN0 + n_types - 1
    ob = cores[c, C_OUT_OFF]
    n_out = 0
    for k in range(n_here):
        n = lo + k
        v = state[n, S_V]
        i_exc = np.int32(0)
        g_exc = np.int32(0)
        for col in range(S_SYN0, inh_col):
            i_exc = np.int32(i_exc + _excitatory_current(state, params, n, col, input_type, v))
            g_exc = np.int32(g_exc + (state[n, col] >> COND_SHIFT if input_type == CONDUCTANCE
                                      else state[n, col]))
        g_inh = state[n, inh_col]
        if input_type == CONDUCTANCE:
            g_inh = g_inh >> COND_SHIFT
            i_inh = mul_s1615(-g_inh, np.int32(params[n, P_E_REV_I] - v))
        elif input_type == DELTA:
            i_inh = mul_s1615(g_inh, np.int32(params[n, P_DELTA_SCALE]))
        else:
            i_inh = g_inh
        if rec_v_col[n] >= 0 and t % rec_interval[REC_V, n] == 0:
            rec_v[t // rec_interval[REC_V, n] - rec_row0[REC_V, n], rec_v_col[n]] = v
        if rec_ge_col[n] >= 0 and t % rec_interval[REC_GE, n] == 0:
            rec_ge[t // rec_interval[REC_GE, n] - rec_row0[REC_GE, n], rec_ge_col[n]] = g_exc
        if rec_gi_col[n] >= 0 and t % rec_interval[REC_GI, n] == 0:
            rec_gi[t // rec_interval[REC_GI, n] - rec_row0[REC_GI, n], rec_gi_col[n]] = g_inh
        external = np.int32(0)
        if cs_ptr[n + 1] > cs_ptr[n]:
            external = current_source_offset(n, t, cs_ptr, cs_inst, cs_i, cs_f, cs_kiss,
                                             step_tick, step_amp)
        current = np.int32(i_exc - i_inh + params[n, P_I_OFFSET] + external)
        spiked = False
        if model == IZK:
            _izhikevich_step(state, params, n, np.int32(state[n, S_H]), current)
            state[n, S_H] = np.int32(params[n, P_RESET_H])
            if state[n, S_V] >= params[n, P_V_THRESH]:
                spiked = True
                state[n, S_V] = np.int32(params[n, P_C])
                state[n, S_U] = np.int32(state[n, S_U] + params[n, P_D])
                state[n, S_H] = mul_s1615(np.int32(params[n, P_RESET_H]), IZK_TQ_OFFSET)
        else:
            if state[n, S_REFRACT] <= 0:
                alpha = np.int32(mul_s1615(current, np.int32(params[n, P_R])) +
                                 params[n, P_V_REST])
                v = np.int32(alpha - mul_s1615(np.int32(params[n, P_EXP_TC]),
                                               np.int32(alpha - v)))
            else:
                state[n, S_REFRACT] -= 1
            if v >= params[n, P_V_THRESH]:
                spiked = True
                v = np.int32(params[n, P_V_RESET])
                state[n, S_REFRACT] = np.int32(params[n, P_T_REFRACT])
            state[n, S_V] = v
        if spiked:
            if rule >= 0:
                add_post_event(n, t, timing[rule], post_n, post_t, post_tr, post_dummy,
                               luts[rule], lut_len[rule], lut_shift[rule])
            out_key[ob + n_out] = n
            out_cnt[ob + n_out] = 1
            n_out += 1
        for s in range(n_types):
            if input_type == DELTA:
                state[n, S_SYN0 + s] = 0
            else:
                state[n, S_SYN0 + s] = decay_s1615(state[n, S_SYN0 + s],
                                                    params[n, P_DECAY0 + 2 * s])
    out_n[c] = n_out
    prov[c, PROV_SPIKES] += n_out


@njit(cache=True)
def _array_core(c, t, cores, arr_ptr, arr_tick, arr_atom, arr_cnt, out_key, out_cnt, out_n):
    """Spike-source-array core: emit the events of tick ``t`` (sorted by tick, atom)."""
    p = arr_ptr[c]
    end = cores[c, C_AUX_LEN]
    ob = cores[c, C_OUT_OFF]
    n_out = 0
    while p < end and arr_tick[p] < t:
        p += 1
    while p < end and arr_tick[p] == t:
        out_key[ob + n_out] = arr_atom[p]
        out_cnt[ob + n_out] = arr_cnt[p]
        n_out += 1
        p += 1
    arr_ptr[c] = p
    out_n[c] = n_out


@njit(cache=True)
def _delay_core(c, t, cores, hist, inbox_row, inbox_cnt, inbox_time, inbox_n, out_key,
                out_cnt, out_n):
    """Delay-extension core: re-send spikes of tick t0 on stage key s at t0 + s * slots."""
    n_here = cores[c, C_HI] - cores[c, C_LO]
    slots = cores[c, C_SLOTS]
    stages = cores[c, C_STAGES]
    h_len = cores[c, C_AUX_LEN]
    hoff = cores[c, C_AUX_OFF]
    ib = cores[c, C_INBOX_OFF]
    for e in range(inbox_n[c]):
        local = inbox_row[ib + e] - cores[c, C_LO]
        hist[hoff + (inbox_time[ib + e] % h_len) * n_here + local] += inbox_cnt[ib + e]
    inbox_n[c] = 0
    ob = cores[c, C_OUT_OFF]
    key0 = cores[c, C_SUB]
    n_out = 0
    for s in range(1, stages + 1):
        t0 = t - s * slots
        if t0 < 0:
            break
        base = hoff + (t0 % h_len) * n_here
        for k in range(n_here):
            cnt = hist[base + k]
            if cnt > 0:
                out_key[ob + n_out] = key0 + (s - 1) * n_here + k
                out_cnt[ob + n_out] = cnt
                n_out += 1
    t_old = t - stages * slots
    if t_old >= 0:
        base = hoff + (t_old % h_len) * n_here
        for k in range(n_here):
            hist[base + k] = 0
    out_n[c] = n_out


@njit(cache=True, parallel=True)
def run_ticks(t_start, n_ticks, cores, state, params, words, ring, route_ptr, word_ptr,
              route_core, route_len, route_prow, inbox_row, inbox_len, inbox_cnt, inbox_time,
              inbox_prow, inbox_n,
              pend_key, pend_cnt, pend_time, pend_n, out_key, out_cnt, out_n, prov,
              arr_ptr, arr_tick, arr_atom, arr_cnt, hist, poisson_fields, poisson_counts,
              current_sources, stdp_tables, rec_spike_col, rec_spikes, rec_v_col, rec_ge_col,
              rec_gi_col, rec_interval, rec_row0, rec_v, rec_ge, rec_gi, net):
    """Advance the machine from tick ``t_start`` by ``n_ticks`` ticks (state in place);
    ``net`` is the routing state of :mod:`neuroemu.spinnaker.faults`."""
    n_cores = cores.shape[0]
    for step in range(n_ticks):
        t = t_start + step
        # 1. route last tick's packets into the inboxes of their target cores
        route_packets(cores[:, C_INBOX_OFF], pend_key, pend_cnt, pend_time, pend_n, route_ptr,
                      word_ptr, route_core, route_len, route_prow, inbox_row, inbox_len,
                      inbox_cnt, inbox_time, inbox_prow, inbox_n, net)
        # 2. every core does its tick
        for c in prange(n_cores):
            kind = cores[c, C_KIND]
            if kind == NEURON_CORE:
                _neuron_core(c, t, cores, state, params, words, ring, inbox_row, inbox_len,
                             inbox_cnt, inbox_time, inbox_prow, inbox_n, out_key, out_cnt,
                             out_n, prov, *current_sources, *stdp_tables, rec_v_col, rec_ge_col, rec_gi_col, rec_interval, rec_row0,
                             rec_v, rec_ge, rec_gi)
            elif kind == POISSON_CORE:
                sub = cores[c, C_SUB]
                poisson_core_tick(t, sub, *poisson_fields, poisson_counts)
                lo, hi = cores[c, C_LO], cores[c, C_HI]
                p_lo = cores[c, C_AUX_OFF]
                ob = cores[c, C_OUT_OFF]
                n_out = 0
                for k in range(hi - lo):
                    cnt = poisson_counts[p_lo + k]
                    if cnt > 0:
                        out_key[ob + n_out] = lo + k
                        out_cnt[ob + n_out] = cnt
                        n_out += 1
                out_n[c] = n_out
                prov[c, PROV_SPIKES] += n_out
            elif kind == ARRAY_CORE:
                _array_core(c, t, cores, arr_ptr, arr_tick, arr_atom, arr_cnt, out_key,
                            out_cnt, out_n)
            else:
                _delay_core(c, t, cores, hist, inbox_row, inbox_cnt, inbox_time, inbox_n,
                            out_key, out_cnt, out_n)
        # 3. gather packets (core order) for the next tick's routing; record spikes
        row = step
        for c in range(n_cores):
            ob = cores[c, C_OUT_OFF]
            is_delay = cores[c, C_KIND] == DELAY_CORE
            for q in range(out_n[c]):
                key = out_key[ob + q]
                p = pend_n[0]
                pend_key[p] = key
                pend_cnt[p] = out_cnt[ob + q]
                pend_time[p] = t
                pend_n[0] = p + 1
                if not is_delay:
                    col = rec_spike_col[key]
                    if col >= 0:
                        rec_spikes[row, col >> 5] |= np.uint32(1) << np.uint32(col & 31)
            out_n[c] = 0
