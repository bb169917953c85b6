"""Direct delivery of Poisson packets (issue 5): the packets of a Poisson core whose keys
each reach at most one static synaptic row on a neuron core skip the outbox, the gather and
the router, with the same result bits.

On the machine such a packet is sent at tick t, routed, and its row added into the target's
ring buffer at tick t + 1, in routing order: the target's inbox holds the packets in the
order of their source cores. Here the Poisson core writes its spike counts of tick t into
``counts[t % 2]`` instead, and at tick t + 1 the target neuron core adds the rows of the
counts of ``counts[(t - 1) % 2]`` at the place of the source core in its inbox (routing
notes in ``split`` how many of the target's entries come from lower source cores). The two
buffers let a Poisson core and its targets run in different threads. Saturating additions
are order-dependent (the saturation counter is), hence the care to keep the order.

A run's first tick routes the packets the previous run sent at its last tick, and its last
tick sends packets the normal way, so the state between runs is the machine's.

Conditions (:func:`direct_sources`): ideal network (the fault model follows every packet
through the routers), no recorded atom on the Poisson core (spikes are recorded when
packets are gathered), every key with at most one route, to a static row of a neuron core.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from neuroemu.spinnaker.core_table import (
    C_AUX_OFF,
    C_HI,
    C_KIND,
    C_LO,
    NEURON_CORE,
    POISSON_CORE,
    PROV_SATURATED,
)
from neuroemu.spinnaker.faults import F_ON


@njit(cache=True, _nrt=False, inline="always")
def static_row(c, r0, length, cnt, shift_time, words, ring, roff, ring_mask, prov):
    """A static row of neuron core ``c`` received ``cnt`` times, into its ring buffer: the
    whole row ``cnt`` times over (two words of a row may share a cell), each word a
    saturating addition at 0xFFFF, counted in ``prov`` (spec §1.4, §4.1). A one-word row
    takes its ``cnt`` additions at once: they end at min(acc + cnt * weight, 0xFFFF), and
    the k-th saturates iff acc + k * weight > 0xFFFF. Indices are unsigned, so numba adds
    no negative-index wraparound to the loop (full microcircuit routing ~15 % faster)."""
    passes, mult = (1, cnt) if length == 1 else (cnt, 1)
    base = np.uint64(roff)
    shift = np.uint64(shift_time)
    mask = np.uint64(ring_mask)
    for _ in range(passes):
        for w in range(np.uint64(r0), np.uint64(r0) + np.uint64(length)):
            word = np.uint64(words[w])
            weight = np.int64(word >> np.uint64(16))
            idx = base + (((word & np.uint64(0xFFFF)) + shift) & mask)
            before = np.int64(ring[idx])
            acc = before + weight * mult
            if acc > 0xFFFF:
                acc = 0xFFFF
                prov[c, PROV_SATURATED] += mult - min(mult, (0xFFFF - before) // weight)
            ring[idx] = np.uint16(acc)


@njit(cache=True)
def direct_sources(cores, route_ptr, word_ptr, route_core, route_len, route_prow, net,
                   rec_spike_col, n_poisson_atoms):
    """The direct Poisson cores of a run (module docstring): returns
    ``(is_direct, dptr, dsrc, dklo, dkhi, dense, split, counts)`` where ``is_direct[p]``
    flags Poisson core p, the direct sources of neuron core c are ``dsrc[dptr[c]:dptr[c +
    1]]`` (ascending) with the key range ``[dklo, dkhi)`` of the source's keys reaching c,
    ``dense`` flags pairs whose keys each have one one-word row, the words in key order
    (one-to-one), ``split`` is per pair and ``counts`` the two spike-count buffers."""
    n_cores = cores.shape[0]
    is_direct = np.zeros(n_cores, dtype=np.bool_)
    n_pairs = np.zeros(n_cores, dtype=np.int64)
    ideal = net[0][F_ON] == 0
    for p in range(n_cores):
        if not ideal or cores[p, C_KIND] != POISSON_CORE:
            continue
        ok = True
        for key in range(cores[p, C_LO], cores[p, C_HI]):
            n_routes = route_ptr[key + 1] - route_ptr[key]
            if rec_spike_col[key] >= 0 or n_routes > 1:
                ok = False
            elif n_routes == 1:
                r = route_ptr[key]
                if cores[route_core[r], C_KIND] != NEURON_CORE or (
                        route_prow.size > 0 and route_prow[r] >= 0):
                    ok = False
        is_direct[p] = ok
    # (neuron core, source) pairs with the key range of each, sources ascending per core
    none = np.zeros(0, dtype=np.int64)
    _source_pairs(cores, is_direct, route_ptr, route_core, False, n_pairs, none, none, none,
                  none)
    dptr = np.zeros(n_cores + 1, dtype=np.int64)
    dptr[1:] = np.cumsum(n_pairs)
    dsrc = np.empty(dptr[n_cores], dtype=np.int64)
    dklo = np.empty(dptr[n_cores], dtype=np.int64)
    dkhi = np.empty(dptr[n_cores], dtype=np.int64)
    _source_pairs(cores, is_direct, route_ptr, route_core, True, n_pairs, dsrc, dklo, dkhi,
                  dptr[:n_cores].copy())
    dense = np.ones(dptr[n_cores], dtype=np.bool_)
    for j in range(dptr[n_cores]):
        for key in range(dklo[j], dkhi[j]):
            r = route_ptr[key]
            if route_ptr[key + 1] == r or route_len[r] != 1 or (
                    word_ptr[key] != word_ptr[dklo[j]] + key - dklo[j]):
                dense[j] = False
    return (is_direct, dptr, dsrc, dklo, dkhi, dense, np.zeros(dptr[n_cores], dtype=np.int64),
            np.zeros((2, max(1, n_poisson_atoms)), dtype=np.int32))


@njit(cache=True)
def pairs_by_source(dptr, dsrc):
    """``(order, pair_core)`` of the (neuron core, direct source) pairs of
    :func:`direct_sources`: the pairs in ascending source order (ties in core order), and
    each pair's neuron core, so routing can add a source's rows at its place among the
    packets, which arrive in source-core order."""
    n_pairs = dsrc.size
    pair_core = np.empty(n_pairs, dtype=np.int64)
    for c in range(dptr.size - 1):
        pair_core[dptr[c]:dptr[c + 1]] = c
    return np.argsort(dsrc, kind="mergesort"), pair_core


@njit(cache=True)
def _source_pairs(cores, is_direct, route_ptr, route_core, write, n_pairs, dsrc, dklo, dkhi,
                  fill):
    """Walk the routed keys of the direct Poisson cores in order: count the (neuron core,
    source) pairs into ``n_pairs`` or, with ``write``, store each pair's source and key
    range at its core's ``fill`` place."""
    last_src = np.full(cores.shape[0], -1, dtype=np.int64)
    for p in range(cores.shape[0]):
        if not is_direct[p]:
            continue
        for key in range(cores[p, C_LO], cores[p, C_HI]):
            if route_ptr[key + 1] == route_ptr[key]:
                continue
            c = route_core[route_ptr[key]]
            if last_src[c] != p:
                last_src[c] = p
                if write:
                    dsrc[fill[c]] = p
                    dklo[fill[c]] = key
                    fill[c] += 1
                else:
                    n_pairs[c] += 1
            if write:
                dkhi[fill[c] - 1] = key + 1


