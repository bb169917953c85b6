"""The Spikey PyNN namespace: alias import, extensions, setup keywords, recording API."""

import warnings

import numpy as np
import pyNN.neuroemu_spikey as sim
import pytest
from pyNN.parameters import Sequence

import neuroemu.spikey
from neuroemu.errors import NeuroemuWarning


def test_alias_is_the_spikey_module():
    assert sim is neuroemu.spikey
    assert sim.list_standard_models() == ["IF_facets_hardware1", "SpikeSourceArray",
                                          "SpikeSourcePoisson"]
    assert sim.getChipVersion() == 5


def test_physical_setup_keywords_warn():
    with pytest.warns(NeuroemuWarning, match="no effect in emulation"):
        sim.setup(useUsbAdc=True, calibOutputPins=False, loglevel=2)


def test_delays_fixed_to_timestep():
    sim.setup(timestep=0.1)
    assert sim.get_max_delay() == sim.get_min_delay() == 0.1


def _driven(**setup):
    sim.setup(noise=False, **setup)
    pop = sim.Population(2, sim.IF_facets_hardware1(v_rest=-50.0))
    pop.record("spikes")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NeuroemuWarning)
        sim.run(100.0)
    return pop.get_data().segments[0].spiketrains


def test_output_spikes_on_the_time_grid():
    """Spike times are multiples of the 1/320 ms time bin (spec §4.2)."""
    trains = _driven()
    t = trains[0].magnitude
    assert t.size > 3
    np.testing.assert_allclose(t * 320, np.round(t * 320), atol=1e-6)


def test_get_spikes_id_time_array():
    sim.setup(noise=False)
    sim.Population(2, sim.SpikeSourceArray(spike_times=[]))
    pop = sim.Population(2, sim.IF_facets_hardware1(v_rest=-50.0))
    pop.record("spikes")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NeuroemuWarning)
        sim.run(50.0)
    spikes = pop.getSpikes()
    assert spikes.shape[1] == 2 and spikes.shape[0] >= 4
    assert set(spikes[:, 0]) == {2.0, 3.0}
    assert (np.diff(spikes[:, 1]) >= 0).all()


def test_minimum_isi_drops_close_spikes():
    isi = np.diff(_driven()[0].magnitude).min()
    trains = _driven(minimumISI=2 * isi + 0.1)
    assert np.diff(trains[0].magnitude).min() >= 2 * isi + 0.1


def test_membrane_output_globals(tmp_path):
    sim.setup(noise=False)
    pop = sim.Population(1, sim.IF_facets_hardware1())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)    # PyNN's procedural record()
        sim.record_v(pop[0], str(tmp_path / "v.pkl"))
    sim.run(10.0)
    sim.end()
    assert (tmp_path / "v.pkl").exists()
    assert sim.membraneOutput.size == sim.timeMembraneOutput.size == 96
    np.testing.assert_allclose(sim.membraneOutput, -75.0)


def test_interrupt_after_mapping_checks_conflicts_without_running():
    sim.setup(noise=False)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    pop = sim.Population(2, sim.IF_facets_hardware1())
    sim.Projection(src, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.002))
    assert sim.run(10.0, interruptRunAfterMapping=True) == 0.0


def test_replay_and_raw_voltages_not_emulated():
    sim.setup(noise=False)
    sim.Population(1, sim.IF_facets_hardware1())
    with pytest.raises(NotImplementedError, match="Spikey"):
        sim.run(10.0, replay=True)
    with pytest.raises(NotImplementedError, match="Spikey"):
        sim.run(10.0, translateToBioVoltage=False)


def test_views_and_assemblies_as_pre_and_post():
    sim.setup(noise=False)
    a = sim.Population(2, sim.SpikeSourceArray(spike_times=[Sequence([5.0, 6.0, 7.0])] * 2))
    b = sim.Population(2, sim.SpikeSourceArray(spike_times=[Sequence([5.0, 6.0, 7.0])] * 2))
    pop = sim.Population(4, sim.IF_facets_hardware1())
    prj = sim.Projection(a + b, pop[1:3], sim.AllToAllConnector(),
                         sim.StaticSynapse(weight=0.015))
    pop.record("spikes")
    sim.run(30.0)
    counts = pop.get_spike_counts()
    fired = [counts[c] > 0 for c in pop.all_cells]
    assert fired == [False, True, True, False]
    assert len(prj) == 8


def test_weights_persist_across_reset_and_are_resent_on_change():
    """Chip weights stay across reset(); setting weights re-sends the connectivity."""
    sim.setup(noise=False)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[1.0]))
    pop = sim.Population(1, sim.IF_facets_hardware1())
    prj = sim.Projection(src, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.005))
    sim.run(5.0)
    sim.reset()
    assert prj.getWeightsHW() == pytest.approx([0.005])
    prj.set(weight=0.009)
    assert prj.getWeightsHW() == pytest.approx([0.009])


def test_mapping_report():
    import json

    sim.setup(noise=False, mappingOffset=190)
    src = sim.Population(2, sim.SpikeSourceArray(spike_times=[Sequence([1.0, 2.0])] * 2))
    pop = sim.Population(3, sim.IF_facets_hardware1())      # hardware 190, 191, 192
    sim.Projection(src, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.004))
    sim.Projection(pop[0:1], pop[2:3], sim.AllToAllConnector(), sim.StaticSynapse(weight=0.002))
    sim.run(10.0)
    rep = sim.mapping_report()
    assert rep["neurons"] == {"block0": 2, "block1": 1, "available": 384}
    assert rep["line_drivers"]["external"] == 4             # 2 sources x 2 blocks
    assert rep["line_drivers"]["feedback_other_block"] == 1
    assert rep["synapses"] == 7 and rep["weight_histogram"][3] == 6
    assert rep["inputs_mirrored_to_block1"] is True
    assert rep["last_run"]["input_events_sent"] == 8
    json.loads(sim.mapping_report(text=True).split("\n", 1)[1])


def test_population_added_between_runs_starts_at_its_initial_value():
    sim.setup(noise=False)
    sim.Population(1, sim.IF_facets_hardware1())
    sim.run(5.0)
    late = sim.Population(1, sim.IF_facets_hardware1(v_rest=-70.0))
    late.record("v")
    sim.run(5.0)
    v = late.get_data().segments[0].analogsignals[0].magnitude[:, 0]
    assert v[0] == pytest.approx(-75.0)                # IF_facets_hardware1 initial v
    assert (np.diff(v) > 0).all() and v[-1] < -70.0     # relaxing towards its v_rest
