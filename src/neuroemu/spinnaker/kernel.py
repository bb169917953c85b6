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
from neuroemu.spinnaker.faults import route_packets
from neuroemu.spinnaker.poisson import poisson_core_tick

# core kinds
NEURON_CORE, POISSON_CORE, ARRAY_CORE, DELAY_CORE = 0, 1, 2, 3
# neuron models
CURR_EXP, COND_EXP = 0, 1
# columns of the per-neuron state array (int32)
S_V, S_EXC, S_INH, S_REFRACT = 0, 1, 2, 3
# columns of the per-neuron constant array (int64)
(P_V_REST, P_V_RESET, P_V_THRESH, P_EXP_TC, P_R, P_T_REFRACT, P_I_OFFSET, P_E_REV_E,
 P_E_REV_I, P_DECAY_E, P_INIT_E, P_DECAY_I, P_INIT_I) = range(13)
N_PARAMS = 13
# columns of the per-core integer table
(C_KIND, C_LO, C_HI, C_MODEL, C_RING_OFF, C_IDX_BITS, C_DELAY_MASK, C_SHIFT_E, C_SHIFT_I,
 C_INBOX_OFF, C_OUT_OFF, C_SUB, C_AUX_OFF, C_AUX_LEN, C_SLOTS, C_STAGES) = range(16)
# C_SUB: Poisson core -> index among Poisson cores; delay core -> its first stage key.
# C_AUX_OFF/C_AUX_LEN: Poisson -> first Poisson atom; array core -> its event range;
# delay core -> offset and length (ticks) of its spike history.
N_CORE_COLS = 16
# provenance counters per core
PROV_SATURATED, PROV_SPIKES, N_PROV = 0, 1, 2
# conductance input: g = syn >> 10 (7.4.1 binary, spec §1.6)
COND_SHIFT = 10


@njit(cache=True)
def _neuron_core(c, t, cores, state, params, words, ring, inbox_row, inbox_len, inbox_cnt,
                 inbox_time, inbox_n, out_key, out_cnt, out_n, prov, rec_v_col, rec_ge_col,
                 rec_gi_col, rec_interval, rec_row0, rec_v, rec_ge, rec_gi):
    lo, hi = cores[c, C_LO], cores[c, C_HI]
    roff = cores[c, C_RING_OFF]
    idx_bits = cores[c, C_IDX_BITS]
    ti_bits = idx_bits + 1
    dmask = cores[c, C_DELAY_MASK]
    ring_mask = ((dmask + 1) << ti_bits) - 1
    # 1. synaptic rows of the packets routed to this core
    ib = cores[c, C_INBOX_OFF]
    for e in range(inbox_n[c]):
        r0 = inbox_row[ib + e]
        cnt = inbox_cnt[ib + e]
        shift_time = (inbox_time[ib + e] & dmask) << ti_bits
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
    shift_e = cores[c, C_SHIFT_E]
    shift_i = cores[c, C_SHIFT_I]
    for s in range(2):
        base = slot_base + (s << idx_bits)
        sh = shift_e if s == 0 else shift_i
        col = S_EXC if s == 0 else S_INH
        pinit = P_INIT_E if s == 0 else P_INIT_I
        for k in range(n_here):
            value = ring[base + k]
            if value != 0:
                n = lo + k
                inp = np.int32(np.int64(value) << sh)
                state[n, col] = np.int32(state[n, col] + decay_s1615(inp, params[n, pinit]))
                ring[base + k] = 0
    # 3. neuron updates in index order
    model = cores[c, C_MODEL]
    ob = cores[c, C_OUT_OFF]
    n_out = 0
    for k in range(n_here):
        n = lo + k
        v = state[n, S_V]
        exc = state[n, S_EXC]
        inh = state[n, S_INH]
        iv = rec_interval[n]
        if iv > 0 and t % iv == 0:
            row = t // iv - rec_row0[n]
            if rec_v_col[n] >= 0:
                rec_v[row, rec_v_col[n]] = v
            if model == COND_EXP:
                g_e = exc >> COND_SHIFT
                g_i = inh >> COND_SHIFT
            else:
                g_e = exc
                g_i = inh
            if rec_ge_col[n] >= 0:
                rec_ge[row, rec_ge_col[n]] = g_e
            if rec_gi_col[n] >= 0:
                rec_gi[row, rec_gi_col[n]] = g_i
        if state[n, S_REFRACT] <= 0:
            if model == COND_EXP:
                i_exc = mul_s1615(exc >> COND_SHIFT, np.int32(params[n, P_E_REV_E] - v))
                i_inh = mul_s1615(-(inh >> COND_SHIFT), np.int32(params[n, P_E_REV_I] - v))
            else:
                i_exc = exc
                i_inh = inh
            current = np.int32(i_exc - i_inh + params[n, P_I_OFFSET])
            alpha = np.int32(mul_s1615(current, np.int32(params[n, P_R])) + params[n, P_V_REST])
            v = np.int32(alpha - mul_s1615(np.int32(params[n, P_EXP_TC]), np.int32(alpha - v)))
        else:
            state[n, S_REFRACT] -= 1
        if v >= params[n, P_V_THRESH]:
            v = np.int32(params[n, P_V_RESET])
            state[n, S_REFRACT] = np.int32(params[n, P_T_REFRACT])
            out_key[ob + n_out] = n
            out_cnt[ob + n_out] = 1
            n_out += 1
        state[n, S_V] = v
        state[n, S_EXC] = decay_s1615(exc, params[n, P_DECAY_E])
        state[n, S_INH] = decay_s1615(inh, params[n, P_DECAY_I])
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
        local = inbox_row[ib + e]
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
def run_ticks(t_start, n_ticks, cores, state, params, words, ring, route_ptr, route_core,
              route_row, route_len, inbox_row, inbox_len, inbox_cnt, inbox_time, inbox_n,
              pend_key, pend_cnt, pend_time, pend_n, out_key, out_cnt, out_n, prov,
              arr_ptr, arr_tick, arr_atom, arr_cnt, hist, poisson_fields, poisson_counts,
              rec_spike_col, rec_spikes, rec_v_col, rec_ge_col, rec_gi_col, rec_interval,
              rec_row0, rec_v, rec_ge, rec_gi, net):
    """Advance the machine from tick ``t_start`` by ``n_ticks`` ticks (state in place);
    ``net`` is the routing state of :mod:`neuroemu.spinnaker.faults`."""
    n_cores = cores.shape[0]
    for step in range(n_ticks):
        t = t_start + step
        # 1. route last tick's packets into the inboxes of their target cores
        route_packets(cores[:, C_INBOX_OFF], pend_key, pend_cnt, pend_time, pend_n, route_ptr,
                      route_core, route_row, route_len, inbox_row, inbox_len, inbox_cnt,
                      inbox_time, inbox_n, net)
        # 2. every core does its tick
        for c in prange(n_cores):
            kind = cores[c, C_KIND]
            if kind == NEURON_CORE:
                _neuron_core(c, t, cores, state, params, words, ring, inbox_row, inbox_len,
                             inbox_cnt, inbox_time, inbox_n, out_key, out_cnt, out_n, prov,
                             rec_v_col, rec_ge_col, rec_gi_col, rec_interval, rec_row0,
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
