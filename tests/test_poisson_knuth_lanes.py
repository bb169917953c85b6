"""Knuth's draws of several Poisson cores side by side (``knuth_lanes``) against the
pure-Python reading of the chip's loop.

Rule (spec spinnaker.md §4.1, fast regime): per core, one KISS64 stream; per source in atom
order ``p = 0xFFFFFFFF; p = (p * rng()) >> 32`` until ``p <= exp_minus_lambda``, the count is
the number of draws minus one. Drawing cores in lanes must give every core exactly the
counts and final KISS words of its own loop, whatever the other lanes do (different
numbers of sources, rates, a partly filled batch).
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from kiss_reference import M32, python_kiss_knuth
from numba import njit

from neuroemu.spinnaker.knuth_lanes import (
    LANE_ROWS,
    LANES,
    add_lane,
    draw_lanes,
    lane_thresholds,
)


@njit(cache=True)
def draw_cores(streams, first_atoms, n_sources, emls, kiss_state, counts):
    """All given cores in batches of LANES (the last one partly filled)."""
    lanes = np.zeros(LANE_ROWS * LANES, dtype=np.uint64)
    n_used = 0
    for j in range(streams.size):
        n_used = add_lane(lanes, n_used, streams[j], first_atoms[j], n_sources[j], emls[j],
                          kiss_state)
        if n_used == LANES:
            draw_lanes(lanes, n_used, counts, kiss_state)
            n_used = 0
    if n_used > 0:
        draw_lanes(lanes, n_used, counts, kiss_state)


def eml_bits(lam: float) -> int:
    return min(M32, math.floor(math.exp(-lam) * 2**32))


def check_against_reference(sizes, lambdas, seeds):
    n_cores = len(sizes)
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    emls = np.array([eml_bits(lam) for lam in lambdas], dtype=np.uint64)
    kiss = np.array(seeds, dtype=np.uint32).reshape(n_cores, 4)
    counts = np.full(int(sum(sizes)) + 1, -7, dtype=np.int32)  # -7: never written
    # the cores in a shuffled order of streams: lanes must not depend on their neighbours
    order = np.random.default_rng(n_cores).permutation(n_cores)
    before = kiss.copy()
    draw_cores(order.astype(np.int64), first[order], np.array(sizes, dtype=np.int64)[order],
               emls[order], kiss, counts)
    for core in range(n_cores):
        expected, state = python_kiss_knuth([int(w) for w in before[core]],
                                            [int(emls[core])] * sizes[core])
        got = counts[first[core]:first[core] + sizes[core]]
        assert got.tolist() == expected, f"core {core}"
        assert kiss[core].tolist() == state, f"core {core} KISS words"
    assert counts[-1] == -7, "a lane wrote past its sources"


def test_microcircuit_like_batch_matches_the_per_core_loop():
    """LANES + 3 cores (one full batch and a partial one of 3) of 500, 183, 65 and 334
    sources at the microcircuit's background lambdas 1.28 .. 2.32 per tick."""
    sizes = ([500, 500, 183, 500, 65, 500, 500, 334] * LANES)[:LANES + 3]
    lambdas = ([1.28, 1.28, 1.28, 1.76, 1.76, 2.0, 2.0, 2.32, 2.32, 1.6, 1.6] * LANES)[
        :LANES + 3]
    rng = np.random.default_rng(1)
    seeds = rng.integers(1, 2**32, size=4 * len(sizes)).tolist()
    check_against_reference(sizes, lambdas, seeds)


def test_lane_with_no_sources_keeps_its_state():
    """A core with no sources draws nothing: its KISS words stay as they were."""
    check_against_reference([0, 7, 0], [1.0, 1.0, 3.0], list(range(1, 13)))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.floats(0.01, 9.0),
                          st.lists(st.integers(1, M32), min_size=4, max_size=4)),
                min_size=1, max_size=2 * LANES + 3))
def test_lanes_equal_the_per_core_loop(cores):
    """Any mix of cores (0..40 sources, lambda 0.01..9, any KISS words) in any number of
    batches: per core the counts and KISS words of its own loop."""
    check_against_reference([n for n, _, _ in cores], [lam for _, lam, _ in cores],
                            [w for _, _, words in cores for w in words])


def test_lane_thresholds_take_only_cores_with_one_shared_nonzero_threshold():
    """Cores whose sources share one nonzero exp(-lambda) get it; mixed ones, ones with a
    source that draws nothing (exp(-lambda) == 0) and empty ones get 0 (scalar loop)."""
    bounds = np.array([0, 3, 5, 7, 7], dtype=np.int64)
    eml = np.array([9, 9, 9, 4, 5, 0, 0], dtype=np.uint32)
    assert lane_thresholds(bounds, eml).tolist() == [9, 0, 0, 0]
