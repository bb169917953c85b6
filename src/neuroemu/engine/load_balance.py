"""Groups of work items with about equal cost, one group per thread, dealt out in turn.

The machine loop runs a tick's cores in parallel threads, one group of cores each. Cores
differ a lot in cost (a neuron core receiving many rows, a Poisson core drawing for 500
sources, a delay-extension core that is mostly idle), so equal *numbers* of cores leave one
thread waiting for the other; the loop measures each core's cycles
(:mod:`neuroemu.engine.cycles`) and regroups. The groups are dealt out item by item in
order, each item to the group with the least cost so far, so neighbouring cores land in
different groups: a spike's rows go to cores next to each other (one target population),
and contiguous groups made one thread route most of a tick's rows (full microcircuit:
rows per tick 11.6 % above the mean for the busier of two contiguous halves, 0.4 %
interleaved). The grouping changes which thread runs a core, never its result.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def deal_groups(cost, n_groups, owner, members, group_ptr):
    """Deal items ``0 .. cost.size - 1`` out to ``n_groups`` groups in order, each to the
    group with the least total ``cost`` (non-negative) so far, ties to the one with fewer
    items, then the lower index: ``owner[i]`` is item i's group, and group g's items
    (ascending) are ``members[group_ptr[g]:group_ptr[g + 1]]``. No group ends more than the
    largest item above the least loaded one; without any cost (all zero: e.g. no cycle
    counter) the items go round in turn."""
    total = np.zeros(n_groups, dtype=np.float64)
    count = np.zeros(n_groups, dtype=np.int64)
    for i in range(cost.size):
        best = 0
        for g in range(1, n_groups):
            if total[g] < total[best] or (total[g] == total[best] and count[g] < count[best]):
                best = g
        owner[i] = best
        total[best] += cost[i]
        count[best] += 1
    group_ptr[0] = 0
    for g in range(n_groups):
        group_ptr[g + 1] = group_ptr[g] + count[g]
    fill = group_ptr[:n_groups].copy()
    for i in range(cost.size):
        members[fill[owner[i]]] = i
        fill[owner[i]] += 1


@njit(cache=True)
def initial_groups(cost, n_groups):
    """:func:`deal_groups` into new arrays ``(owner, members, group_ptr)``."""
    owner = np.zeros(cost.size, dtype=np.int64)
    members = np.zeros(cost.size, dtype=np.int64)
    group_ptr = np.zeros(n_groups + 1, dtype=np.int64)
    deal_groups(cost, n_groups, owner, members, group_ptr)
    return owner, members, group_ptr


@njit(cache=True)
def spread_group_cycles(cycles, weight, group_cycles, owner):
    """Add each group's ``group_cycles[g]`` (work done for its items as a whole, e.g. the
    routing that adds their synaptic rows, timed once per tick rather than per item) to
    the ``cycles`` of its items (``owner[i] == g``) in proportion to their ``weight``
    (e.g. words added); a group without weight spreads it equally."""
    n_groups = group_cycles.size
    total = np.zeros(n_groups, dtype=np.int64)
    count = np.zeros(n_groups, dtype=np.int64)
    for i in range(owner.size):
        total[owner[i]] += weight[i]
        count[owner[i]] += 1
    for i in range(owner.size):
        g = owner[i]
        if total[g] > 0:
            cycles[i] += np.int64(group_cycles[g] * (weight[i] / total[g]))
        else:
            cycles[i] += group_cycles[g] // count[g]
