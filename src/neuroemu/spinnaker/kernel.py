"""The SpiNNaker machine loop: one jitted call runs a whole ``run()``.

Per tick (spec §1.3, §1.4):

1. routing (:func:`neuroemu.spinnaker.routing.route_packets`): every spike packet sent in
   the previous tick is looked up in the routing table (key -> [(core, synaptic row)]) and
   queued in the inbox of each target core, or its static row added into the core's ring
   buffer at once where that gives the same bits (with the rows of direct Poisson sources
   at their place among the packets); through the fault model serially, else,
   when the cores run in threads, each thread routes the packets of its own cores;
2. cores (each core owns its state, rows and ring buffer, so no races; one after the other
   below ``PARALLEL_MIN_NEURONS`` neurons, else ``prange`` over groups of cores):
   * neuron core: process inbox rows into the uint16 ring buffer (saturating), transfer the
     slot of this tick into the synaptic state, update every neuron (s16.15,
     :mod:`neuroemu.spinnaker.neuron_update`), emit spikes;
   * Poisson core: KISS64-driven spike counts (multi-spike packets), several cores at once
     in SIMD lanes where they can (:mod:`neuroemu.spinnaker.knuth_lanes`); a thread draws
     its own group's lanes after its other cores, then the lanes other groups have not
     started (:func:`_lane_pool`), so a tick waits less for its slowest group;
   * spike-array core: the spikes scheduled for this tick;
   * delay-extension core: remember incoming spikes, re-send them on stage keys after
     ``stage * slots`` ticks;
3. gather (serial, in core order): outgoing packets become next tick's routing input, and
   recorded spikes are set in the recording bitfield.

Same inputs give bit-identical results for any thread count: cores never share writable
state and the serial steps run in a fixed order.

Speed (issue 5): the functions called per core and tick are compiled without reference
counting (``_nrt=False``: they never allocate, and the atomic increments of ~50 array
arguments per call cost more than a small core's update); the biggest ones are inlined
into the loop over cores. Routing adds most rows into the ring buffers at once
(:mod:`neuroemu.spinnaker.routing`), the routing entries and rows of a tick's packets are
prefetched together, and LIF cores whose atoms share their constants update 16 atoms per
vector step (:mod:`neuroemu.spinnaker.neuron_simd`).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from neuroemu.engine.atomics import fetch_add
from neuroemu.engine.cycles import cycle_counter
from neuroemu.engine.load_balance import balanced_bounds, initial_bounds, spread_group_cycles
from neuroemu.engine.prefetch import prefetch

# the core table and the neuron layout stay importable as kernel.X
from neuroemu.spinnaker.core_table import *
from neuroemu.spinnaker.direct_delivery import direct_rows, static_row
from neuroemu.spinnaker.faults import F_ON, NET_SENT
from neuroemu.spinnaker.knuth_lanes import LANE_ROWS, LANES, add_lane, draw_lanes, lane_thresholds
from neuroemu.spinnaker.neuron_layout import *
from neuroemu.spinnaker.neuron_layout import CONDUCTANCE, DELTA, IZK, LIF, P_INIT0, S_SYN0
from neuroemu.spinnaker.neuron_update import (
    chip_words,
    decay_synapses,
    external_currents,
    input_current,
    izhikevich_update,
    lif_two_synapse_tick,
    lif_update,
    record_signals,
    transfer_ring_slot,
    uniform_constants,
)
from neuroemu.spinnaker.poisson import (
    knuth_core_tick,
    knuth_windows,
    n_spiking,
    poisson_core_tick,
)
from neuroemu.spinnaker.routing import (
    DeliveryTables,
    count_sent,
    delivery_tables,
    route_packets,
)
from neuroemu.spinnaker.stdp import add_post_event, plastic_synapse_update, pre_trace_after_spike

# run_ticks: fewest neurons for which a tick's cores run in parallel threads
PARALLEL_MIN_NEURONS = 20000
# ... in which each thread runs one contiguous group of cores, regrouped every
# REBALANCE_TICKS ticks so that the groups took about equal cycles
REBALANCE_TICKS = 100
# inbox entries between a synaptic row's prefetch and its processing, and the words of
# the row prefetched (in 64-byte lines of 16 words)
PREFETCH_AHEAD = 12
PREFETCH_WORDS = 64
# below this many words (16 MiB, half this machine's L3) the rows stay in cache and the
# prefetches only cost time (VA: 0.077 s -> 0.085 s with them)
PREFETCH_MIN_WORDS = 1 << 22


@njit(cache=True, _nrt=False)
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


@njit(cache=True, _nrt=False, inline="always")
def _inbox_rows(c, e_from, e_to, cores, words, ring, inbox, prov, stdp_tables, roff, ring_mask,
                ti_bits, dmask):
    """Inbox entries [e_from, e_to) of neuron core ``c`` into its ring buffer. The rows lie
    anywhere in ``words`` (gigabytes at full scale) and their cells anywhere in the core's
    ring (tens of kB, hundreds of cores): when ``words`` exceeds the cache
    (PREFETCH_MIN_WORDS), the start of the row PREFETCH_AHEAD entries on and the ring cells
    of the next row are prefetched, so their cache misses overlap this row's additions."""
    inbox_row, inbox_len, inbox_cnt, inbox_time, inbox_prow, _ = inbox
    (pre_time, pre_trace, post_n, post_t, post_tr, post_dummy, luts, lut_len, lut_shift, timing,
     wdep, wpar) = stdp_tables
    ib = cores[c, C_INBOX_OFF]
    rule = cores[c, C_STDP]
    cold = words.size >= PREFETCH_MIN_WORDS
    for e in range(ib + e_from, ib + e_to):
        if cold and e + PREFETCH_AHEAD < ib + e_to:
            ahead = inbox_row[e + PREFETCH_AHEAD]
            for line in range(0, min(inbox_len[e + PREFETCH_AHEAD], PREFETCH_WORDS), 16):
                prefetch(words, ahead + line)
        if cold and e + 1 < ib + e_to:
            # the ring cells of the next row (its words are in cache by now)
            nxt = inbox_row[e + 1]
            nxt_shift = (inbox_time[e + 1] & dmask) << ti_bits
            for w in range(nxt, nxt + min(inbox_len[e + 1], PREFETCH_WORDS)):
                prefetch(ring, roff + (((np.int64(words[w]) & 0xFFFF) + nxt_shift) & ring_mask))
        r0 = inbox_row[e]
        cnt = inbox_cnt[e]
        shift_time = (inbox_time[e] & dmask) << ti_bits
        prow = inbox_prow[e]
        if prow >= 0:
            for _ in range(cnt):
                _plastic_row(c, r0, inbox_len[e], prow, inbox_time[e], cores, words,
                             ring, roff, ring_mask, shift_time, prov, pre_time, pre_trace,
                             post_n, post_t, post_tr, post_dummy, timing[rule], luts[rule],
                             lut_len[rule], lut_shift[rule], wdep[rule], wpar[rule])
        else:
            static_row(c, r0, inbox_len[e], cnt, shift_time, words, ring, roff, ring_mask,
                       prov)


