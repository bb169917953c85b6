"""Memory a core needs, region by region, in sPyNNaker 7.4.1's accounting (spec §3, §5).

Calibrated on the data specifications sPyNNaker 7.4.1 writes on a virtual 48-chip board
(``mode = Debug``, ``data_spec_text_files/dataSpec_x_y_p.txt``, run here with the venv of
spec §5) for two networks: the guidebook example (a core of 100 IF_cond_exp fed by one
Poisson population; a core of 100 Poisson sources) and benchmarks/bench_mapping.py at 10k
(a core of 256 IF_curr_exp fed by 3 populations; a core of 500 Poisson sources). Every
formula below reproduces both:

* neuron core, ``n`` neurons, ``s`` source vertices (populations or delay extensions
  sending to it) of ``a_i`` atoms: System 12, Provenance 112, profiler 4, Recording 76,
  CurrentSourceParams 4, ConnectorBuilder ``92 + 4 s``, bit_field
  ``4 x (2 + 8 s + sum ceil(a_i / 32))`` (-> ``system``); Neuron Core Params
  ``4 x (7 + n)``, neuron_params and initial_values ``4 + 4 x words x n`` each (15 words
  per IF_curr_exp neuron, 17 per IF_cond_exp), neuron_builder 520 (IF_curr_exp) / 560
  (IF_cond_exp), neuron recording ``52 + 8 n`` (-> ``neuron_params``); SynapseParams 36
  (7 header words + 2 shifts); PopTable ``4 x (2 + 6 s)``;
* Poisson core, ``n`` sources: setup 12, Recording 16, Provenance 28, profiler 4, SDRAM edge
  params ``12 + 2 n`` (-> ``system``); PoissonParams ``4 x (15 + n)``, PoissonRates
  ``32 x n``, Expander ``4 x (2 + 9 n)`` (-> ``source_params``).

sPyNNaker's placement report adds to these a remainder the data specification does not
attribute (44,236 and 100,612 bytes for the two neuron cores, 408 bytes per Poisson core);
it is not modelled.
Spike-array and delay-extension cores are modelled (``system`` 204 bytes; arrays one word
per tick with spikes and one per spike; delay extensions 8 header words and per stage and
slot a bitfield of one bit per atom).

Synaptic matrix: as sPyNNaker reserves it (:mod:`.synaptic_matrix`): per incoming
projection and source core a block for the connector's statistical maximum row length.
Recording: per tick one time word plus a spike bitfield of one bit per recorded neuron; per
sample of ``v``/``gsyn`` one time word plus one word per neuron (sPyNNaker's "20
per-timestep" for 100 and 36 for 256 neurons).

DTCM (64 KiB per core): the uint16 ring buffers (``slots x 2 types x 2^atom_bits``), the
neuron state/parameter structs and the incoming-spike buffer (256 packets).
"""

from __future__ import annotations

import numpy as np

from neuroemu.spinnaker import kernel, synaptic_matrix
from neuroemu.spinnaker.core_graph import CoreGraph

WORD = 4
#: fixed regions of a neuron core (System, Provenance, profiler, Recording,
#: CurrentSourceParams); ConnectorBuilder and bit_field regions depend on the sources
NEURON_SYSTEM_BYTES = 12 + 112 + 4 + 76 + 4
CONNECTOR_BUILDER_BYTES = (92, 4)            # + per source vertex
BIT_FIELD_WORDS = (2, 8)                     # + per source vertex, + 1 bit per source atom
#: fixed regions of a Poisson core (setup, Recording, Provenance, profiler) and its SDRAM
#: edge parameters (12 bytes + 2 per source)
POISSON_SYSTEM_BYTES = 12 + 16 + 28 + 4
POISSON_EDGE_BYTES = (12, 2)
#: modelled: simulation header, region table and provenance of array and delay cores
OTHER_SYSTEM_BYTES = 3 * WORD + 32 * WORD + 16 * WORD
NEURON_CORE_PARAMS_WORDS = 7
#: neuron-builder bytes: calibrated for current (IF_curr_exp) and conductance (IF_cond_exp)
#: input; the other input types (delta) are modelled like current input
NEURON_BUILDER_BYTES = {kernel.CURRENT: 520, kernel.CONDUCTANCE: 560, kernel.DELTA: 520}
NEURON_RECORDING_BYTES = (52, 8)             # + per neuron
#: SynapseParams: 7 header words + one ring-buffer shift per synapse type
SYNAPSE_PARAMS_WORDS = 7
POP_TABLE_WORDS = (2, 6)                     # + per source vertex
POISSON_PARAMS_WORDS = 15
POISSON_RATE_BYTES = 32
POISSON_EXPANDER_WORDS = (2, 9)
#: modelled: delay-extension header words
DELAY_HEADER_WORDS = 8
INCOMING_SPIKE_BUFFER = 256
#: s16.15 state + parameter words per neuron, by component: 15 for IF_curr_exp and 17 for
#: IF_cond_exp as sPyNNaker's neuron_params regions (4 + 60 x 256, 4 + 68 x 100); the
#: components of the other models (Izhikevich neuron, delta and dual-exponential synapses)
#: are modelled from the same split, not calibrated
NEURON_MODEL_WORDS = {kernel.LIF: 8, kernel.IZK: 9}      # LIF/Izhikevich parameters + state
INPUT_WORDS = {kernel.CURRENT: 0, kernel.CONDUCTANCE: 2, kernel.DELTA: 1}
SYNAPSE_TYPE_WORDS = {kernel.CURRENT: 3, kernel.CONDUCTANCE: 3, kernel.DELTA: 1}
THRESHOLD_WORDS = 1


