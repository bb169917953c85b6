"""Which core sends packets to which core, and how long the synaptic rows are.

Read from the machine program's routing table (key -> [(target core, row, row length)]):
keys ``0 .. n_atoms-1`` are the atoms of population cores, the keys after them are the
stage keys of delay-extension cores (``MachineProgram.delay_cores[j]["key0"]``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from neuroemu.spinnaker import kernel


@dataclass
class CoreGraph:
    """Edges between cores: one row per (source core, target core) pair."""

    core_of_key: np.ndarray     # program key -> sending core
    first_key: np.ndarray       # per core: its first program key
    n_keys: np.ndarray          # per core: number of keys it sends with
    edge_src: np.ndarray        # per edge: sending core
    edge_tgt: np.ndarray        # per edge: receiving core
    edge_max_row: np.ndarray    # per edge: longest synaptic row (words); 0 = delay input


def build_core_graph(program) -> CoreGraph:
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
    return CoreGraph(core_of_key, first_key, n_keys, src, tgt, max_row)


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