@njit(cache=True, _nrt=False, inline="always")
def _neuron_core(c, t, first, cores, st, pr, words, ring, inbox, outbox, prov, current_sources,
                 stdp_tables, recording, work, direct):
    """One tick of neuron core ``c``: its inbox rows and, unless routing added them (an
    immediate core, :func:`neuroemu.spinnaker.routing.immediate_cores`), the packets of its
    direct Poisson sources (``direct``, :mod:`neuroemu.spinnaker.direct_delivery`; none on
    the ``first`` tick of a run) into the ring buffer, then the neuron update
    (:mod:`neuroemu.spinnaker.neuron_update`) on the transposed state ``st`` and constants
    ``pr``; ``work`` is :func:`_work_arrays`. Inlined into the loop over cores (hence the
    tuples): a call passing its ~50 arrays costs more than a small core's update."""
    inbox_n = inbox[5]
    out_key, out_cnt, out_n = outbox
    cs_ptr, cs_inst, cs_i, cs_f, cs_kiss, step_tick, step_amp = current_sources
    _, _, post_n, post_t, post_tr, post_dummy, luts, lut_len, lut_shift, timing, _, _ = \
        stdp_tables
    rec_v_col, rec_ge_col, rec_gi_col, rec_interval, rec_row0, rec_v, rec_ge, rec_gi = recording
    lo, hi = cores[c, C_LO], cores[c, C_HI]
    roff, ti_bits, dmask, ring_mask = ring_geometry(cores, c)
    idx_bits = cores[c, C_IDX_BITS]
    n_types = cores[c, C_N_TYPES]
    model = cores[c, C_MODEL]
    input_type = cores[c, C_INPUT]
    # 1. synaptic rows of the packets routed to this core, in routing order; the packets
    # of a direct Poisson source sent last tick go where routing would have queued them,
    # after the entries from lower source cores (split)
    tables = DeliveryTables(*direct)
    dptr, split = tables.dptr, tables.split
    n_in = inbox_n[c]
    done = 0
    if not first and not tables.immediate[c]:   # (routing adds an immediate core's)
        shift_time = ((t - 1) & dmask) << ti_bits
        for j in range(dptr[c], dptr[c + 1]):
            _inbox_rows(c, done, split[j], cores, words, ring, inbox, prov, stdp_tables, roff,
                        ring_mask, ti_bits, dmask)
            done = split[j]
            direct_rows(c, tables.dsrc[j], tables.dklo[j], tables.dkhi[j], tables.dense[j],
                        tables.word0[j], cores, words, ring, prov, tables.route_ptr,
                        tables.word_ptr, tables.route_len, tables.route_core,
                        tables.counts[(t - 1) & 1], roff, ring_mask, shift_time)
    _inbox_rows(c, done, n_in, cores, words, ring, inbox, prov, stdp_tables, roff, ring_mask,
                ti_bits, dmask)
    inbox_n[c] = 0
    split[dptr[c]:dptr[c + 1]] = 0
    # 2. recording and current sources (before the ring slot of this tick is taken)
    cur, ext, spiked, spike_words, rec_ptr, rec_atoms, cs_ptr_core, cs_atoms, uniform = work
    slot_base = roff + ((t & dmask) << ti_bits)
    shifts = cores[c, C_SHIFT0:C_SHIFT0 + n_types]
    if rec_ptr[c + 1] > rec_ptr[c]:  # (a call passing many arrays is not free)
        record_signals(t, rec_atoms[rec_ptr[c]:rec_ptr[c + 1]], st, pr, ring, slot_base, lo,
                       idx_bits, shifts, n_types, input_type, rec_v_col, rec_ge_col,
                       rec_gi_col, rec_interval, rec_row0, rec_v, rec_ge, rec_gi)
    if cs_ptr_core[c + 1] > cs_ptr_core[c]:
        external_currents(t, cs_atoms[cs_ptr_core[c]:cs_ptr_core[c + 1]], ext, cs_ptr,
                          cs_inst, cs_i, cs_f, cs_kiss, step_tick, step_amp)
    # 3. neuron updates: ring slot -> synaptic state, current, membrane, synapse decay
    if model == LIF and n_types == 2 and input_type != DELTA:
        n_spikes = lif_two_synapse_tick(ring, slot_base, slot_base + (1 << idx_bits),
                                        shifts[0], shifts[1], st, pr, lo, hi,
                                        input_type == CONDUCTANCE, uniform[c], ext, spiked)
    else:
        for s in range(n_types):
            transfer_ring_slot(ring, slot_base + (s << idx_bits), shifts[s],
                               st[S_SYN0 + s, lo:hi], pr[P_INIT0 + 2 * s, lo:hi],
                               input_type == DELTA)
        input_current(st, pr, lo, hi, n_types, input_type, ext, cur)
        if model == IZK:
            n_spikes = izhikevich_update(st, pr, lo, hi, cur, spiked)
        else:
            n_spikes = lif_update(st, pr, lo, hi, cur, spiked)
        decay_synapses(st, pr, lo, hi, n_types, input_type)
    # 4. spikes out, in index order: the flags are scanned 8 at a time (``spike_words``),
    # up to the last of the ``n_spikes`` (a few spikes among hundreds of atoms per tick)
    rule = cores[c, C_STDP]
    ob = cores[c, C_OUT_OFF]
    n_out = 0
    w = lo >> 3
    while n_out < n_spikes:
        if spike_words[w] != 0:
            for n in range(max(lo, w << 3), min(hi, (w + 1) << 3)):
                if spiked[n]:
                    if rule >= 0:
                        add_post_event(n, t, timing[rule], post_n, post_t, post_tr,
                                       post_dummy, luts[rule], lut_len[rule], lut_shift[rule])
                    out_key[ob + n_out] = n
                    out_cnt[ob + n_out] = 1
                    n_out += 1
        w += 1
    out_n[c] = n_out
    prov[c, PROV_SPIKES] += n_out


