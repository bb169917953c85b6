"""The per-core integer table of a SpiNNaker machine program (built by ``program.py``, run
by ``kernel.py``, which re-exports these names) and the per-core provenance counters."""

import numpy as np
from numba import njit

# core kinds
NEURON_CORE, POISSON_CORE, ARRAY_CORE, DELAY_CORE = 0, 1, 2, 3
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
# provenance counters per core: ring-buffer additions saturated, spikes sent, spikes a
# delay-extension core lost to a full (255) counter
PROV_SATURATED, PROV_SPIKES, PROV_DELAY_LOST, N_PROV = 0, 1, 2, 3
#: a delay-extension core's spike counter per (tick, atom) is one byte that stops at 255
#: (sPyNNaker delay_extension.c: uint8_t spike_counters, COUNTER_SATURATION_VALUE)
DELAY_COUNTER_MAX = 255


@njit(cache=True, _nrt=False, inline="always")
def ring_geometry(cores, c):
    """``(ring_off, ti_bits, delay_mask, ring_mask)`` of neuron core ``c``: its ring buffer
    starts at ``ring_off``; cell ``((t & delay_mask) << ti_bits) + (type << idx_bits) +
    atom`` (spec §1.4), ``ring_mask`` wraps a cell index inside the ring."""
    ti_bits = cores[c, C_IDX_BITS] + cores[c, C_TYPE_BITS]
    dmask = cores[c, C_DELAY_MASK]
    return cores[c, C_RING_OFF], ti_bits, dmask, ((dmask + 1) << ti_bits) - 1


@njit(cache=True)
def ring_geometries(cores):
    """:func:`ring_geometry` of every neuron core as one compact (n_cores, 4) table (zeros
    for the other cores): routing reads it once per row, where the core table's rows of 21
    columns would bring in several cache lines."""
    geometry = np.zeros((cores.shape[0], 4), dtype=np.int64)
    for c in range(cores.shape[0]):
        if cores[c, C_KIND] == NEURON_CORE:
            geometry[c, 0], geometry[c, 1], geometry[c, 2], geometry[c, 3] = ring_geometry(
                cores, c)
    return geometry
