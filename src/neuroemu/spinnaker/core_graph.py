"""Which core sends packets to which core, and how long the synaptic rows are.

Read from the machine program's routing table (key -> [(target core, row, row length)]):
keys ``0 .. n_atoms-1`` are the atoms of population cores, the keys after them are the
stage keys of delay-extension cores (``MachineProgram.delay_cores[j]["key0"]``).

Routing follows sPyNNaker 7.4.1's connected vertices (``get_connected_vertices`` of the
connector): by default every core of the source population (or of its delay-extension
vertex) sends to every core of the target population, whether or not the core holds a row
for it; ``OneToOneConnector`` and ``FromListConnector`` (and ``FromFileConnector``) connect
only the cores that hold synapses. Those whole-population pairs are kept as ``groups``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numba import njit
from pyNN import connectors as pc

from neuroemu.pynn.cells import resolve
from neuroemu.spinnaker import kernel

#: connectors whose sPyNNaker ``get_connected_vertices`` keeps only the connected cores
EXACT_CONNECTORS = (pc.OneToOneConnector, pc.FromListConnector)


@dataclass
class CoreGraph:
    """Edges between cores: one row per (source core, target core) pair."""

    core_of_key: np.ndarray     # program key -> sending core
    first_key: np.ndarray       # per core: its first program key
    n_keys: np.ndarray          # per core: number of keys it sends with
    edge_src: np.ndarray        # per edge: sending core
    edge_tgt: np.ndarray        # per edge: receiving core
    edge_max_row: np.ndarray    # per edge: longest synaptic row (words); 0 = delay input
    groups: list = field(default_factory=list)   # [(source cores, target cores)], all pairs


def _population_cores(layout) -> np.ndarray:
    return layout.first_core + np.arange(layout.n_cores, dtype=np.int64)


def routing_groups(program, projections) -> list[tuple[np.ndarray, np.ndarray]]:
    """(source cores, target cores) connected as whole populations (see module doc)."""
    m = program.mapping
    groups = []
    for proj in projections:
        if isinstance(proj._connector, EXACT_CONNECTORS):
            continue
        posts = {id(pop): pop for pop, _, _ in resolve(proj.post)}
        pres = {id(pop): pop for pop, _, _ in resolve(proj.pre)}
        for post in posts.values():
            targets = _population_cores(m.layout(post))
            for pre in pres.values():
                groups.append((_population_cores(m.layout(pre)), targets))
        pl = m.projections[id(proj)]
        for post, sel in m.post_parts(pl):
            delayed_atoms = pl.delayed_pre_atoms(sel, post.slots)
            for pre in pres.values():
                lo = m.layout(pre).offset
                if ((delayed_atoms >= lo) & (delayed_atoms < lo + pre.size)).any():
                    key = (id(pre), post.slots)
                    cores = [dc["core"] for dc in program.delay_cores
                             if (id(dc["population"]), dc["slots"]) == key]
                    groups.append((np.array(cores, dtype=np.int64),
                                   _population_cores(post)))
    return groups


def build_core_graph(program, projections=()) -> CoreGraph:
    """The core graph of a :class:`~neuroemu.spinnaker.program.MachineProgram`."""
    cores = program.cores
    n_cores = cores.shape[0]
    n_keys = np.where(cores[:, kernel.C_KIND] == kernel.DELAY_CORE,
                      cores[:, kernel.C_STAGES] * (cores[:, kernel.C_HI] - cores[:, kernel.C_LO]),
                      cores[:, kernel.C_HI] - cores[:, kernel.C_LO]).astype(np.int64)
    first_key = cores[:, kernel.C_LO].copy()
    delay = cores[:, kernel.C_KIND] == kernel.DELAY_CORE
    first_key[delay] = cores[delay, kernel.C_SUB]
    order = np.argsort(first_key, kind="stable")
    core_of_key = np.repeat(order, n_keys[order])
    src, tgt, max_row = _edges(program.route_ptr, program.route_core, program.route_len,
                               first_key, n_keys, n_cores)
    return CoreGraph(core_of_key, first_key, n_keys, src, tgt, max_row,
                     routing_groups(program, projections))


@njit(cache=True)
def _edges(route_ptr, route_core, route_len, first_key, n_keys, n_cores):
    """(source, target, longest row) per connected core pair, sorted by (source, target)."""
    longest = np.full(n_cores, -1, dtype=np.int64)
    touched = np.empty(n_cores, dtype=np.int64)
    n_edges = 0
    cap = 1024
    src = np.empty(cap, dtype=np.int64)
    tgt = np.empty(cap, dtype=np.int64)
    row = np.empty(cap, dtype=np.int64)
    for c in range(n_cores):
        n_touched = 0
        for r in range(route_ptr[first_key[c]], route_ptr[first_key[c] + n_keys[c]]):
            t = route_core[r]
            if longest[t] < 0:
                touched[n_touched] = t
                n_touched += 1
                longest[t] = 0
            longest[t] = max(longest[t], route_len[r])
        targets = np.sort(touched[:n_touched])
        for t in targets:
            if n_edges == cap:
                cap *= 2
                src = np.concatenate((src, np.empty(cap - n_edges, dtype=np.int64)))
                tgt = np.concatenate((tgt, np.empty(cap - n_edges, dtype=np.int64)))
                row = np.concatenate((row, np.empty(cap - n_edges, dtype=np.int64)))
            src[n_edges] = c
            tgt[n_edges] = t
            row[n_edges] = longest[t]
            longest[t] = -1
            n_edges += 1
    return src[:n_edges], tgt[:n_edges], row[:n_edges]