@njit(cache=True, _nrt=False)
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


@njit(cache=True, _nrt=False)
def _delay_core(c, t, cores, hist, flags, row0, inbox_row, inbox_cnt, inbox_time, inbox_n,
                out_key, out_cnt, out_n, prov):
    """Delay-extension core: re-send spikes of tick t0 on stage key s at t0 + s * slots.
    Each (tick, atom) spike counter is one byte that stops at DELAY_COUNTER_MAX, the spikes
    beyond it lost and counted (``prov``), as on the machine. ``flags``, ``row0``
    (:func:`_busy_history`) flag the history rows holding a spike, so the rows of silent
    ticks (most of them) are not scanned."""
    n_here = cores[c, C_HI] - cores[c, C_LO]
    slots = cores[c, C_SLOTS]
    stages = cores[c, C_STAGES]
    h_len = cores[c, C_AUX_LEN]
    hoff = cores[c, C_AUX_OFF]
    ib = cores[c, C_INBOX_OFF]
    for e in range(inbox_n[c]):
        row = inbox_time[ib + e] % h_len
        at = hoff + row * n_here + inbox_row[ib + e] - cores[c, C_LO]
        count = np.int64(hist[at]) + inbox_cnt[ib + e]
        if count > DELAY_COUNTER_MAX:   # the byte counter stops; the machine counts the loss
            prov[c, PROV_DELAY_LOST] += count - DELAY_COUNTER_MAX
            count = DELAY_COUNTER_MAX
        hist[at] = np.uint8(count)
        flags[row0[c] + row] = True
    inbox_n[c] = 0
    ob = cores[c, C_OUT_OFF]
    key0 = cores[c, C_SUB]
    n_out = 0
    for s in range(1, stages + 1):
        t0 = t - s * slots
        if t0 < 0:
            break
        if not flags[row0[c] + t0 % h_len]:
            continue
        base = hoff + (t0 % h_len) * n_here
        for k in range(n_here):
            cnt = hist[base + k]
            if cnt > 0:
                out_key[ob + n_out] = key0 + (s - 1) * n_here + k
                out_cnt[ob + n_out] = cnt
                n_out += 1
    t_old = t - stages * slots
    if t_old >= 0 and flags[row0[c] + t_old % h_len]:
        base = hoff + (t_old % h_len) * n_here
        for k in range(n_here):
            hist[base + k] = 0
        flags[row0[c] + t_old % h_len] = False
    out_n[c] = n_out


