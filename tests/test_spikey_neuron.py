"""Spikey neuron: voltage map, shared parameters, leak, refractoriness, membrane readout.

Reference values: spec spikey §4.1 (voltage map, E_x corner, tau_ref = 2 ms exp(-10 icb)),
§4.3 (ADC step 1/96 MHz x 10^4 = 0.1042 ms, pins); closed forms of the LIF equation.
"""

import warnings

import numpy as np
import pyNN.neuroemu_spikey as sim
import pytest
from hypothesis import given
from hypothesis import strategies as st

from neuroemu.errors import NeuroemuWarning
from neuroemu.spikey import neuron
from neuroemu.spikey.kernel import STEP_MS

STEP = STEP_MS      # engine step: 4 bins of 1/320 ms


@pytest.mark.parametrize("bio, hw", [(-75.0, 0.62), (-55.0, 1.10), (-80.0, 0.50),
                                     (-35.0, 1.58)])
def test_voltage_map(bio, hw):
    """V_hw = 0.5 V + (V_bio + 80 mV) * 0.024 V/mV (spec §4.1)."""
    assert neuron.to_hardware(bio) == pytest.approx(hw)
    assert neuron.to_bio(hw) == pytest.approx(bio)


@given(st.floats(-100.0, 0.0))
def test_voltage_map_round_trip(v):
    assert float(neuron.to_bio(neuron.to_hardware(v))) == pytest.approx(v, abs=1e-9)


@given(st.lists(st.tuples(st.integers(0, 383), st.floats(-80.0, -40.0)), min_size=1,
                max_size=50, unique_by=lambda x: x[0]))
def test_shared_value_is_first_of_group(cells):
    """Each of the 4 (block, parity) groups takes its first member's value (§4.1)."""
    hw = np.array([c[0] for c in cells])
    values = np.array([c[1] for c in cells])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NeuroemuWarning)
        eff = neuron.shared_values(hw, {"v_rest": values})["v_rest"]
    for k, h in enumerate(hw):
        group = [j for j in range(len(hw)) if hw[j] // 192 == h // 192 and hw[j] % 2 == h % 2]
        assert eff[k] == values[group[0]]


def test_excitatory_reversal_at_upper_corner():
    """E_x = 1.1 + 0.8 * (1.1 - 0.5) = 1.58 V = -35 mV bio, not a parameter (§4.1)."""
    assert neuron.e_rev_exc_mv() == pytest.approx(-35.0)
    assert "e_rev_E" not in sim.IF_facets_hardware1.default_parameters


def test_defaults_of_the_spikey_fork():
    p = sim.IF_facets_hardware1.default_parameters
    assert p == {"g_leak": 20.0, "v_reset": -80.0, "e_rev_I": -80.0, "v_rest": -75.0,
                 "v_thresh": -55.0, "tau_refrac": 1.0}


def _single(v0=None, **params):
    sim.setup(noise=False)
    pop = sim.Population(3, sim.IF_facets_hardware1(**params))
    if v0 is not None:
        pop.initialize(v=v0)
    pop[0:1].record("v")
    return pop


def _ideal_sample_times(n):
    """Each ADC sample reads the membrane at the first engine step at or after it."""
    k = np.arange(n)
    return np.ceil(k * sim.MEMBRANE_STEP_MS / STEP - 1e-9) * STEP


def test_free_membrane_relaxes_with_tau_m():
    """V(t) = E_l + (V0 - E_l) exp(-t g_leak / C), C = 0.2 nF (closed form)."""
    pop = _single(v0=-60.0, g_leak=20.0)
    sim.run(50.0)
    sig = pop.get_data().segments[0].analogsignals[0]
    v = sig.magnitude[:, 0]
    t = _ideal_sample_times(v.size)
    expected = -75.0 + 15.0 * np.exp(-t / (0.2e3 / 20.0))
    np.testing.assert_allclose(v, expected, atol=1e-9)


def test_membrane_sampling_step():
    """ADC at 96 MHz on a 10^4 accelerated chip: one sample per 1/9.6 ms bio (§4.3)."""
    pop = _single()
    sim.run(100.0)
    sig = pop.get_data().segments[0].analogsignals[0]
    assert float(sig.sampling_period.rescale("ms")) == pytest.approx(0.1041667, abs=1e-6)
    assert sig.shape[0] == int(np.ceil(100.0 / (1e4 / 96e6 * 1e3)))
    t, v = sim.timeMembraneOutput, sim.membraneOutput
    assert t.size == v.size == sig.shape[0]
    assert t[1] == pytest.approx(0.1041667, abs=1e-6)


def test_shared_parameters_first_neuron_wins():
    """Neurons 0 and 2 share the (block 0, even) group: neuron 2's v_rest is ignored."""
    sim.setup(noise=False)
    pop = sim.Population(3, sim.IF_facets_hardware1())
    pop[2:3].set(v_rest=-65.0)
    pop[2:3].record("v")
    with pytest.warns(NeuroemuWarning, match="v_rest: 1 neuron.*first neuron of a group wins"):
        sim.run(100.0)
    v = pop.get_data().segments[0].analogsignals[0].magnitude[:, 0]
    assert v[-1] == pytest.approx(-75.0, abs=1e-6)


def test_odd_neuron_has_its_own_group():
    sim.setup(noise=False)
    pop = sim.Population(2, sim.IF_facets_hardware1())
    pop[1:2].set(v_rest=-65.0)
    pop[1:2].record("v")
    with warnings.catch_warnings():
        warnings.simplefilter("error", NeuroemuWarning)
        sim.run(100.0)
    v = pop.get_data().segments[0].analogsignals[0].magnitude[:, 0]
    assert v[-1] == pytest.approx(-65.0, abs=1e-3)


def _isi(**setup):
    """Regular firing with v_rest above threshold: ISI = tau_ref + tau ln(30/5)."""
    sim.setup(noise=False, **setup)
    pop = sim.Population(1, sim.IF_facets_hardware1(v_rest=-50.0, tau_refrac=1.5))
    pop.record("spikes")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NeuroemuWarning)   # v_rest outside [-80, -55]
        sim.run(200.0)
    t = pop.get_data().segments[0].spiketrains[0].magnitude
    return np.diff(t)


