"""Routing step of the machine loop (spec §1.3, §3.3): last tick's packets to the cores
their keys reach, through the packet-loss model of :mod:`neuroemu.spinnaker.faults` when
it is on.

A packet reaching a neuron core normally waits in that core's inbox until the core's tick
adds its synaptic row into the ring buffer. For the cores that :func:`immediate_cores`
flags, routing adds the (static) row at once instead (VA COBA: 0.118 s -> 0.108 s per
simulated second): the core's rows then arrive in the same order as from its inbox
(packets in routing order) and nothing else touches its ring buffer between routing and
its tick, so the ring buffer and the saturation counts get the same bits. Not for cores
with plastic rows (their order with respect to the core's STDP post events matters) nor
with direct Poisson sources (whose rows are interleaved with the inbox ones, see
:mod:`neuroemu.spinnaker.direct_delivery`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from neuroemu.spinnaker.core_table import (
    C_DELAY_MASK,
    C_IDX_BITS,
    C_KIND,
    C_RING_OFF,
    C_STDP,
    C_TYPE_BITS,
    NEURON_CORE,
)
from neuroemu.spinnaker.direct_delivery import static_row
from neuroemu.spinnaker.faults import F_ON, N_SPIKES_LOST, router_passes


@njit(cache=True)
def immediate_cores(cores, dptr):
    """Per core, whether routing adds its rows into its ring buffer at once (module
    docstring): neuron cores without STDP rule and without direct Poisson sources
    (``dptr`` of :func:`neuroemu.spinnaker.direct_delivery.direct_sources`)."""
    immediate = np.zeros(cores.shape[0], dtype=np.bool_)
    for c in range(cores.shape[0]):
        immediate[c] = (cores[c, C_KIND] == NEURON_CORE and cores[c, C_STDP] < 0
                        and dptr[c + 1] == dptr[c])
    return immediate


@njit(cache=True)
def count_sent(pend_key, pend_n, core_of_key, sent):
    """One packet sent by its source core for each of last tick's packets."""
    for q in range(pend_n[0]):
        sent[core_of_key[pend_key[q]]] += 1


@njit(cache=True)
def route_packets(inbox_off, pend_key, pend_cnt, pend_time, pend_n, route_ptr, word_ptr,
                  route_core, route_len, route_prow, inbox_row, inbox_len, inbox_cnt,
                  inbox_time, inbox_prow, inbox_n, net, dptr, dsrc, split, c_lo, c_hi,
                  immediate, cores, words, ring, prov):
    """Queue last tick's packets in the inboxes of the cores their keys reach: a row's
    first word for a neuron core, the key itself for a delay-extension core; the row of an
    ``immediate`` core goes straight into its ring buffer (:func:`immediate_cores`). Only
    target cores [c_lo, c_hi) are served, so threads owning different cores may route at
    once on an ideal network; the fault model follows each packet through the routers in
    turn, so a faulty network is routed in one call over all cores. For each direct
    Poisson source ``dsrc[j]`` of core ``c`` (j in ``dptr[c]:dptr[c + 1]``, see
    :mod:`neuroemu.spinnaker.direct_delivery`), ``split[j]`` notes how many of the core's
    entries come from lower source cores (packets arrive in source-core order)."""
    (config, core_of_key, tree_ptr, tree_chip, tree_parent, route_node, load, per_chip,
     counts, _, rng, alive) = net
    faulty = config[F_ON] != 0
    plastic = route_prow.size > 0
    if faulty:
        load[:] = 0
    for q in range(pend_n[0]):
        key = pend_key[q]
        src = core_of_key[key]
        if faulty:
            first = tree_ptr[src]
            for n in range(first, tree_ptr[src + 1]):
                par = tree_parent[n]
                if par >= 0 and not alive[par - first]:
                    alive[n - first] = False
                else:
                    alive[n - first] = router_passes(tree_chip[n], config, load, per_chip,
                                                     counts, rng)
        start = word_ptr[key]
        for r in range(route_ptr[key], route_ptr[key + 1]):
            length = route_len[r]
            row = start
            start += length
            c = route_core[r]
            if c < c_lo or c >= c_hi:
                continue
            if faulty and not alive[route_node[r] - tree_ptr[src]]:
                counts[N_SPIKES_LOST] += pend_cnt[q]
                continue
            if immediate[c]:
                ti_bits = cores[c, C_IDX_BITS] + cores[c, C_TYPE_BITS]
                dmask = cores[c, C_DELAY_MASK]
                static_row(c, row, length, pend_cnt[q], (pend_time[q] & dmask) << ti_bits,
                           words, ring, cores[c, C_RING_OFF], ((dmask + 1) << ti_bits) - 1,
                           prov)
                continue
            slot = inbox_off[c] + inbox_n[c]
            inbox_row[slot] = row if length > 0 else key
            inbox_len[slot] = length
            inbox_cnt[slot] = pend_cnt[q]
            inbox_time[slot] = pend_time[q]
            inbox_prow[slot] = route_prow[r] if plastic else -1
            inbox_n[c] += 1
            for j in range(dptr[c], dptr[c + 1]):
                if src < dsrc[j]:
                    split[j] = inbox_n[c]