@njit(cache=True)
def _busy_history(cores, hist):
    """Whether each history row of the delay-extension cores holds a spike:
    ``(flags, row0)`` with the flag of tick t of core c at ``flags[row0[c] + t % h_len]``.
    One byte per row, a few kB in all, so the per-tick checks stay in the cache (flags
    inside ``hist``, one per row of hundreds of bytes, missed it at full scale)."""
    n_cores = cores.shape[0]
    row0 = np.zeros(n_cores, dtype=np.int64)
    n_rows = 0
    for c in range(n_cores):
        if cores[c, C_KIND] == DELAY_CORE:
            row0[c] = n_rows
            n_rows += cores[c, C_AUX_LEN]
    flags = np.zeros(max(1, n_rows), dtype=np.bool_)
    for c in range(n_cores):
        if cores[c, C_KIND] == DELAY_CORE:
            n_here = cores[c, C_HI] - cores[c, C_LO]
            for row in range(cores[c, C_AUX_LEN]):
                base = cores[c, C_AUX_OFF] + row * n_here
                for k in range(n_here):
                    if hist[base + k] != 0:
                        flags[row0[c] + row] = True
    return flags, row0


@njit(cache=True)
def _lane_cores(cores, slice_bounds, exp_minus_lambda):
    """``(lane_eml, lane_cores)``: per Poisson core its :func:`lane_thresholds` value, and
    the machine cores (ascending) of the Poisson cores that can draw in lanes."""
    lane_eml = lane_thresholds(slice_bounds, exp_minus_lambda)
    n = 0
    lane_cores = np.empty(cores.shape[0], dtype=np.int64)
    for c in range(cores.shape[0]):
        if cores[c, C_KIND] == POISSON_CORE and lane_eml[cores[c, C_SUB]] != 0:
            lane_cores[n] = c
            n += 1
    return lane_eml, lane_cores[:n]


