"""Network description -> SpiNNaker machine program (flat numpy arrays for the kernel).

Stages (DESIGN.md): partition populations into cores, derive each post-population's
ring-buffer shifts and weight scales, decide delay slots and delay-extension cores, encode
synaptic rows as 32-bit words, build the routing table (key -> core, row), translate neuron
parameters to s16.15 and seed the Poisson cores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np
from pyNN import connectors as pc

from neuroemu.engine.fixedpoint import encode_s1615, kdivk, kdivui
from neuroemu.errors import DelayExtensionException
from neuroemu.pynn.cells import resolve
from neuroemu.pynn.connectors import constant_column, is_constant_column
from neuroemu.pynn.populations import spike_trains
from neuroemu.spinnaker import cells, kernel, mapping
from neuroemu.spinnaker.current_sources import build_current_sources
from neuroemu.spinnaker.neuron_constants import membrane_constants, synapse_constants
from neuroemu.spinnaker.poisson import build_poisson_program
from neuroemu.spinnaker.stdp_host import build_stdp_tables
from neuroemu.spinnaker.synaptic_rows import build_rows

IZK_THRESHOLD = 30.0  # mV, static threshold of sPyNNaker's Izhikevich models (spec §1.5)
_SYNAPSE_TAUS = {2: ("tau_syn_E", "tau_syn_I"), 3: ("tau_syn_E", "tau_syn_E2", "tau_syn_I")}
_SYNAPSE_STATE_NAMES = {(False, 2): ("isyn_exc", "isyn_inh"), (True, 2): ("gsyn_exc", "gsyn_inh"),
                        (False, 3): ("isyn_exc", "isyn_exc2", "isyn_inh")}
GLOBAL_WEIGHT_SCALE = {kernel.CURRENT: 1.0, kernel.CONDUCTANCE: 1024.0, kernel.DELTA: 1.0}


def is_plastic(projection) -> bool:
    return isinstance(projection.synapse_type, cells.STDPMechanism)


def neuron_model_of(celltype) -> tuple[int, int]:
    """(neuron model, input type) of a neuron cell type, as the chip's binary composes them."""
    model = kernel.IZK if isinstance(celltype, (cells.Izhikevich, cells.Izhikevich_cond)) \
        else kernel.LIF
    if isinstance(celltype, (cells.IF_cond_exp, cells.Izhikevich_cond)):
        return model, kernel.CONDUCTANCE
    if isinstance(celltype, cells.IF_curr_delta):
        return model, kernel.DELTA
    return model, kernel.CURRENT


def receptor_index(celltype, receptor_type: str) -> int:
    """Synapse-type index of a receptor (the order of ``celltype.receptor_types``)."""
    return list(celltype.receptor_types).index(receptor_type)


@dataclass
class PopulationLayout:
    """Where a population lives: its atoms, cores and (for neurons) synaptic encoding."""

    population: object
    kind: int
    offset: int
    bounds: np.ndarray
    first_core: int
    atom_bits: int = 0
    model: int = kernel.LIF
    input_type: int = kernel.CURRENT
    n_types: int = 2
    shifts: list = field(default_factory=lambda: [0, 0])
    scales: list = field(default_factory=lambda: [1.0, 1.0])
    slots: int = 1
    max_delay: int = 1
    needs_extension: bool = False

    @property
    def n_cores(self) -> int:
        return len(self.bounds) - 1


