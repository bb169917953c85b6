"""On-chip STDP (spec spikey §1.5, §3.3): additive LUT steps of exactly +-1 per evaluation,
saturation at 0 and 15, sequential row controller (15 ms bio per row over the contiguous
STDP row range, static synapses in those rows too), capacitor clear before each run, weights
read back and carried into the next run, LUT and parameter errors.

Protocol (lesson 6): three static stimulators of weight 15 make the neuron fire ~2.5-3 ms
after them; the plastic input P fires 2.3 ms after them (causal, dt in (0, 0.7] ms) or 3.5 ms
after them (acausal). The evaluation threshold is lowered to the smallest allowed span
(Vcthigh - Vctlow = 0.04 V, i.e. 2 * 0.04 / 0.15 = 0.53 pair charges) so one close pair
crosses it.
"""

import numpy as np
import pyNN.neuroemu_spikey as sim
import pytest
from pyNN.parameters import Sequence

from neuroemu.errors import NeuroemuWarning
from neuroemu.spikey import stdp

LSB = 0.001


def _stdp(w_lsb):
    return sim.STDPMechanism(timing_dependence=sim.SpikePairRule(tau_plus=2.5, tau_minus=2.5),
                             weight_dependence=sim.AdditiveWeightDependence(),
                             weight=w_lsb * LSB, dendritic_delay_fraction=0)


def _network(roles: dict, times: dict, stdp_weights: dict, static_weights: dict,
             lut=None):
    """Sources 0..max(roles); roles[i] in {'stdp', 'static', 'stim'}."""
    sim.setup(noise=False)
    sim.hardware.hwa.setSTDPParams(vctlow=0.96)
    if lut is not None:
        sim.hardware.hwa.setLUT(*lut)
    n = max(roles) + 1
    src = sim.Population(n, sim.SpikeSourceArray(
        spike_times=[Sequence(times.get(i, [])) for i in range(n)]))
    post = sim.Population(1, sim.IF_facets_hardware1())
    projs = {}
    for i, role in roles.items():
        if role == "stdp":
            syn = _stdp(stdp_weights[i])
        else:
            syn = sim.StaticSynapse(weight=(15 if role == "stim" else static_weights[i]) * LSB)
        projs[i] = sim.Projection(src[i:i + 1], post, sim.AllToAllConnector(), syn)
    return projs


def _lsb(proj):
    return round(proj.getWeightsHW()[0] / LSB)


VOLLEYS = 10 + 30 * np.arange(20)


def _pair_protocol(offset, w0):
    roles = {0: "stdp", 1: "stim", 2: "stim", 3: "stim"}
    times = {0: VOLLEYS + offset, 1: VOLLEYS, 2: VOLLEYS, 3: VOLLEYS}
    return _network(roles, times, {0: w0}, {})[0]


def test_causal_pairs_add_exactly_one_per_evaluation_and_saturate():
    p = _pair_protocol(2.3, 3)
    sim.run(310.0)                    # 10 pairs, each evaluated once (row period 15 ms)
    assert _lsb(p) == 13
    assert p.getWeightsHW(readHW=False) == pytest.approx([3 * LSB])   # as configured
    sim.run(300.0)                    # 10 more: weight carried over, saturates at 15
    assert _lsb(p) == 15


def test_acausal_pairs_subtract_exactly_one_and_saturate_at_zero():
    p = _pair_protocol(3.5, 5)
    sim.run(100.0)                    # pairs at 10, 40, 70 ms (100 is in the next run)
    assert _lsb(p) == 2
    sim.run(300.0)
    assert _lsb(p) == 0


def test_custom_lut_is_applied():
    causal = [min(w + 2, 15) for w in range(16)]
    acausal = list(range(16))
    roles = {0: "stdp", 1: "stim", 2: "stim", 3: "stim"}
    times = {0: VOLLEYS[:3] + 2.3, 1: VOLLEYS[:3], 2: VOLLEYS[:3], 3: VOLLEYS[:3]}
    p = _network(roles, times, {0: 4}, {}, lut=(causal, acausal))[0]
    sim.run(100.0)
    assert _lsb(p) == 10