@njit(cache=True)
def _work_arrays(cores, pr, cs_ptr, rec_v_col, rec_ge_col, rec_gi_col):
    """Scratch and index arrays of the neuron update: per-atom current, external current and
    spike flag (one byte per atom, also seen as uint64 words of 8 flags for the scan of
    the spiking atoms); per neuron core (CSR, core order) its recorded atoms and its atoms with
    current sources, so the per-tick loops over those touch only them; per core whether its
    atoms share their constants."""
    n_cores = cores.shape[0]
    n_atoms = pr.shape[1]
    uniform = np.zeros(n_cores, dtype=np.bool_)
    rec_ptr = np.zeros(n_cores + 1, dtype=np.int64)
    cs_core_ptr = np.zeros(n_cores + 1, dtype=np.int64)
    rec_atoms = np.empty(n_atoms, dtype=np.int64)
    cs_atoms = np.empty(n_atoms, dtype=np.int64)
    n_rec = 0
    n_cs = 0
    for c in range(n_cores):
        if cores[c, C_KIND] == NEURON_CORE:
            uniform[c] = uniform_constants(pr, cores[c, C_LO], cores[c, C_HI])
            for n in range(cores[c, C_LO], cores[c, C_HI]):
                if rec_v_col[n] >= 0 or rec_ge_col[n] >= 0 or rec_gi_col[n] >= 0:
                    rec_atoms[n_rec] = n
                    n_rec += 1
                if cs_ptr[n + 1] > cs_ptr[n]:
                    cs_atoms[n_cs] = n
                    n_cs += 1
        rec_ptr[c + 1] = n_rec
        cs_core_ptr[c + 1] = n_cs
    spike_words = np.zeros((n_atoms + 7) >> 3, dtype=np.uint64)
    return (np.zeros(n_atoms, dtype=np.int32), np.zeros(n_atoms, dtype=np.int32),
            spike_words.view(np.bool_)[:n_atoms], spike_words, rec_ptr, rec_atoms[:n_rec],
            cs_core_ptr, cs_atoms[:n_cs], uniform)


@njit(cache=True, _nrt=False, inline="always")
def _in_lanes(c, t, cores, lane_eml, windows):
    """Whether Poisson core ``c`` draws tick ``t`` in a lane (:mod:`.knuth_lanes`): its
    sources share one threshold and ``t`` is inside its :func:`knuth_windows` window."""
    sub = cores[c, C_SUB]
    return lane_eml[sub] != 0 and windows[0][sub] <= t < windows[1][sub]


@njit(cache=True, _nrt=False, inline="always")
def _poisson_counts(c, t, cores, poisson_fields, windows, counts, drawn):
    """This tick's KISS64 spike counts of Poisson core ``c`` into ``counts`` (already there
    if ``drawn`` in a lane); returns the number of packets. Inside the core's
    :func:`knuth_windows` window, the loop without per-source checks."""
    sub = cores[c, C_SUB]
    if drawn:
        return n_spiking(counts[poisson_fields[0][sub]:poisson_fields[0][sub + 1]])
    if windows[0][sub] <= t < windows[1][sub]:
        return knuth_core_tick(sub, poisson_fields[0], poisson_fields[4], poisson_fields[8],
                               counts)
    return poisson_core_tick(t, sub, *poisson_fields, counts)


@njit(cache=True, _nrt=False)
def _poisson_core(c, t, cores, poisson_fields, windows, poisson_counts, drawn, out_key, out_cnt,
                  out_n, prov):
    """Poisson core: this tick's KISS64 spike counts, one (multi-spike) packet per atom."""
    n_out = _poisson_counts(c, t, cores, poisson_fields, windows, poisson_counts, drawn)
    lo, hi = cores[c, C_LO], cores[c, C_HI]
    p_lo = cores[c, C_AUX_OFF]
    ob = cores[c, C_OUT_OFF]
    q = 0
    for k in range(hi - lo if n_out > 0 else 0):
        cnt = poisson_counts[p_lo + k]
        if cnt > 0:
            out_key[ob + q] = lo + k
            out_cnt[ob + q] = cnt
            q += 1
    out_n[c] = n_out
    prov[c, PROV_SPIKES] += n_out


@njit(cache=True, _nrt=False)
def _direct_poisson_core(c, t, cores, poisson_fields, windows, counts, drawn, sent, prov):
    """Direct Poisson core (:mod:`neuroemu.spinnaker.direct_delivery`): this tick's spike
    counts stay in ``counts`` for its target cores; its packets count as sent."""
    n_out = _poisson_counts(c, t, cores, poisson_fields, windows, counts, drawn)
    sent[c] += n_out
    prov[c, PROV_SPIKES] += n_out


