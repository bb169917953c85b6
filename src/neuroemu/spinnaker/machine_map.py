"""The machine stage of a run: the program's cores on chips, with keys and router tables.

Runs after the host mapping (partitioning, weight scaling, delays, synaptic rows) and
before the kernel: core graph -> memory per core -> placement -> keys and routing tables ->
routing state for the kernel (ideal network or the fault model of :mod:`.faults`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from neuroemu.spinnaker import faults, kernel, sdram
from neuroemu.spinnaker import machine as mc
from neuroemu.spinnaker.core_graph import CoreGraph, build_core_graph
from neuroemu.spinnaker.placement import Placement, place
from neuroemu.spinnaker.routing_tables import RoutingTables, build_routing_tables

KIND_NAMES = {kernel.NEURON_CORE: "neurons", kernel.POISSON_CORE: "poisson",
              kernel.ARRAY_CORE: "spike_array", kernel.DELAY_CORE: "delay_extension"}


@dataclass
class CoreInfo:
    """What a core holds, for errors and reports."""

    kind: str
    population: str
    lo: int
    hi: int
    vertex: int
    stages: int = 0
    slots: int = 0


@dataclass
class MachineMap:
    """Placement, keys, tables and the kernel's routing state of one run."""

    machine: mc.Machine
    core_info: list
    graph: CoreGraph
    memory: dict
    placement: Placement
    tables: RoutingTables
    net: tuple
    timings: dict = field(default_factory=dict)
    #: per core: synapses (words) and synaptic rows it holds
    synapses: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def tree_size(self) -> np.ndarray:
        """Routers each core's packets pass (chips of its multicast tree)."""
        return np.bincount(self.tables.tree_core, minlength=len(self.core_info))


def core_infos(program) -> list[CoreInfo]:
    """One :class:`CoreInfo` per core of the program, in core order; ``vertex`` numbers
    the application vertex (population, or delay extension of a population)."""
    infos = []
    vertex_of_layout: dict[int, int] = {}
    for layout, k in program._core_rows:
        vertex = vertex_of_layout.setdefault(id(layout), len(vertex_of_layout))
        infos.append(CoreInfo(KIND_NAMES[layout.kind], layout.population.label,
                              int(layout.bounds[k]), int(layout.bounds[k + 1]), vertex))
    n_population_vertices = len(vertex_of_layout)
    vertex_of_delay: dict[tuple, int] = {}
    for dc in program.delay_cores:
        lay = program.mapping.layout(dc["population"])
        key = (id(dc["population"]), dc["slots"])
        vertex = vertex_of_delay.setdefault(key, n_population_vertices + len(vertex_of_delay))
        infos.append(CoreInfo("delay_extension", dc["population"].label,
                              dc["lo"] - lay.offset, dc["hi"] - lay.offset, vertex,
                              int(dc["stages"]), int(dc["slots"])))
    return infos


@njit(cache=True)
def _depths(parent):
    depth = np.full(parent.size, -1, dtype=np.int64)
    for i in range(parent.size):
        n = 0
        j = i
        while j >= 0 and depth[j] < 0:
            j = parent[j]
            n += 1
        base = -1 if j < 0 else depth[j]
        j = i
        while j >= 0 and depth[j] < 0:
            depth[j] = base + n
            n -= 1
            j = parent[j]
    return depth


def fault_network(loss: faults.PacketLoss, program, graph: CoreGraph, placement: Placement,
                  tables: RoutingTables, machine: mc.Machine) -> tuple:
    """Kernel routing state with each core's tree in parent-first order."""
    n_cores = program.cores.shape[0]
    n_chips = machine.width * machine.height
    depth = _depths(tables.tree_parent)
    order = np.lexsort((depth, tables.tree_core))
    new_index = np.empty(order.size, dtype=np.int64)
    new_index[order] = np.arange(order.size)
    parent = tables.tree_parent[order]
    parent = np.where(parent >= 0, new_index[np.maximum(parent, 0)], -1)
    core = tables.tree_core[order]
    chip = tables.tree_chip[order]
    tree_ptr = np.searchsorted(core, np.arange(n_cores + 1))
    per_key = np.diff(program.route_ptr)
    src = graph.core_of_key[np.repeat(np.arange(per_key.size), per_key)]
    tgt_chip = (placement.chip[program.route_core, 0] * machine.height +
                placement.chip[program.route_core, 1])
    composite = core * n_chips + chip
    lookup = np.argsort(composite, kind="stable")
    route_node = lookup[np.searchsorted(composite[lookup], src * n_chips + tgt_chip)]
    return faults.network_arrays(loss.config(), graph.core_of_key, tree_ptr, chip, parent,
                                 route_node, n_chips, loss.seed, n_cores)


def build_machine_map(machine_spec, program, populations, projections, dt: float,
                      n_ticks: int, loss: faults.PacketLoss | None) -> MachineMap:
    """Everything the machine needs for a run of ``n_ticks`` (raises MappingError)."""
    timings = {}
    t0 = time.perf_counter()
    graph = build_core_graph(program, projections)
    infos = core_infos(program)
    timings["core graph"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    vertex = np.array([i.vertex for i in infos], dtype=np.int64)
    memory = sdram.core_memory(program, graph, vertex, projections)
    static = sum(memory[r] for r in sdram.SDRAM_REGIONS)
    dtcm = sum(memory[r] for r in sdram.DTCM_REGIONS)
    rec = sdram.recording_bytes_per_tick(program, populations, dt)
    timings["memory"] = time.perf_counter() - t0
    t0 = time.perf_counter()

    def describe(c: int) -> str:
        i = infos[c]
        return f"{i.kind} core of '{i.population}', atoms {i.lo}:{i.hi}"

    placement = place(machine_spec, static, dtcm, rec, n_ticks, describe, vertex)
    memory["recording"] = placement.sdram - static
    machine = placement.machine
    timings["placement"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    tables = build_routing_tables(machine, placement, graph)
    timings["keys and routing tables"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    n_cores = program.cores.shape[0]
    if loss is None:
        net = faults.ideal_network(graph.core_of_key, n_cores, int(program.route_core.size))
    else:
        net = fault_network(loss, program, graph, placement, tables, machine)
    timings["routing state"] = time.perf_counter() - t0
    synaptic = program.route_len > 0          # delay-extension entries hold no synapses
    synapses = np.bincount(program.route_core, weights=program.route_len,
                           minlength=n_cores).astype(np.int64)
    rows = np.bincount(program.route_core[synaptic], minlength=n_cores).astype(np.int64)
    return MachineMap(machine, infos, graph, memory, placement, tables, net, timings,
                      synapses, rows)
