"""SDRAM sPyNNaker 7.4.1 reserves for a core's synaptic matrix (``SynBlocks`` region).

The rule (``PopulationVertex.get_synapses_size``, ``synapse_io.get_max_row_info``,
``MasterPopTableAsBinarySearch.get_next_allowed_address``): two header words, then for
every incoming projection and every core ("sub-edge") of its source population, a block of
``n_sub_atoms x (3 + max row length)`` words, each block starting on a 16-byte boundary;
``n_sub_atoms`` is the source population's atoms per core. Delayed rows (delays beyond the
ring buffer) get a second block per sub-edge, times the number of delay stages.

The maximum row length is the connector's statistical bound for ``n_post_atoms`` targets
(``get_n_connections_from_pre_vertex_maximum``): all-to-all ``n_post_atoms``; one-to-one
1; fixed probability ``p`` the binomial bound ``probable_maximum_selected(n_pre x n_post,
n_post_atoms, p, 1e-4)``; fixed number pre ``n`` a two-stage bound (connections of one
source over the whole target population, then the share falling in the slice); fixed total
number ``n`` (sPyNNaker's ``MultapseConnector``) the bound of the ``n`` connections falling
in the slice (at least 1), then of those falling in one row (at least 1). Only the
share of delays in the undelayed (or delayed) range counts (all or nothing for a single
delay value, else the bound of that fraction). Other connectors reserve the longest row
actually built. Checked against the data specifications sPyNNaker wrote for the guidebook
example (1616 bytes) and the 10k benchmark network (1,348,624 bytes).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from pyNN import connectors as pc

from neuroemu.pynn.cells import resolve
from neuroemu.spinnaker import kernel, mapping

WORD = 4
HEADER_WORDS = 2
ROW_HEADER_WORDS = 3
BLOCK_ALIGNMENT = 16


def _align(address: int) -> int:
    return -(-address // BLOCK_ALIGNMENT) * BLOCK_ALIGNMENT


def _delay_share(bound: int, n_total: int, in_range: float) -> int:
    """Bound restricted to the fraction ``in_range`` of delays that fall in the range."""
    if in_range <= 0.0:
        return 0
    if in_range >= 1.0:
        return bound
    return max(1, math.ceil(mapping.probable_maximum_selected(n_total, bound, in_range)))


def _connector_bound(proj, n_post_atoms: int) -> int | None:
    """Statistical maximum row length for ``n_post_atoms`` targets, or None if unknown."""
    conn = proj._connector
    n_pre, n_post = proj.pre.size, proj.post.size
    n_total = n_pre * n_post
    if isinstance(conn, pc.AllToAllConnector):
        return n_post_atoms
    if isinstance(conn, pc.OneToOneConnector):
        return 1
    if isinstance(conn, pc.FixedProbabilityConnector):
        return math.ceil(mapping.probable_maximum_selected(n_total, n_post_atoms,
                                                           conn.p_connect, 1.0 / 10000.0))
    if isinstance(conn, pc.FixedNumberPreConnector) and np.isscalar(conn.n):
        whole = mapping.probable_maximum_selected(n_total, int(conn.n) * n_post, 1.0 / n_pre,
                                                  1.0 / 10000.0)
        share = min(n_post_atoms / n_post, 1.0)
        return math.ceil(mapping.probable_maximum_selected(n_total, int(whole), share,
                                                           1.0 / 100000.0))
    if isinstance(conn, pc.FixedTotalNumberConnector):
        n = int(conn.n)
        if n == 0:
            return 0
        in_slice = max(mapping.probable_maximum_selected(n, n, min(n_post_atoms / n_post,
                                                                   1.0)), 1.0)
        return math.ceil(max(mapping.probable_maximum_selected(n, int(in_slice), 1.0 / n_pre),
                             1.0))
    return None


def _built_max_rows(pl, sel, core_of_atom, n_cores) -> np.ndarray:
    """Per target core: longest row of this projection actually built (fallback)."""
    proj = pl.projection
    return _longest_rows(proj._pre_idx[sel], proj._post_idx[sel],
                         core_of_atom[pl.post_atom_of], proj.pre.size, n_cores)


@njit(cache=True)
def _longest_rows(pre, post, core_of_post, n_pre, n_cores):
    """Per core: the most connections a single source has onto it (a counting sort by
    source, then a count per core for each source); ``pre``/``post`` are positions."""
    start = np.zeros(n_pre + 1, dtype=np.int64)
    for i in range(pre.size):
        start[pre[i] + 1] += 1
    for p in range(n_pre):
        start[p + 1] += start[p]
    cursor = start[:-1].copy()
    by_source = np.empty(pre.size, dtype=np.int64)
    for i in range(pre.size):
        by_source[cursor[pre[i]]] = core_of_post[post[i]]
        cursor[pre[i]] += 1
    count = np.zeros(n_cores, dtype=np.int64)
    longest = np.zeros(n_cores, dtype=np.int64)
    for p in range(n_pre):
        for j in range(start[p], start[p + 1]):
            c = by_source[j]
            count[c] += 1
            longest[c] = max(longest[c], count[c])
        for j in range(start[p], start[p + 1]):
            count[by_source[j]] = 0
    return longest


def _add_blocks(address: int, n_blocks: int, size: int) -> int:
    """``n_blocks`` blocks of ``size`` bytes, each starting on an aligned address."""
    if n_blocks <= 0 or size <= 0:
        return address
    return _align(address) + (n_blocks - 1) * _align(size) + size


def reserved_bytes(program, projections) -> np.ndarray:
    """Per core: bytes of the ``SynBlocks`` region sPyNNaker reserves (0 off neuron cores)."""
    m = program.mapping
    cores = program.cores
    n_cores = cores.shape[0]
    neuron = cores[:, kernel.C_KIND] == kernel.NEURON_CORE
    address = np.where(neuron, HEADER_WORDS * WORD, 0).astype(np.int64)
    for proj in projections:
        pl = m.projections[id(proj)]
        pres = [m.layout(p) for p in {id(p): p for p, _, _ in resolve(proj.pre)}.values()]
        n_total = proj.pre.size * proj.post.size
        for post, sel in m.post_parts(pl):
            undelayed = pl.share_within(sel, post.slots)
            stages = (pl.max_delay(sel) - 1) // post.slots
            built = None
            bounds: dict[int, tuple[int, int]] = {}
            for k in range(post.n_cores):
                c = post.first_core + k
                n_post_atoms = int(post.bounds[k + 1] - post.bounds[k])
                if n_post_atoms not in bounds or built is not None:
                    bound = _connector_bound(proj, n_post_atoms)
                    if bound is None:
                        if built is None:
                            built = _built_max_rows(pl, sel, program.core_of_atom, n_cores)
                        bound = int(built[c])
                    bounds[n_post_atoms] = (_delay_share(bound, n_total, undelayed),
                                            _delay_share(bound, n_total, 1.0 - undelayed))
                rows = bounds[n_post_atoms]
                for pre in pres:
                    sub = int(pre.bounds[1] - pre.bounds[0])
                    for words, times in ((rows[0], 1), (rows[1], stages)):
                        if words > 0 and times > 0:
                            size = sub * (words + ROW_HEADER_WORDS) * WORD * times
                            address[c] = _add_blocks(int(address[c]), pre.n_cores, size)
    return np.where(neuron, address, 0)
