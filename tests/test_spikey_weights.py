"""4-bit weights: stochastic rounding int(x + U) capped at 15, LSB sizes (spec spikey §3.1)."""

import numpy as np
import pyNN.neuroemu_spikey as sim
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroemu.spikey import weights


def test_lsb_sizes_from_calibration():
    """1000 LSB/µS exc and 250 LSB/µS inh -> 0.001 and 0.004 µS, max = 15 x min (§3.1)."""
    assert sim.minExcWeight() == pytest.approx(0.001)
    assert sim.minInhWeight() == pytest.approx(0.004)
    assert sim.maxExcWeight() == pytest.approx(0.015)
    assert sim.maxInhWeight() == pytest.approx(0.06)


@settings(max_examples=40, deadline=None)
@given(lsb=st.floats(0.0, 20.0), receptor=st.sampled_from(["excitatory", "inhibitory"]),
       seed=st.integers(0, 2 ** 32 - 1))
def test_stochastic_rounding(lsb, receptor, seed):
    """Values in {floor(x), ceil(x)} capped at 15; mean preserved below the cap."""
    n = 4000
    w = np.full(n, lsb * weights.min_weight(receptor))
    d = weights.discretise(w, receptor, np.random.default_rng(seed)).astype(float)
    x = w[0] * weights.LSB_PER_US[receptor]
    assert set(np.unique(d)) <= {min(np.floor(x), 15), min(np.ceil(x), 15)}
    assert d.max() <= 15
    if x < 15:
        frac = x - np.floor(x)
        sd = np.sqrt(max(frac * (1 - frac), 1e-12) / n)
        assert abs(d.mean() - x) <= 5 * sd + 1e-9
    else:
        assert (d == 15).all()


def test_integer_multiples_are_exact():
    rng = np.random.default_rng(0)
    d = weights.discretise(np.arange(16) * 0.001, "excitatory", rng)
    np.testing.assert_array_equal(d, np.arange(16))


def _network(seed, w, synapse=None, receptor="excitatory"):
    sim.setup(rng_seeds=[seed], noise=False)
    src = sim.Population(50, sim.SpikeSourceArray(spike_times=[]))
    pop = sim.Population(100, sim.IF_facets_hardware1())
    syn = synapse or sim.StaticSynapse(weight=w)
    return sim.Projection(src, pop, sim.AllToAllConnector(), syn, receptor_type=receptor)


def test_hardware_weights_are_lsb_multiples_with_mean_preserved():
    prj = _network(3, 0.0063)
    hw = np.asarray(prj.getWeightsHW(format="list"))
    np.testing.assert_allclose(hw / 0.001, np.round(hw / 0.001), atol=1e-9)
    assert set(np.round(hw / 0.001)) == {6.0, 7.0}
    assert hw.mean() == pytest.approx(0.0063, abs=4 * np.sqrt(0.3 * 0.7 / 5000) * 0.001)
    np.testing.assert_allclose(prj.getWeights(format="list"), 0.0063)
    np.testing.assert_allclose(prj.get("weight", format="list", with_address=False), hw)


def test_weights_above_range_capped_at_15():
    prj = _network(1, 0.05, receptor="excitatory")
    np.testing.assert_allclose(prj.getWeightsHW(), 0.015)
    prj = _network(1, 0.5, receptor="inhibitory")
    np.testing.assert_allclose(prj.getWeightsHW(), 0.06)


def test_same_seed_same_discretisation():
    a = _network(7, 0.0045).getWeightsHW()
    b = _network(7, 0.0045).getWeightsHW()
    c = _network(8, 0.0045).getWeightsHW()
    assert a == b and a != c


def test_stp_prescales_before_rounding():
    """Depressing: w*U, facilitating: w*(1-U) before discretisation (§1.4)."""
    dep = _network(2, None, sim.TsodyksMarkramSynapse(U=0.4, tau_rec=100.0, tau_facil=0.0,
                                                        weight=0.015))
    assert np.mean(dep.getWeightsHW()) == pytest.approx(0.015 * 0.4, abs=2e-4)
    fac = _network(2, None, sim.TsodyksMarkramSynapse(U=0.4, tau_rec=0.0, tau_facil=100.0,
                                                        weight=0.015))
    assert np.mean(fac.getWeightsHW()) == pytest.approx(0.015 * 0.6, abs=2e-4)
