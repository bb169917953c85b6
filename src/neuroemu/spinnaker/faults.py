"""The packet-loss model of the machine loop's routing step (spec §3.4; the routing
step itself is :mod:`neuroemu.spinnaker.routing`).

By default the network is ideal: every packet reaches every core of its routing tree (the
real machine drops packets only under congestion, and its extra-monitor cores reinject
them). ``setup(packet_loss={...})`` switches on a fault model that follows each packet
through the routers of its multicast tree (chips in tree order, parents first):

* ``drop_probability``: chance that a router drops the packet (one draw per router);
* ``router_capacity``: packets a chip's router passes per tick; later ones are dropped;
* ``reinjection`` (default True, ``enable_reinjection``): the chip's extra monitor takes
  the dropped packet and re-injects it once; the retry faces the drop probability again
  (not the capacity, the monitor waits for a free router); if it fails the packet is lost;
* ``seed``: seed of the KISS64 stream of the draws (same seed => same losses).

A packet lost at a router is missing at every core below it in the tree. Counters:
``packets_dropped`` (router drops, before reinjection), ``packets_reinjected``,
``packets_lost`` and ``spikes_lost`` (spikes missing at target cores; a multi-spike
Poisson packet counts its spikes once per target core).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from neuroemu.engine.kiss64 import kiss64_next, kiss_seeds_for_slices

# counters of net_count
N_DROPPED, N_REINJECTED, N_LOST, N_SPIKES_LOST, N_COUNTERS = 0, 1, 2, 3, 4
# positions in the ``net`` tuple of the arrays the toolchain reads after a run
NET_COUNTS, NET_SENT, NET_RNG = 8, 9, 10
# columns of the fault configuration
F_ON, F_THRESHOLD, F_CAPACITY, F_REINJECT = 0, 1, 2, 3


@dataclass(frozen=True)
class PacketLoss:
    """The fault model's settings (see the module docstring)."""

    drop_probability: float = 0.0
    router_capacity: int | None = None
    reinjection: bool = True
    seed: int = 0

    @classmethod
    def from_setup(cls, value) -> PacketLoss | None:
        """``setup(packet_loss=...)``: None/False (ideal network) or a dict of settings."""
        if value is None or value is False:
            return None
        if not isinstance(value, dict):
            raise TypeError(f"setup(packet_loss={value!r}): expected None or a dict with keys "
                            "drop_probability, router_capacity, reinjection, seed")
        unknown = set(value) - {"drop_probability", "router_capacity", "reinjection", "seed"}
        if unknown:
            raise ValueError(f"setup(packet_loss=...): unknown keys {sorted(unknown)}; allowed: "
                             "drop_probability, router_capacity, reinjection, seed")
        p = float(value.get("drop_probability", 0.0))
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"setup(packet_loss=...): drop_probability={p} outside [0, 1]")
        cap = value.get("router_capacity")
        if cap is not None and int(cap) < 0:
            raise ValueError(f"setup(packet_loss=...): router_capacity={cap} must be >= 0 "
                             "packets per chip per tick")
        return cls(p, None if cap is None else int(cap), bool(value.get("reinjection", True)),
                   int(value.get("seed", 0)))

    def config(self) -> np.ndarray:
        """int64 array for the kernel: on, drop threshold (of 2^32), capacity, reinjection."""
        threshold = min(round(self.drop_probability * 2.0**32), 2**32)
        return np.array([1, threshold, -1 if self.router_capacity is None
                         else self.router_capacity, int(self.reinjection)], dtype=np.int64)


def ideal_network(core_of_key: np.ndarray, n_cores: int, n_entries: int) -> tuple:
    """Kernel arguments of an ideal network (no fault model; packets counted per core)."""
    return network_arrays(np.zeros(4, dtype=np.int64), core_of_key,
                          np.zeros(n_cores + 1, dtype=np.int64), np.zeros(0, dtype=np.int64),
                          np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64), 1,
                          0, n_cores)


def network_arrays(config, core_of_key, tree_ptr, tree_chip, tree_parent, route_node,
                   n_chips, seed, n_cores) -> tuple:
    """The tuple ``run_ticks`` takes as ``net`` (fixed order, all numpy arrays)."""
    return (config, core_of_key, tree_ptr, tree_chip, tree_parent, route_node,
            np.zeros(n_chips, dtype=np.int64),                    # router load this tick
            np.zeros((n_chips, 2), dtype=np.int64),              # per chip dropped, reinjected
            np.zeros(N_COUNTERS, dtype=np.int64),
            np.zeros(n_cores, dtype=np.int64),                    # packets sent per core
            kiss_seeds_for_slices(seed, 1)[0].copy(),
            np.zeros(max(1, int(np.max(np.diff(tree_ptr), initial=1))), dtype=np.bool_))


@njit(cache=True)
def router_passes(chip, config, load, per_chip, counts, rng):
    """Whether a packet gets through the router of ``chip`` this tick (capacity, drop draw,
    one reinjection), counting drops and reinjections."""
    dropped = False
    if config[F_CAPACITY] >= 0:
        if load[chip] >= config[F_CAPACITY]:
            dropped = True
        else:
            load[chip] += 1
    if not dropped and config[F_THRESHOLD] > 0:
        dropped = np.int64(kiss64_next(rng)) < config[F_THRESHOLD]
    if not dropped:
        return True
    counts[N_DROPPED] += 1
    per_chip[chip, 0] += 1
    if config[F_REINJECT]:
        counts[N_REINJECTED] += 1
        per_chip[chip, 1] += 1
        if config[F_THRESHOLD] == 0 or np.int64(kiss64_next(rng)) >= config[F_THRESHOLD]:
            return True
    counts[N_LOST] += 1
    return False