@njit(cache=True, _nrt=False, inline="always")
def _lane_batch(j_from, j_to, t, last, cores, sources, poisson_fields, direct, outbox, sent,
                prov, lanes, cycles):
    """This tick of the Poisson cores ``lane_cores[j_from:j_to]`` (at most LANES) that draw
    in lanes now (:mod:`.knuth_lanes`): the direct ones' counts (not on the ``last`` tick)
    and the others' are drawn apart, as they go to different buffers; then each core counts
    its packets. With a non-empty ``cycles``, each core is charged an equal share of the
    draws and its own packet count."""
    out_key, out_cnt, out_n = outbox
    poisson_counts, lane_eml, lane_cores = sources[5], sources[10], sources[11]
    windows = (sources[8], sources[9])
    tables = DeliveryTables(*direct)
    is_direct, counts = tables.is_direct, tables.counts
    slice_bounds, kiss_state = poisson_fields[0], poisson_fields[8]
    timed = cycles.size > 0
    start = cycle_counter() if timed else 0
    n_drawn = 0
    for to_direct in (True, False):
        n_used = 0
        for j in range(j_from, j_to):
            c = lane_cores[j]
            if (is_direct[c] and not last) == to_direct and _in_lanes(c, t, cores, lane_eml,
                                                                       windows):
                sub = cores[c, C_SUB]
                n_used = add_lane(lanes, n_used, sub, slice_bounds[sub],
                                  slice_bounds[sub + 1] - slice_bounds[sub], lane_eml[sub],
                                  kiss_state)
        if n_used > 0:
            draw_lanes(lanes, n_used, counts[t & 1] if to_direct else poisson_counts,
                       kiss_state)
            n_drawn += n_used
    share = (cycle_counter() - start) // n_drawn if timed and n_drawn > 0 else 0
    for j in range(j_from, j_to if n_drawn > 0 else j_from):
        c = lane_cores[j]
        if not _in_lanes(c, t, cores, lane_eml, windows):
            continue
        begin = cycle_counter() if timed else 0
        if is_direct[c] and not last:
            _direct_poisson_core(c, t, cores, poisson_fields, windows, counts[t & 1], True,
                                 sent, prov)
        else:
            _poisson_core(c, t, cores, poisson_fields, windows, poisson_counts, True, out_key,
                          out_cnt, out_n, prov)
        if timed:
            cycles[c] += share + cycle_counter() - begin


@njit(cache=True, _nrt=False)
def _lane_pool(g, step, bounds, counters, t, last, cores, sources, poisson_fields, direct,
               outbox, sent, prov, lanes, cycles):
    """This tick of the Poisson cores that draw in lanes (:func:`_lane_batch`), called by
    each of the ``bounds.size - 1`` groups after its other cores: first its own group's,
    LANES at a time, then whatever batches the other groups have not started yet. A
    group's batches are numbered by its counter of this tick (``counters[(step & 1) *
    n_groups + h]``, taken atomically), so each is drawn exactly once, by the thread that
    got to it first: the lanes, about a quarter of the full microcircuit's work, fill the
    gap between a fast and a slow group. A batch touches only its cores' own KISS state,
    counts, outbox and counters, so the results are the same whichever thread draws it.
    Group g clears its counter of the next tick (no thread uses it during this one)."""
    lane_cores = sources[11]
    n_groups = bounds.size - 1
    row = (step & 1) * n_groups
    counters[(n_groups - row) + g] = 0
    for k in range(n_groups):
        h = (g + k) % n_groups
        j_lo = np.searchsorted(lane_cores, bounds[h])
        j_hi = np.searchsorted(lane_cores, bounds[h + 1])
        while True:
            j = j_lo + fetch_add(counters, row + h, 1) * LANES
            if j >= j_hi:
                break
            _lane_batch(j, min(j + LANES, j_hi), t, last, cores, sources, poisson_fields,
                        direct, outbox, sent, prov, lanes, cycles)


@njit(cache=True, _nrt=False)
def _cores_tick(c_from, c_to, t, first, last, cores, st, pr, words, ring, inbox, outbox, prov,
                sources, poisson_fields, current_sources, stdp_tables, recording, work, direct,
                sent, cycles):
    """The tick of cores [c_from, c_to), each by its kind, except the Poisson cores that
    draw in lanes this tick (:func:`_lane_pool`); a core touches only its own state, so
    cores may run in any order or in parallel. (One call for many cores: a call passing
    this many arrays costs about as much as a small core's update.) ``first`` and
    ``last``: first and last tick of the run (direct Poisson cores send normally on the
    last). With a non-empty ``cycles``, each core's cycles are added to ``cycles[c]``
    (:mod:`neuroemu.engine.load_balance`)."""
    inbox_row, _, inbox_cnt, inbox_time, _, inbox_n = inbox
    out_key, out_cnt, out_n = outbox
    (arr_ptr, arr_tick, arr_atom, arr_cnt, hist, poisson_counts, flags, row0, win_lo,
     win_hi, lane_eml) = sources[:11]
    windows = (win_lo, win_hi)
    tables = DeliveryTables(*direct)
    is_direct, counts = tables.is_direct, tables.counts
    timed = cycles.size > 0
    for c in range(c_from, c_to):
        start = cycle_counter() if timed else 0
        kind = cores[c, C_KIND]
        if kind == NEURON_CORE:
            _neuron_core(c, t, first, cores, st, pr, words, ring, inbox, outbox, prov,
                         current_sources, stdp_tables, recording, work, direct)
        elif kind == POISSON_CORE:
            if _in_lanes(c, t, cores, lane_eml, windows):
                continue
            if is_direct[c] and not last:
                _direct_poisson_core(c, t, cores, poisson_fields, windows, counts[t & 1],
                                     False, sent, prov)
            else:
                _poisson_core(c, t, cores, poisson_fields, windows, poisson_counts, False,
                              out_key, out_cnt, out_n, prov)
        elif kind == ARRAY_CORE:
            _array_core(c, t, cores, arr_ptr, arr_tick, arr_atom, arr_cnt, out_key, out_cnt,
                        out_n)
        else:
            _delay_core(c, t, cores, hist, flags, row0, inbox_row, inbox_cnt, inbox_time,
                        inbox_n, out_key, out_cnt, out_n, prov)
        if timed:
            cycles[c] += cycle_counter() - start