CHARGE_MS = 10.0 * np.log(30.0 / 5.0)


def test_refractory_default_icb_ignores_tau_refrac():
    """calibIcb=False: every neuron gets icb = 0.2 µA -> tau_ref = 2 ms e^-2 (§1.2, §4.1)."""
    isi = _isi()
    np.testing.assert_allclose(isi, 2.0 * np.exp(-2.0) + CHARGE_MS, atol=2 * STEP)


def test_refractory_with_calib_icb_uses_tau_refrac():
    np.testing.assert_allclose(_isi(calibIcb=True), 1.5 + CHARGE_MS, atol=2 * STEP)


def test_set_icb_lengthens_refractoriness():
    sim.setup(noise=False)
    sim.hardware.hwa.setIcb(0.02)
    pop = sim.Population(1, sim.IF_facets_hardware1(v_rest=-50.0))
    pop.record("spikes")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NeuroemuWarning)
        sim.run(200.0)
    isi = np.diff(pop.get_data().segments[0].spiketrains[0].magnitude)
    np.testing.assert_allclose(isi, 2.0 * np.exp(-0.2) + CHARGE_MS, atol=2 * STEP)
    with pytest.raises(ValueError, match="setIcb"):
        sim.hardware.hwa.setIcb(3.0)


def test_g_leak_clipped_at_250_nS():
    """iLeak = 0.01 µA/nS * g_leak is clipped to 2.5 µA (§1.2)."""
    with pytest.warns(NeuroemuWarning, match="g_leak outside"):
        np.testing.assert_allclose(neuron.leak_conductance([20.0, 400.0]), [20.0, 250.0])


def test_avoid_spikes_silences():
    sim.setup(noise=False, avoidSpikes=True)
    pop = sim.Population(1, sim.IF_facets_hardware1(v_rest=-56.0))
    pop.record("spikes")
    sim.run(100.0)
    assert len(pop.get_data().segments[0].spiketrains[0]) == 0


def test_second_neuron_on_same_pin_raises():
    """Neurons 0 and 4 share pin 0 (h % 4 + 4 * block, §4.3)."""
    sim.setup(noise=False)
    pop = sim.Population(8, sim.IF_facets_hardware1())
    pop[0:1].record("v")
    with pytest.raises(ValueError, match="two membrane potentials to readout pin 0"):
        pop[4:5].record("v")


def test_second_neuron_on_other_pin_replaces_first():
    sim.setup(noise=False)
    pop = sim.Population(8, sim.IF_facets_hardware1())
    pop[0:1].record("v")
    with pytest.warns(NeuroemuWarning, match="one membrane per run"):
        pop[1:2].record("v")
    sim.run(10.0)
    sigs = pop.get_data().segments[0].analogsignals
    assert len(sigs) == 1 and sigs[0].shape[1] == 1
    assert list(sigs[0].array_annotations["channel_index"]) == [1]


def test_recording_a_whole_population_hits_the_pin_rule():
    sim.setup(noise=False)
    pop = sim.Population(10, sim.IF_facets_hardware1())
    with pytest.raises(ValueError, match="readout pin"), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", NeuroemuWarning)
        pop.record("v")