class ProjectionLayout:
    """A projection's connections on the machine's global atoms and ticks.

    The per-connection arrays are computed when asked for and not kept: kept, they would
    cost 24 bytes per synapse next to the 4 of the machine's own word (issue: synapses in
    at most 6 bytes). ``parts`` says which post-population layout each connection targets.
    """

    def __init__(self, mapping_: Mapping, projection) -> None:
        self.projection = projection
        self.synapse_type = receptor_index(projection.post.celltype, projection.receptor_type)
        self.pre_atom_of = mapping_.atoms_of(projection.pre)
        self.post_atom_of = mapping_.atoms_of(projection.post)
        self.dt = mapping_.dt
        self.parts = self._parts(mapping_)

    @property
    def size(self) -> int:
        return len(self.projection)

    def pre_atoms(self, sel=slice(None)) -> np.ndarray:
        """Global atom of each connection's source (of the connections ``sel``)."""
        return self.pre_atom_of[self.projection._pre_idx[sel]]

    def post_atoms(self, sel=slice(None)) -> np.ndarray:
        """Global atom of each connection's target."""
        return self.post_atom_of[self.projection._post_idx[sel]]

    def delays(self, sel=slice(None)) -> np.ndarray:
        """Delay of each connection in ticks, as the host rounds it (spec §2); read-only,
        and without per-connection memory when the delay is one constant."""
        values = np.asarray(self.projection._values["delay"])[sel]
        if values.size > 1 and is_constant_column(values):
            return np.broadcast_to(mapping.delay_ticks(values[:1], self.dt), values.shape)
        return mapping.delay_ticks(values, self.dt)

    def weights(self, sel=slice(None)) -> np.ndarray:
        """Each connection's PyNN weight (signed, float)."""
        return self.values("weight", sel)

    def values(self, name: str, sel=slice(None)) -> np.ndarray:
        """Each connection's value of synaptic parameter ``name`` (float)."""
        return np.asarray(self.projection._values[name], dtype=float)[sel]

    # -- without per-connection arrays where the projection is generated -----------------
    @property
    def generated(self):
        """The projection's generated connections, or None where they are stored."""
        return self.projection._generated

    def blocks(self, weights: bool = True):
        """(pre positions, post positions, weights, delays in ms -- or in ticks, uint8,
        where a generated projection keeps those), block by block: one block of the stored
        arrays, or each generated block in turn. Without ``weights``
        the weights are zeros (a generated projection then skips drawing them, and its
        targets, whose population is all the count needs)."""
        if self.generated is None:
            values = self.projection._values
            yield (self.projection._pre_idx, self.projection._post_idx,
                   np.asarray(values["weight"], dtype=float),
                   np.asarray(values["delay"], dtype=float))
            return
        names = ("weight", "delay") if weights else ("delay",)
        for pre, post, values in self.generated.blocks(names, machine=True):
            yield (pre, post, values.get("weight", constant_column(0.0, pre.size)),
                   values["delay"])

    def _delay_histogram(self) -> np.ndarray:
        """Connections per delay in ticks (index = ticks) of a generated projection."""
        hist = self.generated.summary.delay_ticks.copy()
        if hist.size > 1:
            hist[1] += hist[0]  # at least one tick (spec §2)
        hist[0] = 0
        return hist

    def max_delay(self, sel=slice(None)) -> int:
        """The longest delay of the connections ``sel``, in ticks."""
        if self.generated is None:
            return int(self.delays(sel).max())
        return int(np.flatnonzero(self._delay_histogram()).max(initial=1))

    def share_within(self, sel, slots: int) -> float:
        """Fraction of the connections ``sel`` whose delay fits ``slots`` ticks."""
        if self.generated is None:
            return float(np.mean(self.delays(sel) <= slots))
        hist = self._delay_histogram()
        return float(hist[:slots + 1].sum() / max(1, hist.sum()))

    def delayed_pre_atoms(self, sel, slots: int) -> np.ndarray:
        """Source atoms with a connection in ``sel`` delayed beyond ``slots`` ticks (of a
        generated projection: all its sources, the source being one population)."""
        if self.generated is None:
            return self.pre_atoms(sel)[self.delays(sel) > slots]
        return self.pre_atom_of if self.max_delay(sel) > slots else self.pre_atom_of[:0]

    def abs_max(self, name: str, sel=slice(None)) -> float:
        """Largest magnitude of parameter ``name`` over the connections ``sel``."""
        if self.generated is None:
            return float(np.abs(self.values(name, sel)).max())
        return float(self.generated.summary.abs_max[name])

    def max_in_degree(self) -> int:
        """Most connections onto one target cell (of a stored projection: the generated
        ones have connectors whose bound is analytic)."""
        return int(np.bincount(self.projection._post_idx).max())

    def _parts(self, mapping_: Mapping) -> list:
        """[(post layout, selection of its connections)]: a slice for a projection onto
        one population, boolean masks (one byte per connection) otherwise."""
        if self.size == 0:
            return []
        targets = resolve(self.projection.post)
        if len(targets) == 1 and targets[0][0].size == self.projection.post.size:
            return [(mapping_.layout(targets[0][0]), slice(None))]
        post = self.post_atoms()
        parts = []
        for layout in mapping_.layouts.values():
            mask = (post >= layout.offset) & (post < layout.offset + layout.population.size)
            if mask.any():
                parts.append((layout, mask))
        return parts