@njit(cache=True, _nrt=False)
def _prefetch_routes(pend_key, pend_n, route_ptr, word_ptr, route_core, route_len, words):
    """Prefetch what routing and the cores will read for last tick's packets: the routing
    entries of each key and, when all rows fit in the cache (below PREFETCH_MIN_WORDS;
    above, :func:`_inbox_rows` prefetches row by row), its synaptic rows. They lie
    anywhere in arrays of megabytes, so each packet would otherwise wait for a few cache
    misses in turn; prefetched all at once, the misses overlap (first the per-key
    pointers, then what they point to). VA COBA: 0.121 s -> 0.118 s."""
    n = pend_n[0]
    for q in range(n):
        prefetch(route_ptr, pend_key[q])
        prefetch(word_ptr, pend_key[q])
    rows = words.size < PREFETCH_MIN_WORDS
    for q in range(n):
        key = pend_key[q]
        for r in range(route_ptr[key], route_ptr[key + 1], 16):
            prefetch(route_core, r)
            prefetch(route_len, r)
        for w in range(word_ptr[key], word_ptr[key + 1] if rows else 0, 16):
            prefetch(words, w)


@njit(cache=True, _nrt=False)
def _gather(t, row, cores, out_key, out_cnt, out_n, pend_key, pend_cnt, pend_time, pend_n,
            rec_spike_col, rec_spikes):
    """Outgoing packets in core order become the next tick's routing input; spikes of
    recorded atoms are set in row ``row`` of the recording bitfield."""
    for c in range(cores.shape[0]):
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


