"""Recording rules of sPyNNaker 7.4.1 that PyNN's own Recorder does not have.

* Each state variable of a population has its own sampling interval (sPyNNaker's
  ``NeuronRecorder`` keeps one rate per variable), e.g. v every 2 ms and gsyn every 3 ms.
* An interval must be a whole multiple of the time step, rate = interval / dt at most
  2**32 - 1 (``NeuronRecorder.MAX_RATE``, the rate is a uint32); otherwise ValueError.
* A sample is taken in tick t when t % rate == 0 (sPyNNaker's recording of the 20_17 test:
  the rows of the full-rate file at t % 2 == 0 / t % 3 == 0, see
  /work/shared/data/spinnaker-hardware/README.md "Tolerances").
"""

from __future__ import annotations

import numpy as np
import pyNN.neuroemu_spinnaker as sim
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


def _driven_population(n: int = 4, dt: float = 1.0):
    sim.setup(timestep=dt)
    pop = sim.Population(n, sim.IF_curr_exp(i_offset=0.3, tau_refrac=2.0), label="driven")
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0, 4.0, 9.0]), label="src")
    sim.Projection(src, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=1.5, delay=1.0))
    return pop


def _sig(block, name):
    return block.segments[0].filter(name=name)[0]


def test_each_variable_has_its_own_sampling_period():
    pop = _driven_population()
    pop.record("v", sampling_interval=2.0)
    pop.record(["gsyn_exc", "gsyn_inh"], sampling_interval=3.0)
    pop.record("spikes")
    sim.run(20.0)
    data = pop.get_data()
    sim.end()
    v, ge, gi = (_sig(data, name) for name in ("v", "gsyn_exc", "gsyn_inh"))
    assert float(v.sampling_period.rescale("ms")) == 2.0
    assert float(ge.sampling_period.rescale("ms")) == 3.0
    assert float(gi.sampling_period.rescale("ms")) == 3.0
    # ticks 0..19: multiples of 2 -> 10 samples, of 3 -> 7 samples (0, 3, ..., 18)
    assert np.array_equal(v.times.rescale("ms").magnitude, np.arange(0, 20, 2))
    assert np.array_equal(ge.times.rescale("ms").magnitude, np.arange(0, 20, 3))
    assert v.shape == (10, 4) and ge.shape == (7, 4)


@settings(max_examples=8, deadline=None)
@given(v_every=st.integers(1, 6), g_every=st.integers(1, 6), first=st.integers(1, 12),
       second=st.integers(1, 12))
def test_sampled_values_are_the_full_rate_values_at_multiples(v_every, g_every, first,
                                                              second):
    """Over two runs, a variable sampled every k ticks holds exactly the full-rate trace
    at the ticks t with t % k == 0 (the sampling is phase-locked to t = 0, not to the run)."""
    def trace(v_k, g_k):
        pop = _driven_population()
        pop.record("v", sampling_interval=float(v_k))
        pop.record("gsyn_exc", sampling_interval=float(g_k))
        sim.run(float(first))
        sim.run(float(second))
        data = pop.get_data()
        sim.end()
        return _sig(data, "v"), _sig(data, "gsyn_exc")
    v_full, g_full = trace(1, 1)
    v, g = trace(v_every, g_every)
    ticks = np.arange(first + second)
    assert np.array_equal(v.magnitude, v_full.magnitude[ticks % v_every == 0])
    assert np.array_equal(g.magnitude, g_full.magnitude[ticks % g_every == 0])
    assert np.array_equal(v.times.magnitude, ticks[ticks % v_every == 0])


@pytest.mark.parametrize("interval", [1.5, 0.5, 0.0, -2.0, 2.0**32])
def test_interval_not_a_multiple_of_dt_is_refused(interval):
    pop = _driven_population()
    with pytest.raises(ValueError, match="sampling_interval"):
        pop.record("v", sampling_interval=interval)
    sim.end()


def test_interval_multiple_of_fractional_dt_is_accepted():
    pop = _driven_population(dt=0.1)
    pop.record("v", sampling_interval=0.3)
    sim.run(3.0)
    v = _sig(pop.get_data(), "v")
    sim.end()
    assert v.shape[0] == 10  # ticks 0..29, every third
    assert np.allclose(float(v.sampling_period.rescale("ms")), 0.3)


def test_changing_interval_for_part_of_the_recorded_cells_is_refused():
    pop = _driven_population()
    pop.record("v", sampling_interval=2.0)
    with pytest.raises(ValueError, match="already recorded every 2.0 ms"):
        pop[0:2].record("v", sampling_interval=3.0)
    sim.end()


def test_changing_interval_for_all_recorded_cells_replaces_it():
    pop = _driven_population()
    pop[0:2].record("v", sampling_interval=2.0)
    pop.record("v", sampling_interval=4.0)
    sim.run(8.0)
    v = _sig(pop.get_data(), "v")
    sim.end()
    assert float(v.sampling_period.rescale("ms")) == 4.0
    assert np.array_equal(v.times.magnitude, [0.0, 4.0])