@njit(cache=True)
def uniform_words(dklo, dkhi, dense, word_ptr, words):
    """Per pair of :func:`direct_sources`, its first word if the pair is ``dense`` and its
    words are that word plus 0, 1, 2, ...: one weight, consecutive control fields (neurons)
    without a carry into the weight; else -1. Such a pair's additions need only the spike
    counts and that one word (:func:`_add_uniform`): the per-tick pass then reads one
    stream of memory less. The full microcircuit's background sources are all such pairs;
    routing's direct additions took about half of its time, bound by memory."""
    first = np.full(dklo.size, -1, dtype=np.int64)
    for j in range(dklo.size):
        n = dkhi[j] - dklo[j]
        if not dense[j] or n == 0:
            continue
        w0 = word_ptr[dklo[j]]
        word0 = np.int64(words[w0])
        uniform = (word0 & 0xFFFF) + n - 1 <= 0xFFFF
        for k in range(n if uniform else 0):
            if np.int64(words[w0 + k]) != word0 + k:
                uniform = False
                break
        if uniform:
            first[j] = word0
    return first


@njit(cache=True, _nrt=False, inline="always")
def _run_cells(ctrl0, n, ring, roff, ring_mask, shift_time):
    """The ring cells of ``n`` > 0 words with control fields ``ctrl0, ctrl0 + 1, ...`` sent
    at ``shift_time``: consecutive cells, or none (an empty array) if they would wrap
    around the ring."""
    cell0 = roff + ((ctrl0 + shift_time) & ring_mask)
    if roff + ((ctrl0 + n - 1 + shift_time) & ring_mask) != cell0 + n - 1:
        return ring[:0]
    return ring[cell0:cell0 + n]


