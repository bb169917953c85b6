"""Memory a core needs, region by region, in sPyNNaker's accounting (spec §1, §3).

SDRAM (shared by the cores of a chip, 123,469,792 bytes):

* ``system``: simulation header (3 words), provenance block and region table;
* ``neuron_params``: one 32-bit word per s16.15 parameter and state variable per neuron;
* ``synapse_params``: the SynapseParams region (n_neurons, n_syn_types, log sizes, max delay
  bits, drop-late flag, incoming spike buffer size) and one ring-buffer shift per type;
* ``population_table``: master population table, one 3-word entry per sending core plus one
  address word per synaptic block;
* ``synaptic_matrix``: for each sending core a block of ``n_keys x (3 + max row length)``
  32-bit words (3 row-header words, one word per static synapse, rows padded to the
  longest row of the block, as sPyNNaker sizes undelayed and delayed blocks);
* ``source_params``: Poisson (per-source rate, start, duration as U32.32, time to spike) or
  spike-array event buffers (one word per tick with spikes and one per spike key);
* ``delay_params``: delay-extension header and per-stage delay blocks of one bit per atom
  per delay slot;
* ``recording``: per tick of the run one time word plus a spike bitfield of one bit per
  recorded neuron; per sample of ``v``/``gsyn`` one time word plus one word per neuron.

DTCM (64 KiB per core): the uint16 ring buffers (``slots x 2 types x 2^atom_bits``), the
neuron state/parameter structs and the incoming-spike buffer (256 packets).

The region layouts are the 7.x ones named in the spec; word counts of headers that the spec
does not list (system, provenance, Poisson and delay headers) are modelled and marked so.
"""

from __future__ import annotations

import numpy as np

from neuroemu.spinnaker import kernel
from neuroemu.spinnaker.core_graph import CoreGraph

WORD = 4
#: SIMULATION_N_BYTES (3 words) + region table (32 regions) + provenance (modelled: 16 words)
SYSTEM_BYTES = 3 * WORD + 32 * WORD + 16 * WORD
#: SynapseParams header words + incoming spike buffer size word (spec §5 data spec)
SYNAPSE_PARAMS_WORDS = 7
ROW_HEADER_WORDS = 3
POP_TABLE_ENTRY_WORDS = 3
POP_TABLE_HEADER_WORDS = 2
#: modelled: Poisson header (timing, cutoffs, seeds, keys) and per-source words
POISSON_HEADER_WORDS = 16
POISSON_WORDS_PER_SOURCE = 8
#: modelled: delay-extension header words
DELAY_HEADER_WORDS = 8
INCOMING_SPIKE_BUFFER = 256
#: s16.15 state + parameter words per neuron (kernel.N_PARAMS constants + 4 state columns;
#: current-based models do not store the two reversal potentials)
NEURON_WORDS = {kernel.CURR_EXP: kernel.N_PARAMS - 2 + 4, kernel.COND_EXP: kernel.N_PARAMS + 4}

SDRAM_REGIONS = ("system", "neuron_params", "synapse_params", "population_table",
                 "synaptic_matrix", "source_params", "delay_params", "recording")
DTCM_REGIONS = ("ring_buffers", "neuron_state", "spike_buffer")


def _bitfield_words(n: np.ndarray) -> np.ndarray:
    return (n + 31) // 32


def recording_bytes_per_tick(program, populations, dt: float) -> np.ndarray:
    """Per core: recording bytes one tick of the run adds (averaged over sampling)."""
    m = program.mapping
    per_tick = np.zeros(program.cores.shape[0], dtype=float)
    for pop in populations:
        lay = m.layout(pop)
        every = max(1, round(pop.recorder.sampling_interval / dt))
        for name in ("spikes", "v", "gsyn_exc", "gsyn_inh"):
            idx = pop.recorder.recorded_indices(name)
            if not idx.size:
                continue
            n = np.diff(np.searchsorted(idx, lay.bounds))
            c = lay.first_core + np.flatnonzero(n)
            n = n[n > 0]
            if name == "spikes":
                per_tick[c] += WORD * (1 + _bitfield_words(n))
            else:
                per_tick[c] += WORD * (1 + n) / every
    return per_tick


def core_memory(program, graph: CoreGraph) -> dict[str, np.ndarray]:
    """Static SDRAM and DTCM bytes per core and region (recording is added per run)."""
    cores = program.cores
    n_cores = cores.shape[0]
    kind = cores[:, kernel.C_KIND]
    n_atoms = cores[:, kernel.C_HI] - cores[:, kernel.C_LO]
    neuron = kind == kernel.NEURON_CORE
    out = {name: np.zeros(n_cores, dtype=np.int64) for name in SDRAM_REGIONS + DTCM_REGIONS}
    out["system"][:] = SYSTEM_BYTES
    words = np.array([NEURON_WORDS[int(mdl)] for mdl in cores[:, kernel.C_MODEL]],
                     dtype=np.int64)
    out["neuron_params"][neuron] = WORD * words[neuron] * n_atoms[neuron]
    out["synapse_params"][neuron] = WORD * (SYNAPSE_PARAMS_WORDS + 2)
    # synaptic blocks: edges into neuron cores with rows
    rows = (graph.edge_max_row > 0) & neuron[graph.edge_tgt]
    block = WORD * graph.n_keys[graph.edge_src[rows]] * (ROW_HEADER_WORDS +
                                                          graph.edge_max_row[rows])
    np.add.at(out["synaptic_matrix"], graph.edge_tgt[rows], block)
    entries = np.bincount(graph.edge_tgt[rows], minlength=n_cores)
    out["population_table"][neuron] = WORD * (POP_TABLE_HEADER_WORDS +
                                              (POP_TABLE_ENTRY_WORDS + 1) * entries[neuron])
    poisson = kind == kernel.POISSON_CORE
    out["source_params"][poisson] = WORD * (POISSON_HEADER_WORDS +
                                            POISSON_WORDS_PER_SOURCE * n_atoms[poisson])
    array = np.flatnonzero(kind == kernel.ARRAY_CORE)
    for c in array:
        lo, hi = cores[c, kernel.C_AUX_OFF], cores[c, kernel.C_AUX_LEN]
        ticks = np.unique(program.arr_tick[lo:hi]).size
        out["source_params"][c] = WORD * (ticks + (hi - lo))
    delay = kind == kernel.DELAY_CORE
    stages, slots = cores[delay, kernel.C_STAGES], cores[delay, kernel.C_SLOTS]
    out["delay_params"][delay] = WORD * (DELAY_HEADER_WORDS + stages * slots *
                                         _bitfield_words(n_atoms[delay]))
    ring_entries = (cores[:, kernel.C_DELAY_MASK] + 1) << (cores[:, kernel.C_IDX_BITS] + 1)
    out["ring_buffers"][neuron] = 2 * ring_entries[neuron]
    out["neuron_state"][neuron] = out["neuron_params"][neuron]
    out["neuron_state"][delay] = WORD * stages * slots * _bitfield_words(n_atoms[delay])
    out["spike_buffer"][neuron | delay] = WORD * INCOMING_SPIKE_BUFFER
    return out