def _kind_of(celltype) -> int:
    if isinstance(celltype, cells.SpikeSourcePoisson):
        return kernel.POISSON_CORE
    if isinstance(celltype, cells.SpikeSourceArray):
        return kernel.ARRAY_CORE
    return kernel.NEURON_CORE


def max_atoms_per_core(population, per_class: dict) -> int:
    """sPyNNaker's precedence: ``neurons_per_core`` parameter, then the class setting."""
    extra = population.additional_parameters.get("neurons_per_core")
    if extra is not None:
        return int(extra)
    for cls, n in per_class.items():
        if isinstance(population.celltype, cls) and n is not None:
            return int(n)
    kind = _kind_of(population.celltype)
    return {kernel.NEURON_CORE: mapping.DEFAULT_NEURONS_PER_CORE,
            kernel.POISSON_CORE: mapping.DEFAULT_POISSON_PER_CORE}.get(
                kind, mapping.DEFAULT_ARRAY_PER_CORE)


class Mapping:
    """The placed, routed, encoded network; built once per network change."""

    def __init__(self, populations, projections, dt: float, per_class: dict,
                 allow_extensions: dict):
        self.dt = dt
        self.layouts: dict[int, PopulationLayout] = {}
        self.projections: dict[int, ProjectionLayout] = {}
        offset = 0
        first_core = 0
        for pop in populations:
            per_core = max_atoms_per_core(pop, per_class)
            bounds = mapping.slice_bounds(pop.size, per_core)
            layout = PopulationLayout(pop, _kind_of(pop.celltype), offset, bounds, first_core,
                                      atom_bits=mapping.atom_bits(pop.size, per_core))
            if layout.kind == kernel.NEURON_CORE:
                layout.model, layout.input_type = neuron_model_of(pop.celltype)
                layout.n_types = len(pop.celltype.receptor_types)
                layout.shifts = [0] * layout.n_types
                layout.scales = [1.0] * layout.n_types
            self.layouts[id(pop)] = layout
            offset += pop.size
            first_core += layout.n_cores
        self.n_atoms = offset
        self.n_population_cores = first_core
        for proj in projections:
            self.projections[id(proj)] = ProjectionLayout(self, proj)
        self._weight_scaling(projections)
        self._delays(projections, allow_extensions)

    # -- connections ------------------------------------------------------------------
    def layout(self, population) -> PopulationLayout:
        return self.layouts[id(population)]

    def atoms_of(self, cells_obj) -> np.ndarray:
        """Global atom of each position of a Population, PopulationView or Assembly."""
        position_to_atom = np.empty(cells_obj.size, dtype=np.int64)
        for pop, pop_idx, pos in resolve(cells_obj):
            position_to_atom[pos] = self.layout(pop).offset + pop_idx
        return position_to_atom

    def source_layouts(self, atoms: np.ndarray) -> list[PopulationLayout]:
        """The distinct layouts (populations) holding ``atoms``, by a binary search over
        the population offsets (layouts are stored in offset order)."""
        ordered = list(self.layouts.values())
        offsets = np.array([lay.offset for lay in ordered], dtype=np.int64)
        which = np.searchsorted(offsets, np.unique(atoms), side="right") - 1
        return [ordered[k] for k in np.unique(which)]

    def _max_in_degree(self, proj, pl: ProjectionLayout) -> int:
        """``get_n_connections_to_post_vertex_maximum`` of the connector."""
        conn = proj._connector
        if isinstance(conn, pc.OneToOneConnector):
            return 1
        if isinstance(conn, pc.AllToAllConnector):
            return proj.pre.size
        if isinstance(conn, pc.FixedProbabilityConnector) and 0 < conn.p_connect < 1:
            return int(mapping.probable_maximum_selected(
                proj.pre.size * proj.post.size, proj.pre.size, conn.p_connect,
                chance=mapping.FIXED_PROBABILITY_CHANCE))
        if pl.size == 0:
            return 0
        if isinstance(conn, pc.FixedTotalNumberConnector):  # sPyNNaker's MultapseConnector
            n = int(conn.n)
            return int(mapping.probable_maximum_selected(n, n, 1.0 / proj.post.size))
        return pl.max_in_degree()  # positions map one-to-one to atoms

    def post_parts(self, pl: ProjectionLayout) -> list:
        """[(post layout, selection of the connections into it)] of a projection."""
        return pl.parts

    def _weight_scaling(self, projections) -> None:
        steps_per_second = 1000.0 / self.dt
        incoming: dict[int, list] = {}
        for proj in projections:
            pl = self.projections[id(proj)]
            for layout, mask in self.post_parts(pl):
                incoming.setdefault(id(layout.population), []).append((proj, pl, mask))
        for layout in self.layouts.values():
            if layout.kind != kernel.NEURON_CORE:
                continue
            gws = GLOBAL_WEIGHT_SCALE[layout.input_type]
            # sPyNNaker 7.4.1 (PopulationVertex._Stats): every source, Poisson and spike
            # arrays included, counts as firing at the post population's spikes_per_second
            # (the application vertices are not AbstractMaxSpikes)
            extra = layout.population.additional_parameters
            rate = float(extra.get("spikes_per_second", mapping.SPIKES_PER_SECOND))
            sigma = float(extra.get("ring_buffer_sigma", mapping.RING_BUFFER_SIGMA))
            spikes_per_tick = max(1.0, rate / steps_per_second)
            total = [0.0] * layout.n_types
            biggest = [0.0] * layout.n_types
            weight_stats: list[list] = [[] for _ in range(layout.n_types)]
            delay_stats: list[list] = [[] for _ in range(layout.n_types)]
            for proj, pl, mask in incoming.get(id(layout.population), []):
                s = receptor_index(layout.population.celltype, proj.receptor_type)
                spec = proj.synapse_type.parameter_space
                w_mean, w_var = mapping.parameter_moments(spec["weight"],
                                                          partial(pl.values, "weight", mask))
                _, d_var = mapping.parameter_moments(spec["delay"],
                                                     partial(pl.values, "delay", mask))
                n_conns = self._max_in_degree(proj, pl)
                w_max = pl.abs_max("weight", mask) * gws
                if is_plastic(proj):  # sPyNNaker sizes plastic rows for w_max
                    w_max = max(w_max, float(np.max(proj._values["w_max"])) * gws)
                total[s] += spikes_per_tick * w_max * n_conns
                biggest[s] = max(biggest[s], w_max)
                weight_stats[s].append((w_mean * gws, w_var * gws**2, n_conns))
                delay_stats[s].append((0.0, d_var, n_conns))
            override = extra.get("max_expected_summed_weight")
            for s in range(layout.n_types):
                if override is not None:
                    max_w = float(override[s]) * gws
                elif mapping.combine_stats(delay_stats[s])[1] == 0.0:
                    max_w = max(total[s], biggest[s])
                else:
                    w_mean, w_var, n_in = mapping.combine_stats(weight_stats[s])
                    bound = mapping.expected_upper_bound(w_mean, float(np.sqrt(w_var)), rate,
                                                         n_in, steps_per_second, sigma)
                    max_w = max(min(bound, total[s]), biggest[s])
                layout.shifts[s] = mapping.ring_buffer_shift(max_w)
                layout.scales[s] = mapping.weight_scale(layout.shifts[s], gws)

    def machine_weights(self, pl: ProjectionLayout) -> np.ndarray:
        """The weight of every connection as the machine holds it before any plasticity:
        quantised with its target's scale, with the sign of the PyNN weight."""
        out = np.empty(pl.size)
        for layout, sel in pl.parts:
            scale = layout.scales[pl.synapse_type]
            w = pl.weights(sel)
            out[sel] = np.where(w < 0, -1.0, 1.0) * mapping.quantise_weights(w, scale) / scale
        return out

    def _delays(self, projections, allow_extensions: dict) -> None:
        for proj in projections:
            pl = self.projections[id(proj)]
            for layout, sel in self.post_parts(pl):
                layout.max_delay = max(layout.max_delay, pl.max_delay(sel))
        for layout in self.layouts.values():
            if layout.kind != kernel.NEURON_CORE:
                continue
            used, available = mapping.delay_slots(layout.atom_bits, layout.max_delay,
                                                  layout.n_types)
            layout.slots = used
            layout.needs_extension = layout.max_delay > available
            limit = mapping.max_supported_delay(used)
            if layout.max_delay > limit:
                raise DelayExtensionException(
                    f"Population '{layout.population.label}': synaptic delay",
                    f"{layout.max_delay * self.dt} ms", f"{limit * self.dt} ms",
                    "the ring buffer plus delay extension",
                    f"max delay supported is {limit * self.dt} ms: {used} ring-buffer slots x "
                    f"(1 + {mapping.MAX_DELAY_STAGES} stages) at dt = {self.dt} ms")
        for proj in projections:
            pl = self.projections[id(proj)]
            for layout, sel in self.post_parts(pl):
                longest = pl.max_delay(sel)
                if longest > layout.slots:
                    pre_cls = type(proj.pre.celltype)
                    if allow_extensions.get(pre_cls, True) is False:
                        raise DelayExtensionException(
                            f"Projection '{proj.label}': synaptic delay",
                            f"{longest * self.dt} ms",
                            f"{layout.slots * self.dt} ms", "a core without delay extensions",
                            f"set_allow_delay_extensions({pre_cls.__name__}, False)")


