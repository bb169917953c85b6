"""The atomic fetch-and-add that hands out work items to threads (engine/atomics.py).

Rule: every call returns the counter's previous value and adds to it atomically, so
threads taking items from one shared counter get each item exactly once and the counter
ends at the number of calls (times the increment), however the threads interleave.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit, prange

from neuroemu.engine.atomics import fetch_add


@njit(parallel=True, cache=True)
def _take_items(counter, taken, n_workers):
    for _ in prange(n_workers):
        while True:
            i = fetch_add(counter, 1, 1)
            if i >= taken.size:
                break
            taken[i] += 1


def test_threads_take_every_item_exactly_once():
    counter = np.zeros(3, dtype=np.int64)
    taken = np.zeros(200_000, dtype=np.int64)
    _take_items(counter, taken, 4)
    assert np.all(taken == 1)
    # each of the 4 workers made one call past the last item; the neighbours are untouched
    assert counter.tolist() == [0, taken.size + 4, 0]


@njit(cache=True)
def _adds(counter, steps):
    before = np.empty(steps.size, dtype=np.int64)
    for k in range(steps.size):
        before[k] = fetch_add(counter, 0, steps[k])
    return before


@settings(max_examples=50, deadline=None)
@given(st.integers(-2**40, 2**40), st.lists(st.integers(-1000, 1000), max_size=30))
def test_returns_the_value_before_the_addition(start, steps):
    counter = np.array([start], dtype=np.int64)
    before = _adds(counter, np.array(steps, dtype=np.int64))
    expected = start + np.concatenate(([0], np.cumsum(steps, dtype=np.int64)))
    assert before.tolist() == expected[:-1].tolist()
    assert counter[0] == expected[-1]
