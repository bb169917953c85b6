"""``Population.spinnaker_get_data`` (sPyNNaker extension, spec §8) against ``get_data``.

sPyNNaker's layout (``NeoBufferDatabase.spinnaker_get_data``, 7.4.1): spikes as rows
``[neuron_index, time]`` sorted by neuron then time; a state variable as rows
``[neuron_index, time, value]``, all samples of the first recorded neuron first (PyNN 0.7
triples), or the samples x neurons matrix with ``as_matrix=True``; (0, 0) if not recorded.
"""

from __future__ import annotations

import numpy as np
import pyNN.neuroemu_spinnaker as sim
import pytest


@pytest.fixture
def run():
    sim.setup(timestep=1.0)
    pop = sim.Population(6, sim.IF_curr_exp(i_offset=[0.5, 0.9, 0.0, 1.2, 0.7, 0.0]),
                         label="cells")
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[2.0, 8.0]), label="src")
    sim.Projection(src, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=2.0, delay=1))
    pop.record("spikes")
    pop[1:5].record("v", sampling_interval=2.0)
    pop.record("gsyn_exc")
    sim.run(60.0)
    block = pop.get_data()
    yield pop, block.segments[0]
    sim.end()


def test_spikes_layout_matches_get_data(run):
    pop, seg = run
    got = pop.spinnaker_get_data("spikes")
    expected = sorted((float(st.annotations["source_index"]), float(t))
                      for st in seg.spiketrains for t in st.rescale("ms").magnitude)
    assert len(expected) >= 5
    assert np.array_equal(got, np.array(expected))


def test_signal_triples_match_get_data(run):
    pop, seg = run
    v = seg.filter(name="v")[0]
    got = pop.spinnaker_get_data("v")
    cells = [1, 2, 3, 4]
    n_t = v.shape[0]
    assert got.shape == (len(cells) * n_t, 3)
    assert np.array_equal(got[:, 0], np.repeat(cells, n_t))
    assert np.array_equal(got[:, 1], np.tile(v.times.rescale("ms").magnitude, len(cells)))
    assert np.array_equal(got[:, 2], v.magnitude.T.reshape(-1))
    assert np.array_equal(got[:n_t, 1], np.arange(0, 60, 2))


def test_matrix_and_view_indexes(run):
    pop, seg = run
    g = seg.filter(name="gsyn_exc")[0]
    assert np.array_equal(pop.spinnaker_get_data(["gsyn_exc"], as_matrix=True), g.magnitude)
    part = pop.spinnaker_get_data("gsyn_exc", view_indexes=[0, 5])
    assert np.array_equal(np.unique(part[:, 0]), [0.0, 5.0])
    assert np.array_equal(part[part[:, 0] == 5.0, 2], g.magnitude[:, 5])


def test_unrecorded_variable_is_empty_and_lists_need_one_name(run):
    pop, _ = run
    assert pop.spinnaker_get_data("gsyn_inh").shape == (0, 0)
    with pytest.raises(ValueError, match="one variable at a time"):
        pop.spinnaker_get_data(["v", "spikes"])