def _timing_network():
    """STDP rows 0 and 3 -> controller range rows 0..3; row 2 holds a static synapse."""
    roles = {0: "stdp", 1: "stim", 2: "static", 3: "stdp", 4: "stim", 5: "stim"}
    stim = np.array([5.0])
    times = {0: stim + 2.3, 1: stim, 2: stim + 2.3, 3: stim + 2.3, 4: stim, 5: stim}
    return _network(roles, times, {0: 7, 3: 7}, {2: 5})


@pytest.mark.parametrize("t_run, expected", [
    (14.9, (7, 5, 7)), (15.1, (8, 5, 7)),          # row 0 at 1 x 15 ms
    (44.9, (8, 5, 7)), (45.1, (8, 6, 7)),          # row 2 (static!) at 3 x 15 ms
    (59.9, (8, 6, 7)), (60.1, (8, 6, 8)),          # row 3 at 4 x 15 ms
])
def test_row_controller_timing(t_run, expected):
    projs = _timing_network()
    sim.run(t_run)
    assert (_lsb(projs[0]), _lsb(projs[2]), _lsb(projs[3])) == expected


def test_auto_stdp_frequency_sets_row_period():
    projs = _timing_network()
    sim.hardware.hwa.autoSTDPFrequency = 30.0
    sim.run(29.9)
    assert _lsb(projs[0]) == 7
    sim.reset()
    sim.run(30.1)
    assert _lsb(projs[0]) == 8


def test_capacitors_cleared_before_each_run():
    """Two sub-threshold pairs cross together in one run, not split over two runs."""
    roles = {0: "stdp", 1: "stim", 2: "stim", 3: "stim"}
    # dt ~ 1.8-2.2 ms: charge ~0.4-0.5 per pair, only two pairs together cross 0.53
    times = {0: VOLLEYS[:2] + 0.4, 1: VOLLEYS[:2], 2: VOLLEYS[:2], 3: VOLLEYS[:2]}
    p = _network(roles, times, {0: 7}, {})[0]
    sim.run(70.0)
    together = _lsb(p)
    p = _network(roles, times, {0: 7}, {})[0]
    sim.run(30.0)
    sim.run(40.0)
    assert (together, _lsb(p)) == (8, 7)


def test_lut_errors():
    s = stdp.STDPSettings()
    with pytest.raises(ValueError, match="2\\*16 values required"):
        s.set_lut(list(range(15)), list(range(16)))
    with pytest.raises(ValueError, match="0<=value<=15"):
        s.set_lut([16] * 16, list(range(16)))


def test_additive_lut_defaults():
    """causal w -> min(w+1, 15), acausal w -> max(w-1, 0) (spec §1.5)."""
    np.testing.assert_array_equal(stdp.CAUSAL_ADDITIVE, [*range(1, 16), 15])
    np.testing.assert_array_equal(stdp.ACAUSAL_ADDITIVE, [0, *range(15)])


def test_threshold_span_limit_and_fixed_knobs():
    s = stdp.STDPSettings()
    with pytest.raises(ValueError, match="below 0.04 V"):
        s.set_params(vctlow=0.97)
    with pytest.raises(NotImplementedError, match="Spikey"):
        s.set_params(vm=0.5)
    with pytest.raises(ValueError, match="tpcorperiod"):
        s.set_params(tpcorperiod=100)


def test_only_spike_pair_rule_and_additive():
    sim.setup(noise=False)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    post = sim.Population(1, sim.IF_facets_hardware1())
    with pytest.raises(ValueError, match="dendritic_delay_fraction"):
        syn = sim.STDPMechanism(timing_dependence=sim.SpikePairRule(),
                                weight_dependence=sim.AdditiveWeightDependence(), weight=LSB)
        sim.Projection(src, post, sim.AllToAllConnector(), syn)
    syn = sim.STDPMechanism(timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=2.5),
                            weight_dependence=sim.AdditiveWeightDependence(), weight=LSB,
                            dendritic_delay_fraction=0)
    with pytest.warns(NeuroemuWarning, match="tau_plus=20.0 ms is not possible"):
        sim.Projection(src, post, sim.AllToAllConnector(), syn)
