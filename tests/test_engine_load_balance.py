"""Sharing a tick's cores out between threads (``neuroemu.engine.load_balance``,
``neuroemu.engine.cycles``).

Rule: the cores are dealt out in order, each to the group with the least cost so far (ties:
fewer cores, then lower group), so neighbouring cores of equal cost alternate between
threads; the groups cover every core exactly once, each group's list is ascending, and no
group costs more than the least loaded one plus the largest single item.
A group's work timed as a whole (routing, which adds the group's synaptic rows) is
charged to its items in proportion to their weight (words added), equally when none has
weight, and nothing is lost but the rounding down of each share.
Results of the machine loop do not depend on the grouping (checked end to end in
``test_spinnaker_determinism.py``, whose 2-thread run regroups twice).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from neuroemu.engine.cycles import cycle_counter
from neuroemu.engine.load_balance import deal_groups, initial_groups, spread_group_cycles


@settings(max_examples=300, deadline=None)
@given(cost=st.lists(st.integers(0, 10**9), min_size=1, max_size=400),
       n_groups=st.integers(1, 8))
def test_groups_cover_everything_once_and_are_balanced(cost, n_groups):
    cost = np.array(cost, dtype=np.int64)
    owner, members, group_ptr = initial_groups(cost, n_groups)
    assert group_ptr[0] == 0 and group_ptr[-1] == cost.size
    assert sorted(members.tolist()) == list(range(cost.size))
    totals = []
    for g in range(n_groups):
        mine = members[group_ptr[g]:group_ptr[g + 1]]
        assert np.all(np.diff(mine) > 0)
        assert np.all(owner[mine] == g)
        totals.append(int(cost[mine].sum()))
    assert max(totals) - min(totals) <= int(cost.max())


def test_equal_costs_alternate():
    """700 items of one cost in 2 groups: every other item, 350 each; regrouping in place
    deals the nine-cycle items first in turn, then the one-cycle items."""
    owner, members, group_ptr = initial_groups(np.ones(700, dtype=np.int64), 2)
    assert owner.tolist() == [0, 1] * 350
    assert group_ptr.tolist() == [0, 350, 700]
    assert members[:3].tolist() == [0, 2, 4]
    cost = np.r_[np.full(100, 9), np.ones(600)].astype(np.int64)
    deal_groups(cost, 2, owner, members, group_ptr)
    assert owner.tolist() == [0, 1] * 350
    assert [int(cost[owner == g].sum()) for g in (0, 1)] == [750, 750]


def test_without_costs_the_items_go_round_in_turn():
    """No cycle counter (all zero): item i to group i mod n_groups."""
    owner, _, group_ptr = initial_groups(np.zeros(10, dtype=np.int64), 3)
    assert owner.tolist() == [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]
    assert group_ptr.tolist() == [0, 4, 7, 10]


def test_a_heavy_item_gets_a_group_to_itself():
    """Costs 10, 1, 1, 1, 1, 1 in 2 groups: the first group keeps the heavy item alone."""
    owner, _, _ = initial_groups(np.array([10, 1, 1, 1, 1, 1], dtype=np.int64), 2)
    assert owner.tolist() == [0, 1, 1, 1, 1, 1]


@njit
def _two_readings():
    a = cycle_counter()
    s = 0
    for i in range(100000):
        s += i * i
    return a, cycle_counter(), s


def test_the_cycle_counter_does_not_go_backwards():
    first, second, _ = _two_readings()
    assert second >= first


@settings(max_examples=200, deadline=None)
@given(weight=st.lists(st.integers(0, 10**6), min_size=1, max_size=60),
       group_cycles=st.lists(st.integers(0, 10**12), min_size=1, max_size=4), data=st.data())
def test_group_cycles_are_charged_by_weight(weight, group_cycles, data):
    n, n_groups = len(weight), len(group_cycles)
    owner = np.array(data.draw(st.lists(st.integers(0, n_groups - 1), min_size=n,
                                        max_size=n)), dtype=np.int64)
    weight = np.array(weight, dtype=np.int64)
    cycles = np.zeros(n, dtype=np.int64)
    spread_group_cycles(cycles, weight, np.array(group_cycles, dtype=np.int64), owner)
    for g, spent in enumerate(group_cycles):
        mine = owner == g
        if not mine.any():
            continue
        w = weight[mine]
        share = (w / w.sum() if w.sum() > 0 else np.full(w.size, 1 / w.size)) * spent
        assert np.all(np.abs(cycles[mine] - share) <= 1 + 1e-9 * spent)
        assert spent - w.size <= cycles[mine].sum() <= spent


def test_group_cycles_example():
    """1000 cycles over items weighted 1:3 and 500 over two items without weight."""
    cycles = np.array([5, 0, 0, 0], dtype=np.int64)
    spread_group_cycles(cycles, np.array([1, 3, 0, 0]), np.array([1000, 500]),
                        np.array([0, 0, 1, 1]))
    assert cycles.tolist() == [255, 750, 250, 250]