def _rec_layout(mapping_, populations, variable: str):
    cols = np.full(mapping_.n_atoms, -1, dtype=np.int64)
    n = 0
    for pop in populations:
        idx = pop.recorder.recorded_indices(variable)
        if idx.size:
            atoms = mapping_.layout(pop).offset + idx
            cols[atoms] = np.arange(n, n + idx.size)
            n += idx.size
    return cols, n


class MachineProgram:
    """Flat arrays the kernel runs on, plus the machine state they carry between runs."""

    def __init__(self, m: Mapping, projections, constants: str, t_now: int,
                 current_sources=()):
        self.mapping = m
        self.constants = constants
        core_rows = []
        for layout in m.layouts.values():
            for k in range(layout.n_cores):
                core_rows.append((layout, k))
        self._build_delay_cores(projections)
        n_cores = len(core_rows) + len(self.delay_cores)
        cores = np.zeros((n_cores, kernel.N_CORE_COLS), dtype=np.int64)
        ring_size = 0
        out_off = 0
        for c, (layout, k) in enumerate(core_rows):
            lo = layout.offset + int(layout.bounds[k])
            hi = layout.offset + int(layout.bounds[k + 1])
            cores[c, kernel.C_KIND] = layout.kind
            cores[c, kernel.C_LO], cores[c, kernel.C_HI] = lo, hi
            cores[c, kernel.C_OUT_OFF] = out_off
            out_off += hi - lo
            if layout.kind == kernel.NEURON_CORE:
                t_bits = mapping.type_bits(layout.n_types)
                cores[c, kernel.C_MODEL] = layout.model
                cores[c, kernel.C_INPUT] = layout.input_type
                cores[c, kernel.C_N_TYPES] = layout.n_types
                cores[c, kernel.C_TYPE_BITS] = t_bits
                cores[c, kernel.C_IDX_BITS] = layout.atom_bits
                cores[c, kernel.C_DELAY_MASK] = layout.slots - 1
                cores[c, kernel.C_SHIFT0:kernel.C_SHIFT0 + layout.n_types] = layout.shifts
                cores[c, kernel.C_RING_OFF] = ring_size
                ring_size += layout.slots << (layout.atom_bits + t_bits)
        hist_size = 0
        self.n_keys = m.n_atoms
        for j, dc in enumerate(self.delay_cores):
            c = len(core_rows) + j
            n_here = dc["hi"] - dc["lo"]
            cores[c, kernel.C_KIND] = kernel.DELAY_CORE
            cores[c, kernel.C_LO], cores[c, kernel.C_HI] = dc["lo"], dc["hi"]
            cores[c, kernel.C_SLOTS] = dc["slots"]
            cores[c, kernel.C_STAGES] = dc["stages"]
            cores[c, kernel.C_SUB] = self.n_keys
            dc["key0"] = self.n_keys
            dc["core"] = c
            self.n_keys += dc["stages"] * n_here
            h_len = dc["stages"] * dc["slots"] + 1
            cores[c, kernel.C_AUX_OFF], cores[c, kernel.C_AUX_LEN] = hist_size, h_len
            hist_size += h_len * n_here
            cores[c, kernel.C_OUT_OFF] = out_off
            out_off += dc["stages"] * n_here
        self.cores = cores
        self.core_of_atom = np.empty(m.n_atoms, dtype=np.int64)
        for c, (layout, k) in enumerate(core_rows):
            self.core_of_atom[cores[c, kernel.C_LO]:cores[c, kernel.C_HI]] = c
        self._build_rows(projections)
        self.stdp = build_stdp_tables(m, projections, cores, m.n_atoms, self.n_plastic_rows,
                                      GLOBAL_WEIGHT_SCALE)
        self.current_sources = build_current_sources(
            current_sources, lambda pop, idx: m.layout(pop).offset + idx, self.core_of_atom,
            m.n_atoms, m.dt)
        inbox = np.bincount(self.route_core, minlength=n_cores).astype(np.int64)
        cores[:, kernel.C_INBOX_OFF] = np.concatenate(([0], np.cumsum(inbox)[:-1]))
        self.n_inbox = int(inbox.sum())
        self.inbox = None
        self.ring = np.zeros(max(1, ring_size), dtype=np.uint16)
        self.hist = np.zeros(max(1, hist_size), dtype=np.uint8)
        self.pend_key = np.zeros(max(1, out_off), dtype=np.int64)
        self.pend_cnt = np.zeros(max(1, out_off), dtype=np.int32)
        self.pend_time = np.zeros(max(1, out_off), dtype=np.int64)
        self.pend_n = np.zeros(1, dtype=np.int64)
        self.out_key = np.zeros(max(1, out_off), dtype=np.int64)
        self.out_cnt = np.zeros(max(1, out_off), dtype=np.int32)
        self.out_n = np.zeros(n_cores, dtype=np.int64)
        self.prov = np.zeros((n_cores, kernel.N_PROV), dtype=np.int64)
        self.state = np.zeros((m.n_atoms, kernel.N_STATE), dtype=np.int32)
        self.params = np.zeros((m.n_atoms, kernel.N_PARAMS), dtype=np.int64)
        self.update_neuron_parameters()
        self.initialise_state()
        self._build_sources(core_rows, t_now)

    def inboxes(self) -> tuple:
        """The cores' spike inboxes (row, length, count, time, plastic row; entries per
        core), one place per row that can reach the core in a tick. Allocated at the first
        run, not for a mapping-only run: with sparse connectivity there are about as many
        rows as synapses."""
        if self.inbox is None:
            n = max(1, self.n_inbox)
            self.inbox = (np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int32),
                          np.zeros(n, dtype=np.int32), np.zeros(n, dtype=np.int64),
                          np.zeros(n, dtype=np.int32),
                          np.zeros(self.cores.shape[0], dtype=np.int64))
        return self.inbox

    # -- delay extensions and synaptic rows ---------------------------------------------
    def _build_delay_cores(self, projections) -> None:
        """One delay-extension vertex per (source population, slots), sliced like it."""
        m = self.mapping
        need: dict[tuple, int] = {}
        for proj in projections:
            pl = m.projections[id(proj)]
            for layout, sel in m.post_parts(pl):
                longest = pl.max_delay(sel)
                if longest <= layout.slots:
                    continue
                stages = (longest - 1) // layout.slots
                for src_layout in m.source_layouts(pl.delayed_pre_atoms(sel, layout.slots)):
                    key = (id(src_layout.population), layout.slots)
                    need[key] = max(need.get(key, 0), stages)
        self.delay_cores = []
        self.delay_vertex = {}
        for layout in m.layouts.values():
            for (pop_id, slots), stages in need.items():
                if pop_id != id(layout.population):
                    continue
                self.delay_vertex[(pop_id, slots)] = len(self.delay_cores)
                for k in range(layout.n_cores):
                    self.delay_cores.append({
                        "lo": layout.offset + int(layout.bounds[k]),
                        "hi": layout.offset + int(layout.bounds[k + 1]),
                        "slots": slots, "stages": stages, "population": layout.population})

    def _build_rows(self, projections) -> None:
        rows = build_rows(self, projections, is_plastic)
        self.words = rows.words
        self.word_ptr = rows.word_ptr
        self.route_ptr = rows.route_ptr
        self.route_core = rows.route_core
        self.route_len = rows.route_len
        self.route_prow = rows.route_prow
        self.word_of_connection = rows.word_of_connection
        self.n_synapses = rows.n_synapses
        self.n_plastic_rows = rows.n_plastic_rows
        self.synapse_bytes = rows.nbytes()

    def plastic_weights(self, pl: ProjectionLayout) -> np.ndarray:
        """The current weights of a plastic projection, read back from its words."""
        words = self.words[self.word_of_connection[id(pl.projection)]]
        out = np.empty(pl.size)
        for layout, sel in pl.parts:
            sign = np.where(pl.weights(sel) < 0, -1.0, 1.0)
            out[sel] = sign * (words[sel] >> 16) / layout.scales[pl.synapse_type]
        return out

    # -- neurons --------------------------------------------------------------------------
    def update_neuron_parameters(self) -> None:
        """(Re)translate neuron parameters into the per-neuron constant table."""
        m = self.mapping
        ts = int(encode_s1615(m.dt))
        for layout in m.layouts.values():
            if layout.kind != kernel.NEURON_CORE:
                continue
            p = layout.population._parameters
            table = self.params[layout.offset:layout.offset + layout.population.size]
            table[:, kernel.P_I_OFFSET] = encode_s1615(p["i_offset"])
            if layout.model == kernel.IZK:
                for col, name in ((kernel.P_A, "a"), (kernel.P_B, "b"), (kernel.P_C, "c"),
                                  (kernel.P_D, "d")):
                    table[:, col] = encode_s1615(p[name])
                table[:, kernel.P_V_THRESH] = encode_s1615(IZK_THRESHOLD)
                table[:, kernel.P_RESET_H] = kdivui(ts, 1)
            else:
                exp_tc, r_mem, t_ref = membrane_constants(self.constants, m.dt, p["tau_m"],
                                                          p["cm"], p["tau_refrac"])
                table[:, kernel.P_V_REST] = encode_s1615(p["v_rest"])
                table[:, kernel.P_V_RESET] = encode_s1615(p["v_reset"])
                table[:, kernel.P_V_THRESH] = encode_s1615(p["v_thresh"])
                table[:, kernel.P_EXP_TC] = exp_tc
                table[:, kernel.P_R] = r_mem
                table[:, kernel.P_T_REFRACT] = t_ref
            if layout.input_type == kernel.DELTA:
                table[:, kernel.P_DELTA_SCALE] = kdivk(1 << 15, kdivui(ts, 1))
            else:
                for s, name in enumerate(_SYNAPSE_TAUS[layout.n_types]):
                    decay, init = synapse_constants(self.constants, m.dt, p[name])
                    table[:, kernel.P_DECAY0 + 2 * s] = decay
                    table[:, kernel.P_INIT0 + 2 * s] = init
            if layout.input_type == kernel.CONDUCTANCE:
                table[:, kernel.P_E_REV_E] = encode_s1615(p["e_rev_E"])
                table[:, kernel.P_E_REV_I] = encode_s1615(p["e_rev_I"])

    def initialise_state(self) -> None:
        """Neuron state from the populations' initial values (time 0 / after reset)."""
        ts = int(encode_s1615(self.mapping.dt))
        for layout in self.mapping.layouts.values():
            if layout.kind != kernel.NEURON_CORE:
                continue
            pop = layout.population
            state = self.state[layout.offset:layout.offset + pop.size]
            state[:] = 0
            state[:, kernel.S_V] = encode_s1615(pop.initial_value_array("v"))
            if layout.model == kernel.IZK:
                state[:, kernel.S_U] = encode_s1615(pop.initial_value_array("u"))
                state[:, kernel.S_H] = kdivui(ts, 1)
            conductance = layout.input_type == kernel.CONDUCTANCE
            names = _SYNAPSE_STATE_NAMES[(conductance, layout.n_types)]
            scale = GLOBAL_WEIGHT_SCALE[layout.input_type]
            for s, name in enumerate(names):
                init = pop._initial.get(name)
                if init is not None:
                    state[:, kernel.S_SYN0 + s] = encode_s1615(init * scale)

    # -- sources --------------------------------------------------------------------------
    def _build_sources(self, core_rows, t_now: int) -> None:
        self._core_rows = core_rows
        self.update_spike_arrays(t_now)
        self._build_poisson()

    def update_spike_arrays(self, t_now: int) -> None:
        """(Re)load SpikeSourceArray events; spikes before ``t_now`` are not sent."""
        m = self.mapping
        core_rows = self._core_rows
        ticks, atoms, counts = [], [], []
        for c, (layout, k) in enumerate(core_rows):
            lo, hi = int(layout.bounds[k]), int(layout.bounds[k + 1])
            if layout.kind == kernel.ARRAY_CORE:
                times = spike_trains(layout.population)
                for i in range(lo, hi):
                    t = np.ceil(np.round(times[i] / m.dt, 6)).astype(np.int64)
                    if t.size:
                        u, n = np.unique(t, return_counts=True)
                        ticks.append(u)
                        atoms.append(np.full(u.size, layout.offset + i, dtype=np.int64))
                        counts.append(n.astype(np.int32))
        # spike-source-array events sorted by (core, tick, atom)
        if ticks:
            tick = np.concatenate(ticks)
            atom = np.concatenate(atoms)
            count = np.concatenate(counts)
        else:
            tick = atom = np.zeros(0, dtype=np.int64)
            count = np.zeros(0, dtype=np.int32)
        core = self.core_of_atom[atom] if atom.size else atom
        order = np.lexsort((atom, tick, core))
        self.arr_tick, self.arr_atom, self.arr_cnt = tick[order], atom[order], count[order]
        core = core[order]
        self.arr_ptr = np.zeros(len(self.cores), dtype=np.int64)
        for c in range(len(core_rows)):
            if self.cores[c, kernel.C_KIND] == kernel.ARRAY_CORE:
                lo, hi = np.searchsorted(core, [c, c + 1])
                self.arr_ptr[c] = lo + np.searchsorted(self.arr_tick[lo:hi], t_now)
                self.cores[c, kernel.C_AUX_OFF], self.cores[c, kernel.C_AUX_LEN] = lo, hi

    def _build_poisson(self) -> None:
        m = self.mapping
        poisson_programs = []
        p_offset = 0
        n_pcores = 0
        for layout in m.layouts.values():
            if layout.kind != kernel.POISSON_CORE:
                continue
            pop = layout.population
            p = pop._parameters
            prog = build_poisson_program(np.asarray(p["rate"], float),
                                         np.asarray(p["start"], float),
                                         np.asarray(p["duration"], float), m.dt, layout.bounds,
                                         pop.additional_parameters.get("seed"))
            poisson_programs.append(prog)
            for k in range(layout.n_cores):
                c = layout.first_core + k
                self.cores[c, kernel.C_SUB] = n_pcores + k
                self.cores[c, kernel.C_AUX_OFF] = p_offset + int(layout.bounds[k])
            n_pcores += layout.n_cores
            p_offset += pop.size
        self.poisson = _concatenate_poisson(poisson_programs)
        self.poisson_counts = np.zeros(max(1, p_offset), dtype=np.int32)


def _concatenate_poisson(programs) -> tuple:
    """All Poisson populations as one set of kernel fields (cores numbered in order)."""
    from neuroemu.spinnaker.poisson import FIELD_NAMES

    if not programs:
        programs = [build_poisson_program(np.zeros(0), np.zeros(0), np.zeros(0), 1.0,
                                          np.zeros(1, dtype=np.int64), 0)]
    fields = []
    for name in FIELD_NAMES:
        arrays = [getattr(p, name) for p in programs]
        if name == "slice_bounds":
            out, offset = [], 0
            for b in arrays:
                out.append(b[:-1] + offset)
                offset += int(b[-1])
            fields.append(np.append(np.concatenate(out), offset).astype(np.int64))
        elif name == "kiss_state":
            fields.append(np.ascontiguousarray(np.vstack(arrays)))
        else:
            fields.append(np.concatenate(arrays))
    return tuple(fields)
