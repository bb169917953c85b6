"""Synaptic words into a neuron core's ring buffer (spec §1.4), optionally through write
buffers that give the same bits with a fraction of the memory traffic.

On the machine every core's ring buffer sits in its own 64 KB DTCM. Here the rings of all
cores share the host's caches: at full scale (hundreds of cores, 32 KB of ring each) a row's
words land on random cache lines of a ring last touched a tick ago, so nearly every addition
fetches and writes back a line from memory. With write buffers, an addition into a later
slot is appended to that (core, slot)'s buffer -- a few hot lines per core -- and the
buffer is replayed into the ring when the slot comes due, at the start of the core's tick
(or earlier when the buffer is full). Cells are uint16 and saturate at 0xFFFF; the value
of a saturating sum of non-negative words does not depend on the order, but the
saturation counter does, so the buffers keep the machine's order exactly: every addition
into a slot goes through its buffer in arrival order, and an addition applied straight
to the ring (into the current slot, or a multi-spike one-word row) first empties the
slot's buffer.

Entry of a buffer: ``weight << 16 | cell`` (cell: index in the core's ring, < 2^16).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from neuroemu.spinnaker.core_table import (
    C_DELAY_MASK,
    C_KIND,
    C_RING_OFF,
    NEURON_CORE,
    PROV_SATURATED,
)

# entries per (core, slot) buffer: 256 B, four cache lines
WRITE_BUFFER_ENTRIES = 64
# buffer a run's additions when its rings hold at least this many cells (4 MiB): below
# that the rings stay in the cache and the buffers only cost time
WRITE_BUFFER_MIN_CELLS = 1 << 21


@njit(cache=True)
def write_buffers(cores, ring_cells, min_cells):
    """The write buffers of a run: ``(entries, fill, base)`` where the buffer of slot s of
    neuron core c is ``entries[(base[c] + s) * WRITE_BUFFER_ENTRIES:][:fill[base[c] + s]]``;
    ``base[c] = -1`` (no buffer) for every core when the rings have fewer than
    ``min_cells`` cells, and for cores other than neuron cores."""
    n_cores = cores.shape[0]
    base = np.full(n_cores, -1, dtype=np.int64)
    n_slots = 0
    if ring_cells >= min_cells:
        for c in range(n_cores):
            if cores[c, C_KIND] == NEURON_CORE:
                base[c] = n_slots
                n_slots += cores[c, C_DELAY_MASK] + 1
    return (np.zeros(n_slots * WRITE_BUFFER_ENTRIES, dtype=np.uint32),
            np.zeros(n_slots, dtype=np.int32), base)


@njit(cache=True, _nrt=False, inline="always")
def saturating_add(c, idx, weight, mult, ring, prov):
    """``mult`` additions of ``weight`` into ``ring[idx]`` at once: they end at
    min(acc + mult * weight, 0xFFFF), and the k-th saturates (is counted in ``prov``) iff
    acc + k * weight > 0xFFFF."""
    before = np.int64(ring[idx])
    acc = before + weight * mult
    if acc > 0xFFFF:
        acc = 0xFFFF
        prov[c, PROV_SATURATED] += mult - min(mult, (0xFFFF - before) // weight)
    ring[idx] = np.uint16(acc)


@njit(cache=True, _nrt=False, inline="always")
def replay_slot(c, f, roff, ring, prov, wb):
    """Empty buffer ``f`` (a (core, slot) of ``wb``) into the ring of core ``c``, in order."""
    entries, fill, _ = wb
    e0 = f * WRITE_BUFFER_ENTRIES
    for k in range(e0, e0 + fill[f]):
        e = np.int64(entries[k])
        saturating_add(c, roff + (e & 0xFFFF), e >> 16, 1, ring, prov)
    fill[f] = 0


@njit(cache=True, _nrt=False, inline="always")
def ring_add(c, cell, weight, mult, roff, ti_bits, now_slot, ring, prov, wb):
    """``mult`` additions of ``weight`` into ``cell`` of core ``c``'s ring (``roff``: the
    ring's offset; ``now_slot``: the slot of the current tick), through the slot's write
    buffer when the core has buffers (module docstring). Adding 0 changes nothing."""
    if weight * mult == 0:
        return
    b0 = wb[2][c]
    slot = cell >> ti_bits
    if b0 < 0 or slot == now_slot:
        saturating_add(c, roff + cell, weight, mult, ring, prov)
        return
    entries, fill, _ = wb
    f = b0 + slot
    if mult > 1 or fill[f] == WRITE_BUFFER_ENTRIES:
        replay_slot(c, f, roff, ring, prov, wb)
        if mult > 1:
            saturating_add(c, roff + cell, weight, mult, ring, prov)
            return
    n = fill[f]
    entries[f * WRITE_BUFFER_ENTRIES + n] = np.uint32((weight << 16) | cell)
    fill[f] = n + 1


@njit(cache=True, _nrt=False, inline="always")
def static_row(c, r0, length, cnt, shift_time, words, ring, roff, ring_mask, ti_bits,
               now_slot, prov, wb):
    """A static row of neuron core ``c`` received ``cnt`` times, into its ring buffer: the
    whole row ``cnt`` times over (two words of a row may share a cell), each word a
    saturating addition at 0xFFFF, counted in ``prov`` (spec §1.4, §4.1). A one-word row
    takes its ``cnt`` additions at once (:func:`saturating_add`)."""
    passes, mult = (1, cnt) if length == 1 else (cnt, 1)
    for _ in range(passes):
        for w in range(r0, r0 + length):
            word = np.int64(words[w])
            ring_add(c, ((word & 0xFFFF) + shift_time) & ring_mask, word >> 16, mult, roff,
                     ti_bits, now_slot, ring, prov, wb)


@njit(cache=True, _nrt=False)
def replay_now(c, t, cores, ring, prov, wb):
    """Start of neuron core ``c``'s tick ``t``: the buffered additions into this tick's slot
    go into the ring (before this tick's rows, which add into the slot directly)."""
    b0 = wb[2][c]
    if b0 >= 0:
        replay_slot(c, b0 + (t & cores[c, C_DELAY_MASK]), cores[c, C_RING_OFF], ring, prov, wb)


@njit(cache=True)
def flush_write_buffers(cores, ring, prov, wb):
    """End of a run: every buffered addition into the rings (slots are disjoint, so their
    order does not matter), leaving the rings as the machine holds them."""
    for c in range(cores.shape[0]):
        b0 = wb[2][c]
        if b0 >= 0:
            for s in range(cores[c, C_DELAY_MASK] + 1):
                replay_slot(c, b0 + s, cores[c, C_RING_OFF], ring, prov, wb)

