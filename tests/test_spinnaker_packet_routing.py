"""Routing step of the SpiNNaker machine loop (``neuroemu.spinnaker.routing``).

Rules:
* spec §1.3, §1.4: a packet routed at tick t makes each target neuron core process the
  key's synaptic row there, ``count`` times for a multi-spike packet (§4.1): every word
  adds its weight into the uint16 ring-buffer cell ``(ctrl + (t_send & dmask) <<
  ti_bits) & ring_mask`` of the core, saturating at 0xFFFF, each saturating addition
  counted. Cells are shared between words, so the order (packets in routing order) is
  part of the result. The reference is the literal per-packet, per-word loop below.
* Threads owning core ranges route the same packets one range after the other with the
  same result: each skips the routes of the others' cores, in whatever order a key's
  routes come.
* A delay-extension core gets the key itself in its inbox (spec §3.2), whatever the
  neuron cores do.
* Which cores routing serves at once: neuron cores without an STDP rule (the order of
  their rows with respect to the core's STDP post events matters).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroemu.spinnaker import kernel
from neuroemu.spinnaker.core_table import ring_geometries
from neuroemu.spinnaker.faults import ideal_network
from neuroemu.spinnaker.routing import (
    DeliveryTables,
    delivery_tables,
    immediate_cores,
    route_packets,
)

N_NEURON_CORES, DELAY = 3, 3   # cores 0-2 neuron cores, core 3 a delay-extension core
IDX_BITS, DMASK = 4, 3          # 16 atoms, 4 ring slots: 64 cells per neuron core
CELLS = (DMASK + 1) << IDX_BITS


def _cores():
    cores = np.zeros((N_NEURON_CORES + 1, kernel.N_CORE_COLS), dtype=np.int64)
    cores[:, kernel.C_STDP] = -1
    for c in range(N_NEURON_CORES):
        cores[c, kernel.C_KIND] = kernel.NEURON_CORE
        cores[c, kernel.C_IDX_BITS] = IDX_BITS
        cores[c, kernel.C_DELAY_MASK] = DMASK
        cores[c, kernel.C_RING_OFF] = c * CELLS
    cores[DELAY, kernel.C_KIND] = kernel.DELAY_CORE
    return cores


def test_only_plain_neuron_cores_are_served_at_once():
    cores = np.zeros((5, kernel.N_CORE_COLS), dtype=np.int64)
    cores[:, kernel.C_STDP] = -1
    cores[:, kernel.C_KIND] = [kernel.NEURON_CORE, kernel.NEURON_CORE, kernel.NEURON_CORE,
                               kernel.DELAY_CORE, kernel.POISSON_CORE]
    cores[1, kernel.C_STDP] = 0                   # plastic rows
    assert immediate_cores(cores).tolist() == [True, False, True, False, False]


def _reference(keys, rows, packets):
    """The rule of the module docstring, one packet, route, spike and word at a time."""
    ring = [0] * (N_NEURON_CORES * CELLS)
    saturated = [0] * N_NEURON_CORES
    delay_inbox = []
    for key, cnt, t_send in packets:
        for core, words in zip(keys[key], rows[key]):
            if core == DELAY:
                delay_inbox.append((key, cnt, t_send))
                continue
            for _ in range(cnt):
                for weight, ctrl in words:
                    cell = core * CELLS + ((ctrl + ((t_send & DMASK) << IDX_BITS))
                                           & (CELLS - 1))
                    acc = ring[cell] + weight
                    if acc > 0xFFFF:
                        acc = 0xFFFF
                        saturated[core] += 1
                    ring[cell] = acc
    return ring, saturated, delay_inbox


word = st.tuples(st.integers(0, 0xFFFF), st.integers(0, CELLS - 1))   # (weight, ctrl)
key_routes = st.lists(st.tuples(st.integers(0, DELAY), st.lists(word, max_size=5)),
                      max_size=4, unique_by=lambda route: route[0])


@settings(max_examples=150, deadline=None)
@given(routes=st.lists(key_routes, min_size=1, max_size=6), data=st.data())
def test_rows_of_routed_packets_are_the_literal_additions(routes, data):
    keys = [[core for core, _ in key] for key in routes]
    rows = [[[] if core == DELAY else words for core, words in key] for key in routes]
    packets = data.draw(st.lists(st.tuples(st.integers(0, len(routes) - 1),
                                           st.integers(1, 3), st.integers(0, 7)),
                                 max_size=8))
    route_ptr = np.cumsum([0] + [len(k) for k in keys]).astype(np.int64)
    route_core = np.array([c for k in keys for c in k], dtype=np.int32)
    route_len = np.array([len(r) for k in rows for r in k], dtype=np.uint16)
    word_ptr = np.cumsum([0] + [sum(map(len, k)) for k in rows]).astype(np.int64)
    words = np.array([(w << 16) | ctrl for k in rows for r in k for w, ctrl in r] or [0],
                     dtype=np.uint32)
    n = max(1, len(packets))
    pend_key = np.array([p[0] for p in packets] or [0], dtype=np.int64)
    pend_cnt = np.array([p[1] for p in packets] or [0], dtype=np.int32)
    pend_time = np.array([p[2] for p in packets] or [0], dtype=np.int64)
    pend_n = np.array([len(packets)], dtype=np.int64)
    cores = _cores()
    n_cores = cores.shape[0]
    inbox_off = np.arange(n_cores, dtype=np.int64) * n
    inbox = (np.zeros(n_cores * n, np.int64), np.zeros(n_cores * n, np.int32),
             np.zeros(n_cores * n, np.int32), np.zeros(n_cores * n, np.int64),
             np.zeros(n_cores * n, np.int32), np.zeros(n_cores, np.int64))
    net = ideal_network(np.zeros(len(routes), dtype=np.int64), n_cores, route_core.size)
    ring = np.zeros(N_NEURON_CORES * CELLS, dtype=np.uint16)
    prov = np.zeros((n_cores, kernel.N_PROV), dtype=np.int64)
    no_plastic = np.zeros(0, np.int32)
    direct = delivery_tables(cores, route_ptr, word_ptr, route_core, route_len, no_plastic,
                             words, net, np.full(len(routes), -1, np.int64), 1)
    tables = DeliveryTables(*direct)   # one field per element, in order
    assert np.array_equal(tables.route_ptr, route_ptr)
    assert np.array_equal(tables.geometry, ring_geometries(cores))
    # as threads owning cores [0, split) and [split, n_cores) route them: each skips the
    # other's routes, whatever their order within a key
    split = data.draw(st.integers(0, n_cores))
    for c_lo, c_hi in ((0, split), (split, n_cores)):
        route_packets(inbox_off, pend_key, pend_cnt, pend_time, pend_n, route_ptr, word_ptr,
                      route_core, route_len, no_plastic, *inbox, net, direct, 1, False, c_lo,
                      c_hi, cores, words, ring, prov, np.zeros(0, np.int64))
    ring_ref, saturated_ref, delay_ref = _reference(keys, rows, packets)
    assert ring.tolist() == ring_ref
    assert prov[:N_NEURON_CORES, kernel.PROV_SATURATED].tolist() == saturated_ref
    inbox_row, _, inbox_cnt, inbox_time, _, inbox_n = inbox
    assert inbox_n.tolist() == [0] * N_NEURON_CORES + [len(delay_ref)]
    at = slice(inbox_off[DELAY], inbox_off[DELAY] + inbox_n[DELAY])
    assert list(zip(inbox_row[at].tolist(), inbox_cnt[at].tolist(),
                    inbox_time[at].tolist())) == delay_ref


def test_ring_geometry_table():
    """Spec §1.4: a neuron core's ring buffer has 2^(index + type + delay bits) cells, cell
    ((t & delay_mask) << (index + type bits)) + (type << index bits) + atom. The compact
    table routing reads holds (offset, index + type bits, delay mask, cells - 1) for each
    neuron core and zeros for the others: 256 atoms (8 bits), 2 types (1 bit), 16 delay
    slots (mask 15) give 2^13 cells, mask 8191."""

    cores = np.zeros((3, kernel.N_CORE_COLS), dtype=np.int64)
    cores[0, [kernel.C_KIND, kernel.C_RING_OFF, kernel.C_IDX_BITS, kernel.C_TYPE_BITS,
              kernel.C_DELAY_MASK]] = [kernel.NEURON_CORE, 4096, 8, 1, 15]
    cores[1, [kernel.C_KIND, kernel.C_IDX_BITS, kernel.C_DELAY_MASK]] = [
        kernel.POISSON_CORE, 9, 31]
    cores[2, [kernel.C_KIND, kernel.C_RING_OFF, kernel.C_IDX_BITS, kernel.C_TYPE_BITS,
              kernel.C_DELAY_MASK]] = [kernel.NEURON_CORE, 12288, 6, 2, 31]
    assert ring_geometries(cores).tolist() == [[4096, 9, 15, 8191], [0, 0, 0, 0],
                                               [12288, 8, 31, 8191]]
