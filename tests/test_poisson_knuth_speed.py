"""The branchless Knuth path (``knuth_core_tick``) against the
per-source reading of the chip's loop.

Rule (spec spinnaker.md §4.1, fast regime 0.01 <= rate_per_tick < 10): per source, in atom
order, ``p = 0xFFFFFFFF``; ``p = (p * rng()) >> 32`` until ``p <= exp_minus_lambda``; the
count is the number of draws minus one; ``exp_minus_lambda == 0`` draws nothing (count 0);
``rng()`` is the core's one KISS64 stream (§4.1). The fast functions must give exactly the
counts, return value (sources with count > 0) and final KISS state of that loop.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kiss_reference import M32, python_kiss_knuth

from neuroemu.spinnaker.poisson import (
    _fast_num_spikes,
    build_poisson_program,
    knuth_core_tick,
)


def per_source_core_tick(core, bounds, eml, kiss_state, counts):
    """Reference: one :func:`_fast_num_spikes` loop per source (sPyNNaker's
    ``poisson_dist_variate_exp_minus_lambda`` read per source)."""
    words = kiss_state[core].astype(np.uint64)
    n_spiking = 0
    for i in range(bounds[core], bounds[core + 1]):
        n, *new_words = _fast_num_spikes(np.uint64(eml[i]), *words)
        words = np.array(new_words, dtype=np.uint64)
        counts[i] = n
        n_spiking += n > 0
    kiss_state[core] = words
    return n_spiking


def eml_bits(lam: float) -> int:
    """floor(exp(-lambda) * 2^32), the u0.32 threshold (to within expk's rounding)."""
    return min(M32, math.floor(math.exp(-lam) * 2**32))


# -------------------------------------------------------------------------------------------
# explicit cases
# -------------------------------------------------------------------------------------------

def test_known_core_against_pure_python_knuth():
    """A 7-source core with mixed lambdas (0.05 .. 9), an eml == 0 source (no draw) and the
    largest eml (one draw, count 0): counts and state equal the pure-Python §4.1 loop,
    over 5 consecutive ticks; the return value counts the sources with count > 0."""
    eml = np.array([eml_bits(1.5), 0, eml_bits(0.05), M32, eml_bits(9.0), eml_bits(2.3),
                    eml_bits(1.5)], dtype=np.uint32)
    bounds = np.array([0, 7], dtype=np.int64)
    state = np.array([[123456789, 362436069, 521288629, 7654321]], dtype=np.uint32)
    py_state = state[0].tolist()
    for _ in range(5):
        counts = np.full(7, -1, dtype=np.int32)
        n = knuth_core_tick(0, bounds, eml, state, counts)
        expected, py_state = python_kiss_knuth(py_state, eml.tolist())
        assert counts.tolist() == expected
        assert state[0].tolist() == py_state
        assert n == sum(k > 0 for k in expected)
        assert counts[1] == 0 and counts[3] == 0  # eml 0 and eml 0xFFFFFFFF never spike


def test_product_equal_to_eml_stops():
    """The loop stops at ``p <= exp_minus_lambda`` (not ``<``): with eml set to the first
    draw's product, every tick's first source gets count 0 after exactly one draw, in a
    uniform core (eml in a register) and a mixed one (eml loaded per source)."""
    seed = [2463534242, 521288629, 88675123, 5783321]
    _, after_one = python_kiss_knuth(seed, [M32])  # one draw: p = (0xFFFFFFFF * u) >> 32
    u = (after_one[0] + after_one[1] + after_one[2]) & M32
    first_p = (M32 * u) >> 32
    for eml_list in ([first_p] * 3, [first_p, eml_bits(3.0), eml_bits(0.5)]):
        eml = np.array(eml_list, dtype=np.uint32)
        state = np.array([seed], dtype=np.uint32)
        counts = np.full(3, -1, dtype=np.int32)
        knuth_core_tick(0, np.array([0, 3], dtype=np.int64), eml, state, counts)
        expected, final = python_kiss_knuth(seed, eml_list)
        assert counts[0] == 0 and expected[0] == 0
        assert counts.tolist() == expected and state[0].tolist() == final


def test_uniform_core_against_pure_python_knuth():
    """500 sources of one rate (lambda 1.28, the microcircuit's L2/3E background: 1600 x
    8 Hz x 0.1 ms), as built by the host translation: equal to the pure-Python loop, and
    the mean count over 20 ticks is within 4 sigma of lambda."""
    prog = build_poisson_program(12800.0, 0.0, np.inf, 0.1, [0, 500], 3)
    assert np.all(prog.regime == 1)
    py_state = prog.kiss_state[0].tolist()
    total = 0
    for _ in range(20):
        counts = np.zeros(500, dtype=np.int32)
        knuth_core_tick(0, prog.slice_bounds, prog.exp_minus_lambda, prog.kiss_state, counts)
        expected, py_state = python_kiss_knuth(py_state, prog.exp_minus_lambda.tolist())
        assert counts.tolist() == expected
        total += int(counts.sum())
    assert prog.kiss_state[0].tolist() == py_state
    assert abs(total / 10000 - 1.28) < 4 * math.sqrt(1.28 / 10000)


# -------------------------------------------------------------------------------------------
# properties
# -------------------------------------------------------------------------------------------

u32 = st.integers(0, M32)
eml_value = st.one_of(
    st.just(0),  # draws nothing
    st.integers(M32 - 1000, M32),  # lambda ~ 0: one draw, count 0
    st.floats(0.01, 10.0).map(eml_bits),  # the fast regime's range of lambda
    u32,
)


@st.composite
def cores(draw):
    """Slice bounds of 1..3 cores of 1..600 sources and their eml array (per core either one
    shared value, the microcircuit case, or one value per source)."""
    sizes = draw(st.lists(st.integers(1, 600), min_size=1, max_size=3))
    parts = []
    for size in sizes:
        if draw(st.booleans()):
            parts.append(np.full(size, draw(eml_value), dtype=np.uint32))
        else:
            parts.append(np.array(draw(st.lists(eml_value, min_size=size, max_size=size)),
                                  dtype=np.uint32))
    bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    return bounds, np.concatenate(parts)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=cores(), seeds=st.lists(st.tuples(u32, u32, u32, u32), min_size=3, max_size=3),
       ticks=st.integers(1, 3))
