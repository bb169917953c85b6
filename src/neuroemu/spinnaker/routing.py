"""Routing step of the machine loop (spec §1.3, §3.3): last tick's packets to the cores
their keys reach, through the packet-loss model of :mod:`neuroemu.spinnaker.faults` when
it is on.

A packet reaching a neuron core normally waits in that core's inbox until the core's tick
adds its synaptic row into the ring buffer. For the cores that :func:`immediate_cores`
flags, routing adds the (static) row at once instead: the core's rows then arrive in the
same order as from its inbox (packets in routing order) and nothing else touches its ring
buffer between routing and its tick, so the ring buffer and the saturation counts get the
same bits. The packets of a direct Poisson source (:mod:`.direct_delivery`) go in at the
place of their source core among the routed ones, as the core's tick would add them. A
key's rows lie one after another, in target-core order, so routing a packet reads its
rows as one stream; the ring-buffer cells of the row after next are prefetched meanwhile
(full microcircuit, 2 threads, quiet machine: 6.2-7.4 s -> 5.3-5.5 s per simulated
second; VA COBA, which had no direct sources: 0.118 s -> 0.108 s). Not for
cores with plastic rows: their order with respect to the core's STDP post events matters.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from neuroemu.engine.prefetch import prefetch
from neuroemu.spinnaker.core_table import (
    C_KIND,
    C_STDP,
    NEURON_CORE,
    ring_geometries,
)
from neuroemu.spinnaker.direct_delivery import (
    direct_rows,
    direct_sources,
    pairs_by_source,
    static_row,
    uniform_words,
)
from neuroemu.spinnaker.faults import F_ON, N_SPIKES_LOST, router_passes

# ring-buffer cells of a row prefetched (at most) while routing adds the rows before it
PREFETCH_CELLS = 64
# cache lines (of 16 words) prefetched at the start of the rows of the packet after next
# for this thread: the start of a stream is a cache miss no hardware prefetcher foresees
NEXT_PACKET_LINES = 2
# ... when the ring buffers hold at least this many cells (1 MiB, the L2 cache of this
# machine's cores); smaller ones stay in the cache and the prefetches only cost time
PREFETCH_MIN_CELLS = 1 << 19


@njit(cache=True)
def immediate_cores(cores):
    """Per core, whether routing adds its rows into its ring buffer at once (module
    docstring): neuron cores without STDP rule."""
    immediate = np.zeros(cores.shape[0], dtype=np.bool_)
    for c in range(cores.shape[0]):
        immediate[c] = cores[c, C_KIND] == NEURON_CORE and cores[c, C_STDP] < 0
    return immediate


class DeliveryTables(NamedTuple):
    """What :func:`route_packets` and the cores' ticks need to deliver packets: the direct
    Poisson pairs (:mod:`~neuroemu.spinnaker.direct_delivery`), the routes, and per core
    whether routing adds its rows and where its ring buffer lies."""

    is_direct: np.ndarray     # per core: a direct Poisson core
    dptr: np.ndarray          # the pairs of neuron core c are dptr[c] .. dptr[c + 1]
    dsrc: np.ndarray          # per pair: its Poisson (source) core, ascending per core
    dklo: np.ndarray          # per pair: the source's keys reaching the core, [dklo, dkhi)
    dkhi: np.ndarray
    dense: np.ndarray         # per pair: one one-word row per key, words in key order
    split: np.ndarray         # per pair: the core's inbox entries from lower source cores
    counts: np.ndarray        # [tick % 2, Poisson atom]: spike counts of direct sources
    route_ptr: np.ndarray     # the routes (:mod:`~neuroemu.spinnaker.synaptic_rows`)
    word_ptr: np.ndarray
    route_len: np.ndarray
    route_core: np.ndarray
    order: np.ndarray         # the pairs in ascending source order
    pair_core: np.ndarray     # per pair: its neuron core
    immediate: np.ndarray     # per core: routing adds its rows (:func:`immediate_cores`)
    geometry: np.ndarray      # per core: :func:`~.core_table.ring_geometries`
    word0: np.ndarray         # per pair: :func:`~.direct_delivery.uniform_words`


@njit(cache=True)
def delivery_tables(cores, route_ptr, word_ptr, route_core, route_len, route_prow, words, net,
                    rec_spike_col, n_poisson_atoms):
    """The fields of a run's :class:`DeliveryTables`, in order, as a plain tuple: its direct
    Poisson pairs (:func:`~neuroemu.spinnaker.direct_delivery.direct_sources`, in source
    order by :func:`~neuroemu.spinnaker.direct_delivery.pairs_by_source`, their
    :func:`~neuroemu.spinnaker.direct_delivery.uniform_words`) and per core its
    :func:`immediate_cores` flag and ring geometry. Numba cannot pass a namedtuple into
    the body of a ``prange`` loop (numba issues #4846, #10139), so the loops carry this
    tuple and each function that reads it views it as ``DeliveryTables(*direct)``."""
    pairs = direct_sources(cores, route_ptr, word_ptr, route_core, route_len, route_prow, net,
                           rec_spike_col, n_poisson_atoms)
    return pairs + (route_ptr, word_ptr, route_len, route_core) + pairs_by_source(
        pairs[1], pairs[2]) + (immediate_cores(cores), ring_geometries(cores), uniform_words(
            pairs[3], pairs[4], pairs[5], word_ptr, words))


@njit(cache=True)
def count_sent(pend_key, pend_n, core_of_key, sent):
    """One packet sent by its source core for each of last tick's packets."""
    for q in range(pend_n[0]):
        sent[core_of_key[pend_key[q]]] += 1


@njit(cache=True, _nrt=False)
def route_packets(inbox_off, pend_key, pend_cnt, pend_time, pend_n, route_ptr, word_ptr,
                  route_core, route_len, route_prow, inbox_row, inbox_len, inbox_cnt,
                  inbox_time, inbox_prow, inbox_n, net, direct, t, first, c_lo, c_hi, cores,
                  words, ring, prov, row_words):
    """Queue last tick's packets in the inboxes of the cores their keys reach: a row's
    first word for a neuron core, the key itself for a delay-extension core; the row of an
    immediate core goes straight into its ring buffer (:func:`immediate_cores`), and so do
    the rows of its direct Poisson sources, except on the ``first`` tick of a run. Only
    target cores [c_lo, c_hi) are served, so threads owning different cores may route at
    once on an ideal network; the fault model follows each packet through the routers in
    turn, so a faulty network is routed in one call over all cores. ``direct`` is
    :func:`delivery_tables`. With a non-empty ``row_words``, the words routing adds into
    each core's ring buffer are counted there (the threads' load balancing). For each
    direct source ``dsrc[j]`` of a core that is not immediate, ``split[j]`` notes how many
    of the core's entries come from lower source cores (packets arrive in source-core
    order) for the core's tick."""
    (config, core_of_key, tree_ptr, tree_chip, tree_parent, route_node, load, per_chip,
     counts, _, rng, alive) = net
    tables = DeliveryTables(*direct)
    dptr, dsrc, split, order = tables.dptr, tables.dsrc, tables.split, tables.order
    immediate, geometry = tables.immediate, tables.geometry
    faulty = config[F_ON] != 0
    plastic = route_prow.size > 0
    if faulty:
        load[:] = 0
    cold = ring.size >= PREFETCH_MIN_CELLS
    n_pairs = 0 if first else order.size
    pair = 0
    n_packets = pend_n[0]
    # this thread's first route and its row's start in the next packet and the one after
    next_route, next_word = _first_own_route(pend_key, 0, n_packets, c_lo, route_ptr, word_ptr,
                                             route_core, route_len)
    after_route, after_word = _first_own_route(pend_key, 1, n_packets, c_lo, route_ptr,
                                               word_ptr, route_core, route_len)
    for q in range(n_packets):
        key = pend_key[q]
        cnt = pend_cnt[q]
        t_send = pend_time[q]
        src = core_of_key[key]
        start, r_from = next_word, next_route
        next_route, next_word = after_route, after_word
        after_route, after_word = _first_own_route(pend_key, q + 2, n_packets, c_lo,
                                                   route_ptr, word_ptr, route_core, route_len)
        if cold:
            # the cells of the next packet's first two rows (its words were asked for a
            # packet ago; the row loop prefetches two rows ahead within a packet only), and
            # the first words of the packet after it
            if q + 1 < n_packets:
                _prefetch_first_cells(pend_key[q + 1], pend_time[q + 1], next_route,
                                      next_word, c_lo, c_hi, immediate, geometry, route_ptr,
                                      route_core, route_len, words, ring)
            for line in range(NEXT_PACKET_LINES):
                prefetch(words, after_word + 16 * line)
        if pair < n_pairs:
            pair = _direct_pairs_below(src, pair, n_pairs, t, c_lo, c_hi, tables, cores,
                                       words, ring, prov, row_words)
        if faulty:
            node0 = tree_ptr[src]
            for n in range(node0, tree_ptr[src + 1]):
                par = tree_parent[n]
                if par >= 0 and not alive[par - node0]:
                    alive[n - node0] = False
                else:
                    alive[n - node0] = router_passes(tree_chip[n], config, load, per_chip,
                                                     counts, rng)
        r_end = route_ptr[key + 1]
        for r in range(r_from, r_end):
            length = route_len[r]
            row = start
            start += length
            c = route_core[r]
            if c < c_lo or c >= c_hi:
                continue
            if faulty and not alive[route_node[r] - tree_ptr[src]]:
                counts[N_SPIKES_LOST] += cnt
                continue
            if immediate[c]:
                if cold and r + 2 < r_end:   # (the next row's were prefetched a row ago)
                    _prefetch_cells(route_core[r + 2], start + route_len[r + 1],
                                    route_len[r + 2], t_send, c_lo, c_hi, immediate,
                                    geometry, words, ring)
                static_row(c, row, length, cnt, (t_send & geometry[c, 2]) << geometry[c, 1],
                           words, ring, geometry[c, 0], geometry[c, 3], prov)
                if row_words.size > 0:
                    row_words[c] += length * cnt
                continue
            slot = inbox_off[c] + inbox_n[c]
            inbox_row[slot] = row if length > 0 else key
            inbox_len[slot] = length
            inbox_cnt[slot] = cnt
            inbox_time[slot] = t_send
            inbox_prow[slot] = route_prow[r] if plastic else -1
            inbox_n[c] += 1
            for j in range(dptr[c], dptr[c + 1]):
                if src < dsrc[j]:
                    split[j] = inbox_n[c]
    _direct_pairs_below(np.iinfo(np.int64).max, pair, n_pairs, t, c_lo, c_hi, tables, cores,
                        words, ring, prov, row_words)


@njit(cache=True, _nrt=False, inline="always")
def _first_own_route(pend_key, q, n_packets, c_lo, route_ptr, word_ptr, route_core, route_len):
    """``(route, word)``: packet ``q``'s first route that is not a row for a core below
    ``c_lo`` (another thread's), and where its row starts; (0, 0) past the last packet. A
    key's rows lie in target-core order, so lower threads' routes come first; the scan
    stops at the first route without a row (delay-extension cores, in no set order)."""
    if q >= n_packets:
        return 0, 0
    key = pend_key[q]
    r = route_ptr[key]
    w = word_ptr[key]
    r_end = route_ptr[key + 1]
    while r < r_end and route_core[r] < c_lo and route_len[r] > 0:
        w += route_len[r]
        r += 1
    return r, w


@njit(cache=True, _nrt=False, inline="always")
def _prefetch_first_cells(key, t_send, r, row, c_lo, c_hi, immediate, geometry, route_ptr,
                          route_core, route_len, words, ring):
    """Prefetch the ring cells of the rows of routes ``r`` and ``r + 1`` of ``key`` (the
    first of them starting at word ``row``)."""
    r_end = min(r + 2, route_ptr[key + 1])
    while r < r_end:
        _prefetch_cells(route_core[r], row, route_len[r], t_send, c_lo, c_hi, immediate,
                        geometry, words, ring)
        row += route_len[r]
        r += 1


@njit(cache=True, _nrt=False, inline="always")
def _prefetch_cells(c, row, length, t_send, c_lo, c_hi, immediate, geometry, words, ring):
    """Prefetch the ring-buffer cells of the row after next if routing adds it (its words
    come in with the stream of the key's rows): the cells lie anywhere in megabytes of
    ring buffers, so their cache misses overlap the additions of two rows (full
    microcircuit: two rows ahead ~5 % faster than one, three no better than two)."""
    if c < c_lo or c >= c_hi or not immediate[c]:
        return
    base = np.uint64(geometry[c, 0])
    shift = np.uint64((t_send & geometry[c, 2]) << geometry[c, 1])
    mask = np.uint64(geometry[c, 3])
    for w in range(np.uint64(row), np.uint64(row) + np.uint64(min(length, PREFETCH_CELLS))):
        prefetch(ring, base + (((np.uint64(words[w]) & np.uint64(0xFFFF)) + shift) & mask))


@njit(cache=True, _nrt=False, inline="always")
def _direct_pairs_below(src, pair, n_pairs, t, c_lo, c_hi, tables, cores, words, ring, prov,
                        row_words):
    """Add the rows of last tick's packets of the direct Poisson sources below source core
    ``src`` (pairs in source order from ``pair`` on) into their immediate target cores
    among [c_lo, c_hi) (``tables``: :class:`DeliveryTables`), counting a word per key into
    ``row_words`` if it is not empty; returns the next pair."""
    dsrc, dklo, dkhi, order, geometry = tables.dsrc, tables.dklo, tables.dkhi, tables.order, \
        tables.geometry
    while pair < n_pairs and dsrc[order[pair]] < src:
        j = order[pair]
        c = tables.pair_core[j]
        if c_lo <= c < c_hi and tables.immediate[c]:
            roff, ti_bits, dmask, ring_mask = geometry[c, 0], geometry[c, 1], geometry[c, 2], \
                geometry[c, 3]
            direct_rows(c, dsrc[j], dklo[j], dkhi[j], tables.dense[j], tables.word0[j], cores,
                        words, ring, prov, tables.route_ptr, tables.word_ptr, tables.route_len,
                        tables.route_core, tables.counts[(t - 1) & 1], roff, ring_mask,
                        ((t - 1) & dmask) << ti_bits)
            if row_words.size > 0:
                row_words[c] += dkhi[j] - dklo[j]
        pair += 1
    return pair
