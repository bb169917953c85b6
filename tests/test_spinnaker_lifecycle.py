"""Run / reset life cycle as on the machine (guidebook 6.2.1, sPyNNaker 7.4.1):

* run() may be called several times, the state carries over;
* reset() then run() starts again from time 0 (rings flushed, Poisson reseeded, v initial);
* SpikeSourceArray spike times (and Poisson rates) may change between runs;
* Populations and Projections may be added after reset(), not between two runs;
* weights, delays and neuron parameters may not change between a run and a reset.
Each reset starts a new neo Segment, as PyNN does.
"""

from __future__ import annotations

import numpy as np
import pyNN.neuroemu_spinnaker as sim
import pytest


def _network():
    sim.setup(timestep=1.0)
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[[5.0, 30.0], [12.0]]),
                         label="src")
    noise = sim.Population(5, sim.SpikeSourcePoisson(rate=200.0), label="noise",
                           additional_parameters={"seed": 3})
    pop = sim.Population(3, sim.IF_curr_exp(), label="pop")
    proj = sim.Projection(src, pop, sim.AllToAllConnector(),
                          sim.StaticSynapse(weight=3.0, delay=2.0))
    sim.Projection(noise, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5))
    pop.record(["spikes", "v"])
    return src, pop, proj


def _v(pop, segment=-1):
    return np.asarray(pop.get_data().segments[segment].filter(name="v")[0])


def test_spike_times_changed_between_runs_take_effect():
    src, pop, _ = _network()
    sim.run(20.0)
    src[0:1].set(spike_times=[25.0])  # a new spike of source 0 after the first run
    src.set(spike_times=[[25.0], [26.0]])
    sim.run(20.0)
    v = _v(pop)
    sim.end()
    src2, pop2, _ = _network()
    src2.set(spike_times=[[5.0, 25.0], [12.0, 26.0]])
    sim.run(40.0)
    np.testing.assert_array_equal(v, _v(pop2))
    sim.end()


def test_reset_starts_new_segment_and_reproduces():
    _, pop, _ = _network()
    sim.run(40.0)
    sim.reset()
    sim.run(40.0)
    block = pop.get_data()
    assert len(block.segments) == 2
    np.testing.assert_array_equal(_v(pop, 0), _v(pop, 1))
    assert sim.get_current_time() == 40.0
    sim.end()


def test_runs_without_reset_extend_one_segment():
    _, pop, _ = _network()
    sim.run(10.0)
    sim.run(15.0)
    block = pop.get_data()
    assert len(block.segments) == 1
    assert _v(pop).shape[0] == 25
    sim.end()


def test_add_population_and_projection_after_reset():
    src, _pop, _ = _network()
    sim.run(10.0)
    sim.reset()
    extra = sim.Population(2, sim.Izhikevich(), label="extra")
    sim.Projection(src, extra, sim.OneToOneConnector(), sim.StaticSynapse(weight=5.0))
    extra.record("v")
    sim.run(10.0)
    assert _v(extra).shape == (10, 2)
    sim.end()


@pytest.mark.parametrize("change", ["population", "projection", "weight", "delay",
                                    "neuron parameter", "initial value"])
def test_forbidden_changes_between_runs(change):
    """Each raises NotImplementedError (UnsupportedFeatureError) naming reset()."""
    src, pop, proj = _network()
    sim.run(10.0)
    actions = {
        "population": lambda: sim.Population(1, sim.IF_curr_exp()),
        "projection": lambda: sim.Projection(src, pop, sim.OneToOneConnector()),
        "weight": lambda: proj.set(weight=1.0),
        "delay": lambda: proj.set(delay=3.0),
        "neuron parameter": lambda: pop.set(tau_m=10.0),
        "initial value": lambda: pop.initialize(v=-60.0),
    }
    with pytest.raises(NotImplementedError, match="reset"):
        actions[change]()
    sim.end()


def test_changes_allowed_after_reset():
    _, pop, proj = _network()
    sim.run(10.0)
    sim.reset()
    proj.set(weight=1.0)
    pop.set(tau_m=10.0)
    sim.run(10.0)
    np.testing.assert_allclose(proj.get("weight", format="array"), 1.0, atol=1e-3)
    assert np.all(pop.get("tau_m") == 10.0)
    sim.end()
