"""Contiguous groups of work items with about equal cost, one group per thread.

The machine loop runs a tick's cores in parallel threads, each thread a contiguous range of
cores. Cores differ a lot in cost (a neuron core receiving many rows, a Poisson core drawing
for 500 sources, a delay-extension core that is mostly idle), so equal *numbers* of cores
leave one thread waiting for the other; the loop measures each core's cycles
(:mod:`neuroemu.engine.cycles`) and regroups. The grouping changes which thread runs a core,
never its result.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def balanced_bounds(cost, n_groups, bounds):
    """Write into ``bounds`` (n_groups + 1 entries) the cut points that split items
    ``0 .. cost.size - 1`` into ``n_groups`` contiguous groups of about equal total
    ``cost`` (non-negative): group g is ``[bounds[g], bounds[g + 1])``; cut g is placed
    before or after the item whose prefix sum reaches ``g / n_groups`` of the total,
    whichever leaves the prefix nearer that share. Without any
    cost (all zero: e.g. no cycle counter) the groups hold equal numbers of items."""
    n = cost.size
    total = 0.0
    for i in range(n):
        total += cost[i]
    bounds[0] = 0
    bounds[n_groups] = n
    if total <= 0.0:
        for g in range(1, n_groups):
            bounds[g] = g * n // n_groups
        return
    g = 1
    acc = 0.0
    for i in range(n):
        acc += cost[i]
        while g < n_groups and acc * n_groups >= g * total:
            target = g * total / n_groups
            before = acc - cost[i]
            cut = i if target - before < acc - target else i + 1
            bounds[g] = max(cut, bounds[g - 1])
            g += 1
    while g < n_groups:
        bounds[g] = n
        g += 1


@njit(cache=True)
def initial_bounds(cost, n_groups):
    """:func:`balanced_bounds` into a new array."""
    bounds = np.zeros(n_groups + 1, dtype=np.int64)
    balanced_bounds(cost, n_groups, bounds)
    return bounds


@njit(cache=True)
def spread_group_cycles(cycles, weight, group_cycles, bounds):
    """Add each group's ``group_cycles[g]`` (work done for its items as a whole, e.g. the
    routing that adds their synaptic rows, timed once per tick rather than per item) to
    the ``cycles`` of its items ``[bounds[g], bounds[g + 1])`` in proportion to their
    ``weight`` (e.g. words added); a group without weight spreads it equally."""
    for g in range(group_cycles.size):
        lo, hi = bounds[g], bounds[g + 1]
        if hi <= lo:
            continue
        total = 0
        for i in range(lo, hi):
            total += weight[i]
        for i in range(lo, hi):
            if total > 0:
                cycles[i] += np.int64(group_cycles[g] * (weight[i] / total))
            else:
                cycles[i] += group_cycles[g] // (hi - lo)