def neuron_words(model: int, input_type: int, n_types: int) -> int:
    """Words per neuron of a neuron core's parameter region."""
    return (NEURON_MODEL_WORDS[model] + INPUT_WORDS[input_type]
            + SYNAPSE_TYPE_WORDS[input_type] * n_types + THRESHOLD_WORDS)


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


def source_vertices(graph: CoreGraph, vertex: np.ndarray,
                    n_atoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per core: number of source vertices sending to it, and the bit-field words of their
    atoms (one bit per source atom)."""
    n_cores = vertex.size
    if not n_cores:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    atoms = np.bincount(vertex, weights=n_atoms).astype(np.int64)
    pairs = [vertex[graph.edge_src] * n_cores + graph.edge_tgt]
    for sources, targets in graph.groups:
        if sources.size:
            pairs.append(vertex[sources[0]] * n_cores + targets)
    pair = np.unique(np.concatenate(pairs))
    src_vertex, tgt = pair // max(n_cores, 1), pair % max(n_cores, 1)
    count = np.bincount(tgt, minlength=n_cores)
    words = np.bincount(tgt, weights=_bitfield_words(atoms[src_vertex]), minlength=n_cores)
    return count, words.astype(np.int64)


def core_memory(program, graph: CoreGraph, vertex: np.ndarray,
                projections=()) -> dict[str, np.ndarray]:
    """Static SDRAM and DTCM bytes per core and region (recording is added per run);
    ``vertex[c]`` numbers the application vertex of core ``c``."""
    cores = program.cores
    n_cores = cores.shape[0]
    kind = cores[:, kernel.C_KIND]
    n_atoms = cores[:, kernel.C_HI] - cores[:, kernel.C_LO]
    neuron = kind == kernel.NEURON_CORE
    out = {name: np.zeros(n_cores, dtype=np.int64) for name in SDRAM_REGIONS + DTCM_REGIONS}
    poisson = kind == kernel.POISSON_CORE
    n_sources, source_words = source_vertices(graph, vertex, n_atoms)
    out["system"][:] = OTHER_SYSTEM_BYTES
    out["system"][neuron] = (NEURON_SYSTEM_BYTES + CONNECTOR_BUILDER_BYTES[0]
                             + CONNECTOR_BUILDER_BYTES[1] * n_sources[neuron]
                             + WORD * (BIT_FIELD_WORDS[0] + BIT_FIELD_WORDS[1] *
                                       n_sources[neuron] + source_words[neuron]))
    out["system"][poisson] = (POISSON_SYSTEM_BYTES + POISSON_EDGE_BYTES[0]
                              + POISSON_EDGE_BYTES[1] * n_atoms[poisson])
    words = np.array([neuron_words(int(c[kernel.C_MODEL]), int(c[kernel.C_INPUT]),
                                   max(2, int(c[kernel.C_N_TYPES]))) for c in cores],
                     dtype=np.int64)
    builder = np.array([NEURON_BUILDER_BYTES[int(c[kernel.C_INPUT])] for c in cores],
                       dtype=np.int64)
    n = n_atoms[neuron]
    out["neuron_params"][neuron] = (WORD * (NEURON_CORE_PARAMS_WORDS + n)
                                    + 2 * WORD * (1 + words[neuron] * n)
                                    + builder[neuron]
                                    + NEURON_RECORDING_BYTES[0] + NEURON_RECORDING_BYTES[1] * n)
    out["synapse_params"][neuron] = WORD * (SYNAPSE_PARAMS_WORDS + 2)
    out["synaptic_matrix"] = synaptic_matrix.reserved_bytes(program, projections)
    out["population_table"][neuron] = WORD * (POP_TABLE_WORDS[0] +
                                              POP_TABLE_WORDS[1] * n_sources[neuron])
    n = n_atoms[poisson]
    out["source_params"][poisson] = (WORD * (POISSON_PARAMS_WORDS + n) + POISSON_RATE_BYTES * n
                                     + WORD * (POISSON_EXPANDER_WORDS[0]
                                               + POISSON_EXPANDER_WORDS[1] * n))
    array = np.flatnonzero(kind == kernel.ARRAY_CORE)
    for c in array:
        lo, hi = cores[c, kernel.C_AUX_OFF], cores[c, kernel.C_AUX_LEN]
        ticks = np.unique(program.arr_tick[lo:hi]).size
        out["source_params"][c] = WORD * (ticks + (hi - lo))
    delay = kind == kernel.DELAY_CORE
    stages, slots = cores[delay, kernel.C_STAGES], cores[delay, kernel.C_SLOTS]
    out["delay_params"][delay] = WORD * (DELAY_HEADER_WORDS + stages * slots *
                                         _bitfield_words(n_atoms[delay]))
    ring_entries = (cores[:, kernel.C_DELAY_MASK] + 1) << (cores[:, kernel.C_IDX_BITS]
                                                         + cores[:, kernel.C_TYPE_BITS])
    out["ring_buffers"][neuron] = 2 * ring_entries[neuron]
    out["neuron_state"][neuron] = WORD * words[neuron] * n_atoms[neuron]
    out["neuron_state"][delay] = WORD * stages * slots * _bitfield_words(n_atoms[delay])
    out["spike_buffer"][neuron | delay] = WORD * INCOMING_SPIKE_BUFFER
    return out
