"""Every Spikey configuration conflict and capacity error of spec spikey §1.7."""

import numpy as np
import pyNN.neuroemu_spikey as sim
import pytest
from pyNN import errors as pynn_errors

from neuroemu.errors import ConfigurationConflictError, MappingError, NeuroemuWarning


@pytest.fixture(autouse=True)
def fresh():
    sim.setup(noise=False)
    yield
    sim.end()


def _sources(n, times=(10.0,)):
    return sim.Population(n, sim.SpikeSourceArray(spike_times=list(times)))


def _neurons(n):
    return sim.Population(n, sim.IF_facets_hardware1())


W = 15 * 0.001


def test_exc_and_inh_on_one_driver():
    src, pop = _sources(1), _neurons(2)
    sim.Projection(src, pop[0:1], sim.AllToAllConnector(), sim.StaticSynapse(weight=W),
                   receptor_type="excitatory")
    sim.Projection(src, pop[1:2], sim.AllToAllConnector(), sim.StaticSynapse(weight=W * 4),
                   receptor_type="inhibitory")
    with pytest.raises(ConfigurationConflictError,
                       match="Can't be excitatory and inhibitory at the same time"):
        sim.run(10)


def test_exc_and_inh_in_different_blocks_is_fine():
    """Each block has its own driver for a source, so signs may differ per block."""
    sim.setup(noise=False, mappingOffset=190)
    src, pop = _sources(1), _neurons(3)          # hardware 190, 191, 192
    sim.Projection(src, pop[0:1], sim.AllToAllConnector(), sim.StaticSynapse(weight=W))
    sim.Projection(src, pop[2:3], sim.AllToAllConnector(), sim.StaticSynapse(weight=W * 4),
                   receptor_type="inhibitory")
    sim.run(10)


def test_external_and_feedback_on_one_driver():
    """Source 64 uses local driver 191, the feedback line of neuron 191 (spec §2.3)."""
    src = _sources(65)
    pop = _neurons(192)
    sim.Projection(src[64:65], pop[0:1], sim.AllToAllConnector(), sim.StaticSynapse(weight=W))
    sim.Projection(pop[191:192], pop[0:1], sim.AllToAllConnector(), sim.StaticSynapse(weight=W))
    with pytest.raises(ConfigurationConflictError,
                       match="Source can't be external and feedback at the same time"), \
            pytest.warns(NeuroemuWarning, match="also the feedback lines"):
        sim.run(10)


def test_feedback_from_both_blocks():
    """Neurons 0 (block 0) and 193 (block 1) both need driver 0 of block 0 (guidebook)."""
    pop = _neurons(194)
    sim.Projection(pop[0:1], pop[5:6], sim.AllToAllConnector(), sim.StaticSynapse(weight=W))
    sim.Projection(pop[193:194], pop[6:7], sim.AllToAllConnector(), sim.StaticSynapse(weight=W))
    with pytest.raises(ConfigurationConflictError,
                       match="Feedback can't be from both blocks at the same time"):
        sim.run(10)


def _stp(U=0.5, tau_rec=100.0, tau_facil=0.0):
    return sim.TsodyksMarkramSynapse(U=U, tau_rec=tau_rec, tau_facil=tau_facil, weight=W)


def test_stp_on_and_off():
    src, pop = _sources(1), _neurons(2)
    sim.Projection(src, pop[0:1], sim.AllToAllConnector(), _stp())
    sim.Projection(src, pop[1:2], sim.AllToAllConnector(), sim.StaticSynapse(weight=W))
    with pytest.raises(ConfigurationConflictError, match="can't be turned ON and OFF"):
        sim.run(10)


def test_stp_depressing_and_facilitating():
    src, pop = _sources(1), _neurons(2)
    sim.Projection(src, pop[0:1], sim.AllToAllConnector(), _stp())
    sim.Projection(src, pop[1:2], sim.AllToAllConnector(), _stp(tau_rec=0, tau_facil=100))
    with pytest.raises(ConfigurationConflictError, match="depressing and facilitating"):
        sim.run(10)


def test_stp_two_c2_values():
    src, pop = _sources(1), _neurons(2)
    sim.Projection(src, pop[0:1], sim.AllToAllConnector(), _stp(U=0.5))    # k = 7
    sim.Projection(src, pop[1:2], sim.AllToAllConnector(), _stp(U=0.2))    # k = 3
    with pytest.raises(ConfigurationConflictError, match="one STP-configuration for C_2"):
        sim.run(10)


def test_zero_weight_never_conflicts():
    """A zero-weight synapse never configures its driver (spec §1.7)."""
    src, pop = _sources(1), _neurons(2)
    sim.Projection(src, pop[0:1], sim.AllToAllConnector(), sim.StaticSynapse(weight=W))
    sim.Projection(src, pop[1:2], sim.AllToAllConnector(), sim.StaticSynapse(weight=0.0),
                   receptor_type="inhibitory")
    sim.run(10)


def test_more_than_384_neurons():
    _neurons(384)
    with pytest.raises(MappingError, match="Network is larger than chip size"):
        _neurons(1)


def test_zero_neurons():
    _sources(2)
    with pytest.raises(MappingError, match="Network size is zero"):
        sim.run(10)


def test_source_index_256_rejected_at_mapping():
    src, pop = _sources(257), _neurons(1)
    sim.Projection(src[256:257], pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=W))
    with pytest.raises(MappingError, match="Invalid source index"):
        sim.run(10)


def test_source_index_512_rejected_at_connect():
    src, pop = _sources(513), _neurons(1)
    with pytest.raises(pynn_errors.ConnectionError, match="Invalid source index"):
        sim.Projection(src, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=W))


def test_32_bit_time_limit():
    """(2^31 - 2^21) / 320 ms is the last representable time (spec §1.7)."""
    limit = (2 ** 31 - 2 ** 21) / 320.0
    with pytest.raises(ValueError, match="maximum runtime .* approx. 6600s"):
        _sources(1, times=[limit + 1.0])
    sim.setup(noise=False)
    _neurons(1)
    with pytest.raises(ValueError, match="maximum runtime"):
        sim.run(limit + 1.0)


def test_unsupported_cell_type_names_spikey():
    with pytest.raises(NotImplementedError, match="Spikey"):
        sim.IF_cond_exp()
    with pytest.raises(NotImplementedError, match="Spikey"):
        sim.MultiplicativeWeightDependence()


def test_mapping_offset_error_via_setup():
    with pytest.raises(ValueError, match="Mapping offset"):
        sim.setup(mappingOffset=384)


def test_unknown_setup_keyword():
    with pytest.raises(TypeError, match="unknown keyword"):
        sim.setup(notAKeyword=1)


def test_delays_not_configurable():
    src, pop = _sources(1), _neurons(1)
    prj = sim.Projection(src, pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=W))
    with pytest.raises(NotImplementedError, match="Spikey"):
        prj.randomizeDelays(None)
    np.testing.assert_allclose(prj.get("delay", format="list", with_address=False),
                               sim.get_time_step())


def test_external_source_on_feedback_line_warns():
    """Sources >= 64 share feedback lines: the software warns even without a conflict."""
    src = _sources(65)
    pop = _neurons(1)
    sim.Projection(src[64:65], pop, sim.AllToAllConnector(), sim.StaticSynapse(weight=W))
    with pytest.warns(NeuroemuWarning, match="also the feedback lines of neurons"):
        sim.run(10)
