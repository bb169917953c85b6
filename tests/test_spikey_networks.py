"""Network-level results of the Spikey demos and system tests (spec spikey §6)."""

import itertools
import warnings

import numpy as np
import pyNN.neuroemu_spikey as sim
import pytest

from neuroemu.errors import NeuroemuWarning


def _rate(g_leak: float, v_rest: float, duration: float = 1000.0, poisson: bool = True):
    sim.setup(rng_seeds=[1], calibTauMem=False)
    pop = sim.Population(32, sim.IF_facets_hardware1(g_leak=g_leak, v_rest=v_rest))
    if poisson:
        src = sim.Population(64, sim.SpikeSourcePoisson(rate=10.0))
        sim.Projection(src, pop, sim.FixedNumberPreConnector(16, rng=sim.NumpyRNG(seed=2)),
                       sim.StaticSynapse(weight=7 * sim.minExcWeight()))
    pop.record("spikes")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NeuroemuWarning)
        sim.run(duration)
    counts = pop.get_spike_counts()
    return np.mean([counts[c] for c in pop.all_cells]) / duration * 1000.0


def test_lesson1_rate_falls_with_g_leak():
    """Lesson 1 (rate_over_gleak.py): the rate decreases monotonically with g_leak."""
    rates = [_rate(g, -75.0) for g in (2.0, 10.0, 20.0, 40.0, 80.0)]
    assert rates[0] > 5.0
    assert all(a > b for a, b in itertools.pairwise(rates) if a > 0)
    assert rates[-1] < rates[0] / 5


def test_change_ileak_slope():
    """test_change_ileak: with v_rest = v_thresh + 10 mV the rate rises with iLeak
    0.2..1.1 µA, slope > 20 Hz/µA."""
    i_leak = np.array([0.2, 0.5, 0.8, 1.1])
    rates = np.array([_rate(i / 0.01, -45.0, 200.0, poisson=False) for i in i_leak])
    assert (np.diff(rates) > 0).all()
    assert np.polyfit(i_leak, rates, 1)[0] > 20.0


@pytest.mark.slow
def test_decorrelation_network_rate():
    """runDecorrNetwork: 192 neurons, K = 15 inhibitory inputs, v_rest -40 mV, no input:
    more than 19200 spikes in 10 s."""
    sim.setup(rng_seeds=[1])
    pop = sim.Population(192, sim.IF_facets_hardware1(v_rest=-40.0))
    sim.Projection(pop, pop, sim.FixedNumberPreConnector(15, rng=sim.NumpyRNG(seed=2)),
                   sim.StaticSynapse(weight=7 * sim.minInhWeight()),
                   receptor_type="inhibitory")
    pop.record("spikes")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NeuroemuWarning)
        sim.run(10000.0)
    n = sum(len(st) for st in pop.get_data().segments[0].spiketrains)
    assert n > 19200
