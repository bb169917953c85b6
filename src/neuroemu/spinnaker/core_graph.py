"""Which core sends packets to which core, and how long the synaptic rows are.

Read from the machine program's routing table (key -> [(target core, row, row length)]):
keys ``0 .. n_atoms-1`` are the atoms of population cores, the keys after them are the
stage keys of delay-extension cores (``MachineProgram.delay_cores[j]["key0"]``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
    per_key = np.diff(program.route_ptr)
    key_of_entry = np.repeat(np.arange(per_key.size, dtype=np.int64), per_key)
    src = core_of_key[key_of_entry]
    tgt = program.route_core
    if src.size:
        pair = src * n_cores + tgt
        uniq, inverse = np.unique(pair, return_inverse=True)
        max_row = np.zeros(uniq.size, dtype=np.int64)
        np.maximum.at(max_row, inverse, program.route_len)
    else:
        uniq = np.zeros(0, dtype=np.int64)
        max_row = uniq
    return CoreGraph(core_of_key, first_key, n_keys, uniq // max(n_cores, 1),
                     uniq % max(n_cores, 1), max_row)
