"""Sharing a tick's cores out between threads (``neuroemu.engine.load_balance``,
``neuroemu.engine.cycles``).

Rule: each thread runs one contiguous group of cores; the groups cover every core exactly
once, in order, and their costs are as equal as contiguous cuts allow: no group costs more
than an equal share plus the largest single item (a cut can only fall between items).
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
from neuroemu.engine.load_balance import balanced_bounds, initial_bounds, spread_group_cycles


@settings(max_examples=300, deadline=None)
@given(cost=st.lists(st.integers(0, 10**9), min_size=1, max_size=400),
       n_groups=st.integers(1, 8))
def test_groups_are_contiguous_cover_everything_and_are_balanced(cost, n_groups):
    cost = np.array(cost, dtype=np.int64)
    bounds = initial_bounds(cost, n_groups)
    assert bounds[0] == 0 and bounds[-1] == cost.size
    assert np.all(np.diff(bounds) >= 0)
    total = int(cost.sum())
    for g in range(n_groups):
        group = int(cost[bounds[g]:bounds[g + 1]].sum())
        assert group <= total / n_groups + int(cost.max()) + 1e-9 * total


def test_equal_costs_give_equal_groups():
    """700 items of one cost in 2 groups: 350 each; rebalancing in place keeps the array."""
    bounds = initial_bounds(np.ones(700, dtype=np.int64), 2)
    assert bounds.tolist() == [0, 350, 700]
    balanced_bounds(np.r_[np.full(100, 9), np.ones(600)].astype(np.int64), 2, bounds)
    assert bounds.tolist() == [0, 83, 700]  # 9 * 83 = 747 of the total 1500, nearest half


def test_without_costs_the_groups_hold_equal_numbers_of_items():
    """No cycle counter (all zero): equal numbers of items, g * n // n_groups."""
    assert initial_bounds(np.zeros(10, dtype=np.int64), 3).tolist() == [0, 3, 6, 10]


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
    cuts = sorted(data.draw(st.lists(st.integers(0, n), min_size=n_groups - 1,
                                     max_size=n_groups - 1)))
    bounds = np.array([0] + cuts + [n], dtype=np.int64)
    weight = np.array(weight, dtype=np.int64)
    cycles = np.zeros(n, dtype=np.int64)
    spread_group_cycles(cycles, weight, np.array(group_cycles, dtype=np.int64), bounds)
    for g, spent in enumerate(group_cycles):
        lo, hi = bounds[g], bounds[g + 1]
        if hi == lo:
            continue
        w = weight[lo:hi]
        share = (w / w.sum() if w.sum() > 0 else np.full(hi - lo, 1 / (hi - lo))) * spent
        assert np.all(np.abs(cycles[lo:hi] - share) <= 1 + 1e-9 * spent)
        assert spent - (hi - lo) <= cycles[lo:hi].sum() <= spent


def test_group_cycles_example():
    """1000 cycles over items weighted 1:3 and 500 over two items without weight."""
    cycles = np.array([5, 0, 0, 0], dtype=np.int64)
    spread_group_cycles(cycles, np.array([1, 3, 0, 0]), np.array([1000, 500]),
                        np.array([0, 2, 4]))
    assert cycles.tolist() == [255, 750, 250, 250]