@njit(cache=True, parallel=True)
def run_ticks(t_start, n_ticks, cores, state, params, words, ring, route_ptr, word_ptr,
              route_core, route_len, route_prow, inbox_row, inbox_len, inbox_cnt, inbox_time,
              inbox_prow, inbox_n,
              pend_key, pend_cnt, pend_time, pend_n, out_key, out_cnt, out_n, prov,
              arr_ptr, arr_tick, arr_atom, arr_cnt, hist, poisson_fields, poisson_counts,
              current_sources, stdp_tables, rec_spike_col, rec_spikes, rec_v_col, rec_ge_col,
              rec_gi_col, rec_interval, rec_row0, rec_v, rec_ge, rec_gi, net,
              parallel_min_neurons=PARALLEL_MIN_NEURONS, n_threads=1):
    """Advance the machine from tick ``t_start`` by ``n_ticks`` ticks (state in place);
    ``net`` is the routing state of :mod:`neuroemu.spinnaker.faults`.

    The cores of a tick run in ``n_threads`` parallel threads only when there are at least
    ``parallel_min_neurons`` neurons: below that, waking the threads every tick costs more
    than the work it shares (and much more when the CPUs are busy with other processes).
    Each thread then runs a contiguous group of cores, first of about equal numbers of
    neurons and sources, then, every ``REBALANCE_TICKS`` ticks, of about equal measured
    cycles (a thread's routing, timed per tick, charged to its cores in proportion to the
    words routing added into their ring buffers). Either way the results are the same bits.
    """
    n_cores = cores.shape[0]
    st = np.ascontiguousarray(state.T)   # (N_STATE, n_atoms): a variable of a core is a row
    pr = chip_words(params)              # (N_PARAMS, n_atoms) int32 words
    work = _work_arrays(cores, pr, current_sources[0], rec_v_col, rec_ge_col, rec_gi_col)
    inbox = (inbox_row, inbox_len, inbox_cnt, inbox_time, inbox_prow, inbox_n)
    outbox = (out_key, out_cnt, out_n)
    direct = delivery_tables(cores, route_ptr, word_ptr, route_core, route_len, route_prow,
                             words, net, rec_spike_col, poisson_counts.size)
    sources = (arr_ptr, arr_tick, arr_atom, arr_cnt, hist, poisson_counts) + _busy_history(
        cores, hist) + knuth_windows(
        poisson_fields[0], poisson_fields[1], poisson_fields[2], poisson_fields[3],
        poisson_fields[5]) + _lane_cores(cores, poisson_fields[0], poisson_fields[4])
    recording = (rec_v_col, rec_ge_col, rec_gi_col, rec_interval, rec_row0, rec_v, rec_ge,
                 rec_gi)
    sent = net[NET_SENT]
    n_neurons = 0
    for c in range(n_cores):
        if cores[c, C_KIND] == NEURON_CORE:
            n_neurons += cores[c, C_HI] - cores[c, C_LO]
    parallel = n_neurons >= parallel_min_neurons and n_threads > 1
    n_groups = min(n_cores, max(1, n_threads)) if parallel else 1
    atoms = np.zeros(n_cores, dtype=np.int64)
    for c in range(n_cores):
        if cores[c, C_KIND] != DELAY_CORE:
            atoms[c] = cores[c, C_HI] - cores[c, C_LO]
    bounds = initial_bounds(atoms, n_groups)
    cycles = np.zeros(n_cores if parallel else 0, dtype=np.int64)
    row_words = np.zeros(n_cores if parallel else 0, dtype=np.int64)
    route_cycles = np.zeros(n_groups, dtype=np.int64)
    lanes = np.zeros((n_groups, LANE_ROWS * LANES), dtype=np.uint64)
    lane_counters = np.zeros(2 * n_groups, dtype=np.int64)   # _lane_pool's, by tick parity
    route_in_groups = parallel and net[0][F_ON] == 0
    inbox_off = np.ascontiguousarray(cores[:, C_INBOX_OFF])
    for step in range(n_ticks):
        t = t_start + step
        first, last = step == 0, step == n_ticks - 1
        # 1. route last tick's packets into the inboxes of their target cores (on an ideal
        # network, each thread those of its own cores, just before their tick)
        _prefetch_routes(pend_key, pend_n, route_ptr, word_ptr, route_core, route_len, words)
        count_sent(pend_key, pend_n, net[1], sent)
        if not route_in_groups:
            route_packets(inbox_off, pend_key, pend_cnt, pend_time, pend_n, route_ptr,
                          word_ptr, route_core, route_len, route_prow, inbox_row, inbox_len,
                          inbox_cnt, inbox_time, inbox_prow, inbox_n, net, direct, t, first,
                          0, n_cores, cores, words, ring, prov, row_words[:0])
        # 2. every core does its tick
        if parallel:
            for g in prange(n_groups):
                if route_in_groups:
                    start = cycle_counter()
                    route_packets(inbox_off, pend_key, pend_cnt, pend_time, pend_n, route_ptr,
                                  word_ptr, route_core, route_len, route_prow, inbox_row,
                                  inbox_len, inbox_cnt, inbox_time, inbox_prow, inbox_n, net,
                                  direct, t, first, bounds[g], bounds[g + 1], cores, words,
                                  ring, prov, row_words)
                    route_cycles[g] += cycle_counter() - start
                _cores_tick(bounds[g], bounds[g + 1], t, first, last, cores, st, pr, words,
                            ring, inbox, outbox, prov, sources, poisson_fields,
                            current_sources, stdp_tables, recording, work, direct, sent,
                            cycles)
                _lane_pool(g, step, bounds, lane_counters, t, last, cores, sources,
                           poisson_fields, direct, outbox, sent, prov, lanes[g], cycles)
            if (step + 1) % REBALANCE_TICKS == 0:
                # routing's cycles go to the cores in proportion to the words it added
                spread_group_cycles(cycles, row_words, route_cycles, bounds)
                balanced_bounds(cycles, n_groups, bounds)
                cycles[:] = 0
                row_words[:] = 0
                route_cycles[:] = 0
        else:
            _cores_tick(0, n_cores, t, first, last, cores, st, pr, words, ring, inbox, outbox,
                        prov, sources, poisson_fields, current_sources, stdp_tables, recording,
                        work, direct, sent, cycles)
            _lane_pool(0, step, bounds, lane_counters, t, last, cores, sources,
                       poisson_fields, direct, outbox, sent, prov, lanes[0], cycles)
        pend_n[0] = 0
        # 3. gather packets (core order) for the next tick's routing; record spikes
        _gather(t, step, cores, out_key, out_cnt, out_n, pend_key, pend_cnt, pend_time, pend_n,
                rec_spike_col, rec_spikes)
    state[:, :] = st.T