@njit(cache=True, _nrt=False, inline="always")
def _add_consecutive(words, counts, ring, roff, ring_mask, shift_time):
    """A dense pair's additions in one vectorised pass when its words hit consecutive ring
    cells (one-to-one onto consecutive neurons with one delay and type, the usual case) and
    none saturates: the cells are then distinct and the additions independent, so their
    order does not matter. Returns False, having changed nothing, otherwise (the caller
    then adds word by word)."""
    n = words.size
    if n == 0:
        return True
    ctrl0 = np.int64(words[0]) & 0xFFFF
    cells = _run_cells(ctrl0, n, ring, roff, ring_mask, shift_time)
    if cells.size == 0:
        return False
    bad = 0
    for k in range(n):
        word = np.int64(words[k])
        bad |= ((word & 0xFFFF) != ctrl0 + k) | (
            np.int64(cells[k]) + (word >> 16) * counts[k] > 0xFFFF)
    if bad:
        return False
    for k in range(n):
        cells[k] = np.uint16(np.int64(cells[k]) + (np.int64(words[k]) >> 16) * counts[k])
    return True


@njit(cache=True, _nrt=False, inline="always")
def _add_uniform(word0, counts, ring, roff, ring_mask, shift_time):
    """:func:`_add_consecutive` for a pair of :func:`uniform_words` (first word ``word0``),
    without reading its words."""
    n = counts.size
    if n == 0:
        return True
    weight = word0 >> 16
    cells = _run_cells(word0 & 0xFFFF, n, ring, roff, ring_mask, shift_time)
    if cells.size == 0:
        return False
    bad = False
    for k in range(n):
        bad |= np.int64(cells[k]) + weight * counts[k] > 0xFFFF
    if bad:
        return False
    for k in range(n):
        cells[k] = np.uint16(np.int64(cells[k]) + weight * counts[k])
    return True


@njit(cache=True, _nrt=False, inline="always")
def direct_rows(c, src, key_lo, key_hi, dense, word0, cores, words, ring, prov, route_ptr,
                word_ptr, route_len, route_core, counts, roff, ring_mask, shift_time):
    """The packets Poisson core ``src`` sent to neuron core ``c`` last tick (spike counts in
    ``counts``, keys in [key_lo, key_hi); ``shift_time``: the send tick's ring offset), in
    key order as routing queues them. A ``dense`` pair runs without branches on the count:
    a silent atom's one-word row adds 0, which leaves the cell and the counter as they are.
    ``word0``: the pair's :func:`uniform_words` entry."""
    p_off = cores[src, C_AUX_OFF] - cores[src, C_LO]
    if dense:
        w_off = word_ptr[key_lo] - key_lo
        pair_counts = counts[p_off + key_lo:p_off + key_hi]
        if word0 >= 0:
            if _add_uniform(word0, pair_counts, ring, roff, ring_mask, shift_time):
                return
        elif _add_consecutive(words[w_off + key_lo:w_off + key_hi], pair_counts, ring, roff,
                              ring_mask, shift_time):
            return
        for key in range(key_lo, key_hi):
            static_row(c, w_off + key, 1, counts[p_off + key], shift_time, words, ring, roff,
                       ring_mask, prov)
        return
    for key in range(key_lo, key_hi):
        cnt = counts[p_off + key]
        if cnt > 0 and route_ptr[key + 1] > route_ptr[key]:
            r = route_ptr[key]
            if route_core[r] == c:
                static_row(c, word_ptr[key], route_len[r], cnt, shift_time, words, ring, roff,
                           ring_mask, prov)
