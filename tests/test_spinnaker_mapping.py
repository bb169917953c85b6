"""Host mapping rules of the SpiNNaker backend: partitioning, delay slots and extensions.

Sources: spec /work/shared/spec/spinnaker.md §3.1 (256 neurons per core by default, 500 per
Poisson core, ``set_number_of_neurons_per_core`` / ``neurons_per_core``; measured slices of
a 1000-neuron population), §3.2 (delay slots, delay extensions, 288 ms limit, measured
16/32/40/100/288/289 cases), §2 (host delays ``rint(delay/dt)``, half to even) and §1.3
(a spike at t with delay d is visible in v at t+d+1).
"""

from __future__ import annotations

import numpy as np
import pyNN.neuroemu_spinnaker as sim
import pytest

from neuroemu.errors import DelayExtensionException


def _layout(pop):
    return sim.simulator.state.toolchain.mapping.layout(pop)


# ---------------------------------------------------------------------------------------
# partitioning (§3.1)
# ---------------------------------------------------------------------------------------

def test_default_partition_1000_neurons():
    """§3.1 measured: a 1000-neuron IF_curr_exp splits as 0:255, 256:511, 512:767, 768:999."""
    sim.setup(timestep=1.0)
    pop = sim.Population(1000, sim.IF_curr_exp(), label="big")
    assert list(_layout(pop).bounds) == [0, 256, 512, 768, 1000]
    sim.end()


def test_poisson_500_per_core():
    """§3.1: SpikeSourcePoisson DEFAULT_MAX_ATOMS_PER_CORE = 500 -> 1000 sources, 2 cores."""
    sim.setup(timestep=1.0)
    pop = sim.Population(1000, sim.SpikeSourcePoisson(rate=10.0), label="noise")
    assert list(_layout(pop).bounds) == [0, 500, 1000]
    sim.end()


def test_set_number_of_neurons_per_core():
    """§3.1: set_number_of_neurons_per_core(Model, n) caps every population of that class;
    slices are contiguous chunks of n (last one shorter). Other classes keep their default."""
    sim.setup(timestep=1.0)
    sim.set_number_of_neurons_per_core(sim.IF_curr_exp, 100)
    pop = sim.Population(250, sim.IF_curr_exp(), label="curr")
    other = sim.Population(300, sim.IF_cond_exp(), label="cond")
    assert list(_layout(pop).bounds) == [0, 100, 200, 250]
    assert list(_layout(other).bounds) == [0, 256, 300]
    sim.end()


def test_additional_parameter_neurons_per_core():
    """§3.1: Population(..., additional_parameters={"neurons_per_core": n})."""
    sim.setup(timestep=1.0)
    pop = sim.Population(1000, sim.IF_curr_exp(), label="big",
                         additional_parameters={"neurons_per_core": 300})
    plain = sim.Population(1000, sim.IF_curr_exp(), label="plain")
    assert list(_layout(pop).bounds) == [0, 300, 600, 900, 1000]
    assert list(_layout(plain).bounds) == [0, 256, 512, 768, 1000]
    sim.end()


# ---------------------------------------------------------------------------------------
# delay slots and delay extensions (§3.2)
# ---------------------------------------------------------------------------------------

def _delay_network(delay, n_post=1000):
    sim.setup(timestep=1.0)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[0.0]), label="src")
    post = sim.Population(n_post, sim.IF_curr_exp(), label="post")
    sim.Projection(src, post, sim.FromListConnector([(0, 0, 1.0, delay)]), sim.StaticSynapse())
    return post


@pytest.mark.parametrize("delay,extension", [(16, False), (32, False), (40, True),
                                             (100, True), (288, True)])
def test_delay_extension_decision(delay, extension):
    """§3.2 measured, 1000 neurons (256/core), dt 1 ms: 2^(14 - (8 + 1)) = 32 ring-buffer
    slots, so 16 and 32 ms fit; 40, 100 and 288 ms need a delay-extension vertex."""
    post = _delay_network(delay)
    assert _layout(post).needs_extension is extension
    sim.end()


def test_delay_289_raises():
    """§3.2 measured: 289 ms -> DelayExtensionException "... max delay supported is 288.0"
    (32 slots x (1 + 8 stages)); raised when the network is mapped."""
    post = _delay_network(289)
    with pytest.raises(DelayExtensionException, match="288"):
        _layout(post)
    sim.end()


def test_delay_289_raises_at_run():
    """The same limit stops ``run`` (the first place a script touches the mapping)."""
    _delay_network(289)
    with pytest.raises(DelayExtensionException, match="288"):
        sim.run(10)
    assert sim.get_current_time() == 0.0
    sim.end()


def test_delays_through_extension_arrive_exactly():
    """§3.2 + §1.3: delays beyond the 32 ring-buffer slots go through delay-extension
    stages, but the spike still lands in slot t+d: a spike at t = 5 with d = 40, 100 and
    288 ms is first visible in v at t+d+1 (and v is exactly v_rest up to then). Targets
    sit on different cores (300 neurons, 256/core) to cover both slices."""
    sim.setup(timestep=1.0)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0]), label="src")
    post = sim.Population(300, sim.IF_curr_exp(), label="post")
    targets = {10: 40.0, 280: 100.0, 299: 288.0, 3: 31.0}
    sim.Projection(src, post, sim.FromListConnector(
        [(0, i, 2.0, d) for i, d in targets.items()]), sim.StaticSynapse())
    post[list(targets)].record("v")
    assert _layout(post).needs_extension
    sim.run(300)
    sig = post.get_data().segments[0].filter(name="v")[0]
    channels = [int(i) for i in sig.array_annotations["channel_index"]]
    v = np.asarray(sig.magnitude)
    sim.end()
    for col, idx in enumerate(channels):
        arrive = 5 + int(targets[idx])
        trace = v[:, col]
        assert np.all(trace[: arrive + 1] == -65.0), idx
        assert trace[arrive + 1] > -65.0, idx


# ---------------------------------------------------------------------------------------
# delay rounding (§2)
# ---------------------------------------------------------------------------------------

def test_delays_rounded_half_even():
    """§2: host delays are rint(delay/dt)*dt, half to even: 1.5 -> 2, 2.5 -> 2, 3.5 -> 4,
    2.4 -> 2, 2.6 -> 3 (dt = 1 ms). Read back through Projection.get("delay") and checked
    dynamically: the input is first visible in v at t + rounded d + 1 (§1.3)."""
    sim.setup(timestep=1.0)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0]), label="src")
    post = sim.Population(5, sim.IF_curr_exp(), label="post")
    given = [1.5, 2.5, 3.5, 2.4, 2.6]
    expected = [2.0, 2.0, 4.0, 2.0, 3.0]
    proj = sim.Projection(src, post, sim.FromListConnector(
        [(0, i, 1.0, d) for i, d in enumerate(given)]), sim.StaticSynapse())
    got = [d for (_, _, d) in proj.get("delay", format="list")]
    assert got == expected
    post.record("v")
    sim.run(20)
    v = np.asarray(post.get_data().segments[0].filter(name="v")[0].magnitude)
    sim.end()
    for i, d in enumerate(expected):
        arrive = 10 + int(d)
        assert np.all(v[: arrive + 1, i] == -65.0), i
        assert v[arrive + 1, i] > -65.0, i
