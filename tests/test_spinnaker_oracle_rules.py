"""Ring-buffer shift rules of sPyNNaker 7.4.1 found with its virtual mode (the oracle).

Expected numbers are what sPyNNaker 7.4.1 computed in virtual-board mode for the same
scripts (``pop._vertex.get_ring_buffer_shifts()``, run by benchmarks/oracle_spynnaker.py):

* Poisson sources do not raise the shift: the projection's pre vertex is the application
  vertex, which is not ``AbstractMaxSpikes``, so every source counts as
  ``max(1, spikes_per_second / steps_per_second)`` spikes per tick. 10 Poisson sources at
  10 Hz ... 5 kHz, AllToAll weight 0.5 -> max_w = 5 -> shifts [3, 0] at every rate.
* FixedProbabilityConnector's max in-degree uses chance 1/10000:
  binom.ppf(1 - 1e-4/10000, 100, 0.3) = 57; weight 1.15 -> 65.55 -> shift 7.
* ``additional_parameters`` spikes_per_second=100 and ring_buffer_sigma=3 are used by the
  statistical bound: 200 Poisson -> 30 cells, p 0.5, w 0.2, random delays -> [3, 0]
  (the defaults 30 Hz / sigma 5 give [2, 0] for the same projection).
* Live check: set NEUROEMU_SPYNNAKER_PYTHON to a sPyNNaker 7.4.1 venv's python to
  compare every case of benchmarks/oracle_spynnaker.py live.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pyNN.neuroemu_spinnaker as sim
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyNN.random import NumpyRNG

from neuroemu.spinnaker import mapping


def _shifts(pop):
    return list(sim.simulator.state.toolchain.mapping.layout(pop).shifts)


@pytest.mark.parametrize("rate", [0.5, 10.0, 100.0, 1000.0, 5000.0])
def test_poisson_rate_does_not_change_the_shift(rate):
    sim.setup(timestep=1.0)
    src = sim.Population(10, sim.SpikeSourcePoisson(rate=rate))
    post = sim.Population(20, sim.IF_curr_exp())
    sim.Projection(src, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5, delay=1))
    assert _shifts(post) == [3, 0]
    sim.end()


def test_fixed_probability_in_degree_uses_chance_one_in_ten_thousand():
    assert mapping.probable_maximum_selected(10000, 100, 0.3,
                                             mapping.FIXED_PROBABILITY_CHANCE) == 57
    sim.setup(timestep=1.0)
    pre = sim.Population(100, sim.IF_curr_exp())
    post = sim.Population(100, sim.IF_curr_exp())
    sim.Projection(pre, post, sim.FixedProbabilityConnector(0.3),
                   sim.StaticSynapse(weight=1.15, delay=3.0))
    assert _shifts(post) == [7, 0]
    sim.end()


@pytest.mark.parametrize("extra,expected", [({}, [2, 0]),
                                            ({"spikes_per_second": 100.0,
                                              "ring_buffer_sigma": 3.0}, [3, 0])])
def test_population_spike_rate_and_sigma_feed_the_bound(extra, expected):
    sim.setup(timestep=1.0)
    src = sim.Population(200, sim.SpikeSourcePoisson(rate=20.0))
    post = sim.Population(30, sim.IF_curr_exp(), additional_parameters=extra)
    delays = sim.RandomDistribution("uniform", (1.0, 8.0))
    sim.Projection(src, post, sim.FixedProbabilityConnector(0.5),
                   sim.StaticSynapse(weight=0.2, delay=delays))
    assert _shifts(post) == expected
    sim.end()


def test_uniform_distribution_moments_are_analytic():
    dist = sim.RandomDistribution("uniform", (1.0, 12.0))
    mean, var = mapping.parameter_moments(dist, np.array([5.0]))
    assert mean == pytest.approx(6.5) and var == pytest.approx(11.0**2 / 12)
    assert mapping.parameter_moments(-0.3, np.array([-0.3])) == (0.3, 0.0)


@settings(max_examples=30, deadline=None)
@given(groups=st.lists(st.lists(st.floats(-10, 10), min_size=2, max_size=20), min_size=1,
                       max_size=5))
def test_combined_group_statistics_equal_those_of_the_union(groups):
    items = [(float(np.mean(g)), float(np.var(g, ddof=1)), len(g)) for g in groups]
    mean, var, n = mapping.combine_stats(items)
    union = np.concatenate(groups)
    assert n == union.size
    assert mean == pytest.approx(float(union.mean()), abs=1e-9)
    assert var == pytest.approx(float(np.var(union, ddof=1)), rel=1e-7, abs=1e-9)


ORACLE_PYTHON = os.environ.get("NEUROEMU_SPYNNAKER_PYTHON")


@pytest.mark.slow
@pytest.mark.skipif(not ORACLE_PYTHON, reason="set NEUROEMU_SPYNNAKER_PYTHON to the python "
                                              "of a sPyNNaker 7.4.1 venv to run the oracle")
def test_oracle_spynnaker_virtual_mode_agrees():
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "oracle_spynnaker.py"
    spec = importlib.util.spec_from_file_location("oracle_spynnaker", path)
    oracle = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(oracle)
    rows = oracle.compare(ORACLE_PYTHON)
    assert len(rows) >= 20
    assert [r for r in rows if r[1] != r[2]] == []


@pytest.mark.parametrize("n,bound", [(8000, (150, 27)), (80000, (157, 13)),
                                     (800000, (164, 164))])
def test_fixed_number_pre_row_bound_saturates_for_huge_populations(n, bound):
    """sPyNNaker 7.4.1's FixedNumberPre row bound (80 of n sources onto n targets, a
    256-atom slice), computed with its own ``get_probable_maximum_selected`` in the 7.4.1
    venv: at n = 800k, ``1 - 1e-5 / n**2`` rounds to 1.0 and the slice bound becomes the
    whole per-source total, so each core reserves rows of 164 synapses."""
    total = mapping.probable_maximum_selected(n * n, 80 * n, 1.0 / n, 1.0 / 10000.0)
    in_slice = mapping.probable_maximum_selected(n * n, int(total), 256 / n, 1.0 / 100000.0)
    assert (total, in_slice) == bound


@pytest.mark.parametrize(("n", "n_pre", "n_post", "atoms"), [
    (50000, 1000, 2000, 256), (300, 1000, 2000, 256), (10**6, 400, 400, 255)])
def test_fixed_total_number_row_bound_is_the_multapse_rule(n, n_pre, n_post, atoms):
    """sPyNNaker 7.4.1 ``MultapseConnector.get_n_connections_from_pre_vertex_maximum``: of
    ``n`` connections, the binomial bound (chance 1/100 over ``n`` trials) of those falling
    in a slice of ``atoms`` targets (at least 1), then of those falling in one source's row
    (probability 1 / n_pre, at least 1), rounded up."""
    from scipy.stats import binom

    from neuroemu.spinnaker.synaptic_matrix import _connector_bound

    sim.setup(timestep=1.0)
    pre = sim.Population(n_pre, sim.IF_curr_exp())
    post = sim.Population(n_post, sim.IF_curr_exp())
    proj = sim.Projection(pre, post, sim.FixedTotalNumberConnector(n, rng=NumpyRNG(1)),
                          sim.StaticSynapse(weight=0.1, delay=1.0))
    prob = 1.0 - 0.01 / n
    in_slice = max(binom.ppf(prob, n, min(atoms / n_post, 1.0)), 1.0)
    expected = int(np.ceil(max(binom.ppf(prob, int(in_slice), 1.0 / n_pre), 1.0)))
    assert _connector_bound(proj, atoms) == expected
    sim.end()


@pytest.mark.parametrize(("n", "n_post"), [(45_000, 2068), (1, 10), (1_000_000, 500)])
def test_fixed_total_number_in_degree_bound_is_the_multapse_rule(n, n_post):
    """sPyNNaker 7.4.1 ``MultapseConnector.get_n_connections_to_post_vertex_maximum``, the
    in-degree the ring-buffer shift is sized for: the binomial bound (chance 1/100 over
    ``n`` trials) of the ``n`` connections landing on one target (probability 1 / n_post)."""
    from scipy.stats import binom

    from neuroemu.spinnaker.program import Mapping

    sim.setup(timestep=1.0)
    pre = sim.Population(300, sim.IF_curr_exp())
    post = sim.Population(n_post, sim.IF_curr_exp())
    proj = sim.Projection(pre, post, sim.FixedTotalNumberConnector(n, rng=NumpyRNG(1)),
                          sim.StaticSynapse(weight=0.1, delay=1.0))
    m = sim.simulator.state.toolchain.mapping
    assert isinstance(m, Mapping)
    expected = int(binom.ppf(1.0 - 0.01 / n, n, 1.0 / n_post))
    assert m._max_in_degree(proj, m.projections[id(proj)]) == expected
    sim.end()