def test_core_tick_equals_per_source_loop(data, seeds, ticks):
    """Any KISS state, any eml mix: every tick, each core's counts, return value and
    KISS state equal the per-source loop's; no count outside the core's slice is touched."""
    bounds, eml = data
    n_cores = bounds.shape[0] - 1
    got_state = np.array(seeds[:n_cores], dtype=np.uint32)
    ref_state = got_state.copy()
    for _ in range(ticks):
        for core in range(n_cores):
            got = np.full(eml.shape[0], -7, dtype=np.int32)
            ref = got.copy()
            n = knuth_core_tick(core, bounds, eml, got_state, got)
            assert n == per_source_core_tick(core, bounds, eml, ref_state, ref)
            np.testing.assert_array_equal(got, ref)
            np.testing.assert_array_equal(got_state, ref_state)


@pytest.mark.parametrize("lam", [0.01, 1.28, 2.32, 9.99])
def test_mean_count_is_lambda(lam):
    """Knuth's method gives Poisson(lambda) counts: over 2000 sources x 5 ticks the mean is
    within 4 standard errors of lambda (closed form: mean = variance = lambda)."""
    n, ticks = 2000, 5
    eml = np.full(n, eml_bits(lam), dtype=np.uint32)
    bounds = np.array([0, 1000, 2000], dtype=np.int64)
    state = np.array([[11, 22, 33, 44], [55, 66, 77, 88]], dtype=np.uint32)
    counts = np.zeros(n, dtype=np.int32)
    total = 0
    for _ in range(ticks):
        knuth_core_tick(0, bounds, eml, state, counts)
        knuth_core_tick(1, bounds, eml, state, counts)
        total += int(counts.sum())
    assert abs(total / (n * ticks) - lam) < 4 * math.sqrt(lam / (n * ticks))
