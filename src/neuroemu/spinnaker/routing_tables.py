"""Multicast keys, routing trees and compressed router tables (spec §3.3: 1023 entries).

* Keys: each core gets an aligned block of ``2**ceil(log2(n_keys))`` keys (atom index in
  the low bits, mask over the rest), allocated in core order; a delay-extension core sends
  with one key per (stage, atom).
* Trees: from the sending core's chip, a shortest-path tree over the chip mesh (breadth
  first search over existing chips and links, wrap-around links where the machine has them,
  ties broken by link order E, NE, N, W, SW, S) reaching every chip that holds a target
  core; each chip on the tree gets one entry (key, mask -> links + processors).
* Compression, as the real router allows it without changing where any packet goes:
  entries that only pass a packet straight through (out of the link opposite the one it
  came in on, no local processor) are dropped, because the router's default route does
  exactly that; entries of one chip with the same route whose key blocks are buddies
  (same mask, keys differing in the lowest masked bit) merge into one entry covering
  exactly their union. A chip left with more than 1023 entries is a mapping error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from neuroemu.errors import MappingError
from neuroemu.spinnaker import machine as mc
from neuroemu.spinnaker.core_graph import CoreGraph
from neuroemu.spinnaker.placement import Placement

N_LINKS = 6
FULL_MASK = 0xFFFFFFFF
#: (dx, dy) of the links E, NE, N, W, SW, S, as constants for the jitted code
_DX = tuple(dx for dx, _ in mc.LINKS)
_DY = tuple(dy for _, dy in mc.LINKS)


def allocate_keys(n_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(base key, mask) per core: aligned power-of-two blocks in core order."""
    bits = np.ceil(np.log2(np.maximum(n_keys, 1))).astype(np.int64)
    size = np.int64(1) << bits
    base = np.zeros(n_keys.size, dtype=np.int64)
    nxt = 0
    for c in range(n_keys.size):
        s = int(size[c])
        nxt = -(-nxt // s) * s
        base[c] = nxt
        nxt += s
    if nxt > FULL_MASK + 1:
        raise MappingError("multicast keys", nxt, FULL_MASK + 1, "the 32-bit key space")
    mask = (FULL_MASK ^ (size - 1)).astype(np.int64)
    return base, mask


@njit(cache=True)
def _neighbour(x, y, link, width, height, wrap, present):
    nx, ny = x + _DX[link], y + _DY[link]
    if wrap:
        nx %= width
        ny %= height
    elif nx < 0 or ny < 0 or nx >= width or ny >= height:
        return -1
    if not present[nx, ny]:
        return -1
    return nx * height + ny


@njit(cache=True)
def _bfs(src, width, height, wrap, present, travel):
    """Fill ``travel[chip]`` with the link taken into each chip on a shortest path."""
    travel[:] = -1
    queue = np.empty(width * height, dtype=np.int64)
    seen = np.zeros(width * height, dtype=np.bool_)
    queue[0] = src
    seen[src] = True
    head, tail = 0, 1
    while head < tail:
        node = queue[head]
        head += 1
        x, y = node // height, node % height
        for link in range(6):
            nb = _neighbour(x, y, link, width, height, wrap, present)
            if nb >= 0 and not seen[nb]:
                seen[nb] = True
                travel[nb] = link
                queue[tail] = nb
                tail += 1


@njit(cache=True)
def _trees(width, height, wrap, present, src_chip, order, tgt_ptr, tgt_chip, tgt_bits):
    """Tree entries of every sending core (cores visited in ``order``, grouped by chip)."""
    n_chips = width * height
    travel = np.full(n_chips, -1, dtype=np.int64)
    stamp = np.full(n_chips, -1, dtype=np.int64)
    entry_at = np.zeros(n_chips, dtype=np.int64)
    zero = np.int64(0)
    e_core, e_chip, e_route, e_travel, e_parent = [zero], [zero], [zero], [zero], [zero]
    last_src = -1
    for c in order:
        if tgt_ptr[c] == tgt_ptr[c + 1]:
            continue
        src = src_chip[c]
        if src != last_src:
            _bfs(src, width, height, wrap, present, travel)
            last_src = src
        root = len(e_core)
        e_core.append(c)
        e_chip.append(src)
        e_route.append(0)
        e_travel.append(-1)
        e_parent.append(-1)
        stamp[src] = c
        entry_at[src] = root
        for j in range(tgt_ptr[c], tgt_ptr[c + 1]):
            node = tgt_chip[j]
            if stamp[node] == c:
                e_route[entry_at[node]] |= tgt_bits[j]
                continue
            stamp[node] = c
            entry_at[node] = len(e_core)
            e_core.append(c)
            e_chip.append(node)
            e_route.append(tgt_bits[j])
            e_travel.append(travel[node])
            e_parent.append(-1)
            while True:
                link = travel[node]
                px = node // height - _DX[link]
                py = node % height - _DY[link]
                if wrap:
                    px %= width
                    py %= height
                par = px * height + py
                known = stamp[par] == c
                if not known:
                    stamp[par] = c
                    entry_at[par] = len(e_core)
                    e_core.append(c)
                    e_chip.append(par)
                    e_route.append(0)
                    e_travel.append(travel[par])
                    e_parent.append(-1)
                e_parent[entry_at[node]] = entry_at[par]
                e_route[entry_at[par]] |= 1 << link
                if known:
                    break
                node = par
    n = len(e_core) - 1
    out = np.empty((5, n), dtype=np.int64)
    for i in range(n):
        out[0, i] = e_core[i + 1]
        out[1, i] = e_chip[i + 1]
        out[2, i] = e_route[i + 1]
        out[3, i] = e_travel[i + 1]
        out[4, i] = e_parent[i + 1] - 1 if e_parent[i + 1] >= 0 else -1
    return out


@dataclass
class RoutingTables:
    """Keys per core, the uncompressed trees and the compressed table of every chip."""

    key_base: np.ndarray      # per core
    key_mask: np.ndarray      # per core
    tree_core: np.ndarray     # per tree entry: sending core
    tree_chip: np.ndarray     # per tree entry: chip index x * height + y
    tree_route: np.ndarray    # per tree entry: link bits 0-5, processor p at bit 6 + p
    tree_travel: np.ndarray   # per tree entry: link the packet arrives by (-1 at source)
    tree_parent: np.ndarray   # per tree entry: entry of the previous chip (-1 at source)
    chip: np.ndarray          # per compressed entry: chip index
    key: np.ndarray           # per compressed entry
    mask: np.ndarray          # per compressed entry
    route: np.ndarray         # per compressed entry
    height: int
    _by_chip: dict | None = None

    def entries_per_chip(self) -> dict[tuple[int, int], int]:
        """{(x, y): compressed entries} for every chip with at least one entry."""
        chips, counts = np.unique(self.chip, return_counts=True)
        return {(int(c // self.height), int(c % self.height)): int(n)
                for c, n in zip(chips, counts)}

    def by_chip(self) -> dict[int, list]:
        """{chip index: [(key, mask, route)]} of the compressed tables (built once)."""
        if self._by_chip is None:
            self._by_chip = {}
            for ch, k, m, r in zip(self.chip.tolist(), self.key.tolist(), self.mask.tolist(),
                                   self.route.tolist()):
                self._by_chip.setdefault(ch, []).append((k, m, r))
        return self._by_chip

    def uncompressed_per_chip(self) -> dict[tuple[int, int], int]:
        chips, counts = np.unique(self.tree_chip, return_counts=True)
        return {(int(c // self.height), int(c % self.height)): int(n)
                for c, n in zip(chips, counts)}


def _compress(chip, key, mask, route):
    """Buddy merging of same-route entries per chip (exact: covers no new key)."""
    for _ in range(33):
        order = np.lexsort((key, mask, route, chip))
        chip, key, mask, route = chip[order], key[order], mask[order], route[order]
        low_bit = mask & -mask
        same = (chip[1:] == chip[:-1]) & (route[1:] == route[:-1]) & (mask[1:] == mask[:-1])
        pair = same & ((key[:-1] & low_bit[:-1]) == 0) & (key[1:] == (key[:-1] | low_bit[:-1]))
        pair &= low_bit[:-1] != 0
        if not pair.any():
            break
        first = np.flatnonzero(pair)   # pairs never chain: a second has the bit set
        mask = mask.copy()
        mask[first] &= ~low_bit[first]
        alive = np.ones(chip.size, dtype=bool)
        alive[first + 1] = False
        chip, key, mask, route = chip[alive], key[alive], mask[alive], route[alive]
    return chip, key, mask, route


def _or_by_key(keys: np.ndarray, bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys (sorted) with the OR of their bits."""
    if not keys.size:
        return keys, bits
    order = np.argsort(keys, kind="stable")
    keys, bits = keys[order], bits[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return keys[starts], np.bitwise_or.reduceat(bits, starts)


def build_routing_tables(machine: mc.Machine, placement: Placement,
                         graph: CoreGraph) -> RoutingTables:
    """Keys, trees and compressed tables; raises MappingError past 1023 entries per chip."""
    height = machine.height
    base, mask = allocate_keys(graph.n_keys)
    chip_idx = placement.chip[:, 0] * height + placement.chip[:, 1]
    n_chips = machine.width * height
    proc_bit = np.left_shift(np.int64(1), N_LINKS + placement.processor)
    # one row per (sending core, target chip) with the OR of its processor bits
    pairs = [graph.edge_src * n_chips + chip_idx[graph.edge_tgt]]
    bit_parts = [proc_bit[graph.edge_tgt]]
    for sources, targets in graph.groups:
        chips, bits = _or_by_key(chip_idx[targets], proc_bit[targets])
        pairs.append((sources[:, None] * n_chips + chips[None, :]).ravel())
        bit_parts.append(np.tile(bits, sources.size))
    pair, bits = _or_by_key(np.concatenate(pairs), np.concatenate(bit_parts))
    n_cores = placement.processor.size
    src = pair // n_chips
    tchip = pair % n_chips
    tgt_ptr = np.searchsorted(src, np.arange(n_cores + 1))
    core_order = np.lexsort((np.arange(n_cores), chip_idx))
    trees = _trees(machine.width, height, machine.wrap, machine.present, chip_idx,
                   core_order, tgt_ptr, tchip, bits)
    t_core, t_chip, t_route, t_travel, t_parent = trees
    removable = (t_travel >= 0) & (t_route == (np.int64(1) << np.maximum(t_travel, 0)))
    keep = ~removable
    c_chip, c_key, c_mask, c_route = _compress(t_chip[keep], base[t_core[keep]],
                                               mask[t_core[keep]], t_route[keep])
    tables = RoutingTables(base, mask, t_core, t_chip, t_route, t_travel, t_parent,
                           c_chip, c_key, c_mask, c_route, height)
    for (x, y), n in tables.entries_per_chip().items():
        if n > mc.ROUTER_ENTRIES:
            raise MappingError("router entries", n, mc.ROUTER_ENTRIES, f"chip ({x}, {y})",
                               "after default-route removal and merging of same-route keys")
    return tables


def trace_packet(machine: mc.Machine, tables: RoutingTables, chip: tuple[int, int],
                 key: int) -> set[tuple[int, int, int]]:
    """(x, y, p) of every processor a packet with ``key`` sent from ``chip`` reaches,
    following the compressed tables and default routes as the hardware router does."""
    height = machine.height
    by_chip = tables.by_chip()
    reached = set()
    todo = [(chip[0] * height + chip[1], -1)]
    visited = set()
    while todo:
        node, arrived = todo.pop()
        if (node, arrived) in visited:
            raise RuntimeError(f"routing loop at chip {divmod(node, height)} for key {key}")
        visited.add((node, arrived))
        hits = [r for k, m, r in by_chip.get(node, []) if key & m == k]
        if len(hits) > 1:
            raise RuntimeError(f"key {key} matches {len(hits)} entries on chip "
                               f"{divmod(node, height)}")
        if hits:
            route = hits[0]
        elif arrived >= 0:
            route = 1 << arrived            # default route: straight on
        else:
            continue                         # no entry at the source: nothing sent
        x, y = divmod(node, height)
        for p in range(mc.CORES_PER_CHIP):
            if route >> (N_LINKS + p) & 1:
                reached.add((x, y, p))
        for link in range(N_LINKS):
            if route >> link & 1:
                nb = _neighbour(x, y, link, machine.width, height, machine.wrap,
                                machine.present)
                if nb < 0:
                    raise RuntimeError(f"route out of chip ({x}, {y}) on missing link {link}")
                todo.append((nb, link))
    return reached
