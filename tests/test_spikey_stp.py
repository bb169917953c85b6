"""Line-driver STP (spec spikey §1.4, §3.4): k selection, chip tau table, errors, dynamics."""

import numpy as np
import pyNN.neuroemu_spikey as sim
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyNN.parameters import Sequence

from neuroemu.errors import NeuroemuWarning
from neuroemu.spikey import stp


@pytest.mark.parametrize("U, k", [(0.05, 1), (1 / 9 - 1e-9, 1), (1 / 9, 3), (0.2, 3),
                                  (3 / 11, 5), (0.3, 5), (5 / 13, 7), (0.5, 7), (0.9, 7)])
def test_capacitor_level_thresholds(U, k):
    """U < 1/9 -> 1, < 3/11 -> 3, < 5/13 -> 5, else 7: thresholds k/(8+k) of the next level."""
    assert stp.capacitor_level(U) == k


@given(st.floats(0.0, 1.0))
def test_use_fraction_is_monotone_in_U(U):
    k = stp.capacitor_level(U)
    assert k in (1, 3, 5, 7)
    assert stp.use_fraction(k) == pytest.approx(k / (8 + k))


def test_mode_selection_and_errors():
    assert stp.mode(100.0, 0.0) == (True, 100.0)
    assert stp.mode(0.0, 50.0) == (False, 50.0)
    with pytest.raises(ValueError, match="STP problems!"):
        stp.mode(0.0, 0.0)
    with pytest.raises(ValueError, match="allow only facilitation OR depression"):
        stp.mode(100.0, 50.0)


def test_chip_tau_nearest_table_row():
    """Lesson 5: U 0.4, tau_rec 100 ms -> k = 7, table row 110 ms (spec §3.4)."""
    assert stp.chip_tau(True, stp.capacitor_level(0.4), 100.0) == 110.0
    assert stp.chip_tau(False, 1, 10.0) == 70.0
    assert stp.chip_tau(True, 3, 1000.0) == 300.0
    with pytest.raises(NotImplementedError, match="Spikey"):
        stp.chip_tau(True, 1, 100.0)


def test_both_modes_rejected_at_projection():
    sim.setup(noise=False)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    pop = sim.Population(1, sim.IF_facets_hardware1())
    with pytest.raises(ValueError, match="only facilitation OR depression"):
        sim.Projection(src, pop, sim.AllToAllConnector(),
                       sim.TsodyksMarkramSynapse(U=0.4, tau_rec=100.0, tau_facil=100.0,
                                                 weight=0.001))


def test_last_stp_projection_sets_the_chip_tau():
    sim.setup(noise=False)
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[1.0]))
    pop = sim.Population(1, sim.IF_facets_hardware1())
    for i, tau in enumerate((40.0, 900.0)):
        sim.Projection(src[i:i + 1], pop, sim.AllToAllConnector(),
                       sim.TsodyksMarkramSynapse(U=0.5, tau_rec=tau, weight=0.006))
    with pytest.warns(NeuroemuWarning, match="the last STP projection's wins"):
        m = sim.simulator.state.toolchain.mapping
    assert m.stp_chip == (True, 7, 900.0)


TRAIN = np.array([100.0, 150.0, 200.0, 250.0, 300.0, 350.0, 400.0, 700.0])


def _psp_peaks(synapse):
    sim.setup(noise=False)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[Sequence(TRAIN)]))
    pop = sim.Population(1, sim.IF_facets_hardware1())
    sim.Projection(src, pop, sim.AllToAllConnector(), synapse)
    pop.record("v")
    sim.run(800.0)
    sig = pop.get_data().segments[0].analogsignals[0]
    v = sig.magnitude[:, 0]
    t = sig.times.rescale("ms").magnitude
    return np.array([v[(t >= s) & (t < s + 30)].max() - v[(t >= s - 1) & (t < s)].mean()
                     for s in TRAIN])


def _expected_efficacy(depressing: bool, U_se: float, tau: float) -> np.ndarray:
    """I decays with tau, each spike I += U_SE (1 - I); efficacy 1 - I or 1 + I (§3.4)."""
    eff, inactive, last = [], 0.0, TRAIN[0]
    for s in TRAIN:
        inactive *= np.exp(-(s - last) / tau)
        eff.append(1 - inactive if depressing else 1 + inactive)
        inactive += U_se * (1 - inactive)
        last = s
    return np.array(eff)


def test_depressing_psps_follow_the_partition_model():
    """Lesson 5: PSPs shrink along the train and recover by 700 ms."""
    peaks = _psp_peaks(sim.TsodyksMarkramSynapse(U=0.4, tau_rec=100.0, weight=0.015))
    expected = _expected_efficacy(True, 7 / 15, 110.0)
    np.testing.assert_allclose(peaks / peaks[0], expected, rtol=0.03, atol=0.01)
    assert peaks[6] < 0.6 * peaks[0] and peaks[7] > 0.9 * peaks[0]


def test_facilitating_psps_grow():
    # 2 LSB: small, nearly linear PSPs
    peaks = _psp_peaks(sim.TsodyksMarkramSynapse(U=0.2, tau_rec=0.0, tau_facil=100.0,
                                                 weight=0.0025))
    expected = _expected_efficacy(False, 3 / 11, 100.0)
    np.testing.assert_allclose(peaks / peaks[0], expected, rtol=0.03)
