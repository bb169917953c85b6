"""Input link capacity (spec spikey §2.5): packing up to 3 events per packet in different
64-address buffers; losses counted in getInputSpikes() and never raised."""

import warnings

import numpy as np
import pyNN.neuroemu_spikey as sim
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyNN.parameters import Sequence

from neuroemu.errors import NeuroemuWarning
from neuroemu.spikey import bandwidth


def _run(trains: dict[int, np.ndarray], n_sources: int, t_run: float, offset: int = 0):
    """Sources with the given trains (others silent), one neuron at hardware ``offset``."""
    sim.setup(noise=False, mappingOffset=offset)
    times = [Sequence(trains.get(i, np.zeros(0))) for i in range(n_sources)]
    sim.Population(n_sources, sim.SpikeSourceArray(spike_times=times))
    sim.Population(1, sim.IF_facets_hardware1())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NeuroemuWarning)
        sim.run(t_run)
    return sim.getInputSpikes()


def test_single_regular_source_5kHz_no_loss():
    """One source at 5 kHz bio (0.2 ms ISI) is never thinned (test_rate_in)."""
    train = np.arange(1, 5001) * 0.2
    lost, sent = _run({0: train}, 1, 1001.0)
    assert (lost, sent) == (0, 5000)


def test_three_sources_10kHz_in_different_groups_no_loss():
    """Sources 0, 64, 128 -> addresses 255, 191, 127: three 64-address buffers, 30 kHz."""
    train = np.arange(1, 10001) * 0.1
    lost, sent = _run({0: train, 64: train, 128: train}, 129, 1001.0)
    assert (lost, sent) == (0, 30000)


def test_100kHz_total_loses_events():
    """Ten 10 kHz sources in one buffer: one event per 0.1 ms packet gets through."""
    train = np.arange(1, 10001) * 0.1
    lost, sent = _run({i: train for i in range(10)}, 10, 1001.0)
    assert sent == 100000
    assert lost == pytest.approx(90000, rel=0.01)
    assert sim.numLostInputSpikes == lost and sim.numInputSpikes == sent


def test_losses_warn_but_never_raise():
    train = np.arange(1, 1001) * 0.1
    sim.setup(noise=False)
    sim.Population(10, sim.SpikeSourceArray(spike_times=train.tolist()))
    sim.Population(1, sim.IF_facets_hardware1())
    with pytest.warns(NeuroemuWarning, match="exceeded the input link capacity"):
        sim.run(101.0)


def test_mirroring_to_block_1_doubles_events():
    """With a neuron >= 192 every input spike goes to both blocks (spec §2.3)."""
    train = np.arange(1, 101) * 1.0
    assert _run({0: train}, 1, 101.0, offset=0)[1] == 100
    assert _run({0: train}, 1, 101.0, offset=192)[1] == 200


def test_poisson_5kHz_below_one_percent_loss():
    """A 5 kHz Poisson source loses < 1 % (test_006_max_rate_in)."""
    rng = np.random.default_rng(5)
    n = rng.poisson(5 * 20000)
    bins = np.sort(rng.integers(0, 20000 * 320, n))
    out = bandwidth.pack_events(bins, np.full(n, 255))
    assert 0 < (out < 0).mean() < 0.01


def test_shifted_events_keep_order_and_phase():
    bins = np.array([0, 1, 2, 3], dtype=np.int64)
    out = bandwidth.pack_events(bins, np.full(4, 255))
    np.testing.assert_array_equal(out, [0, 33, 66, 99])   # shifted by whole 32-bin slots
    out = bandwidth.pack_events(np.zeros(5, np.int64), np.array([0, 64, 128, 192, 10]))
    np.testing.assert_array_equal(out, [0, 0, 0, 32, 32])   # 3 per packet, distinct buffers


def test_input_times_floored_to_1_320_ms():
    sim.setup(noise=False)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0049, 20.3]))
    sim.Population(1, sim.IF_facets_hardware1())
    src.record("spikes")
    sim.run(30.0)
    t = src.get_data().segments[0].spiketrains[0].magnitude
    np.testing.assert_allclose(t, [np.floor(10.0049 * 320) / 320, 20.3], atol=1e-12)


def test_spikes_outside_run_window_dropped():
    sim.setup(noise=False)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[0.0, 5.0, 50.0]))
    sim.Population(1, sim.IF_facets_hardware1())
    src.record("spikes")
    sim.run(20.0)
    assert sim.getInputSpikes() == (0, 1)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2000), st.integers(0, 511)), max_size=300))
def test_packing_invariants(events):
    """Every packet: <= 3 events, distinct 64-address buffers; shifts by whole slots <= 3."""
    events = sorted(events)
    bins = np.array([e[0] for e in events], dtype=np.int64)
    addr = np.array([e[1] for e in events], dtype=np.int64)
    out = bandwidth.pack_events(bins, addr)
    ok = out >= 0
    shift = out[ok] - bins[ok]
    assert ((shift % 32 == 0) & (shift >= 0) & (shift <= 3 * 32)).all()
    slots = out[ok] // 32
    for slot in np.unique(slots):
        groups = addr[ok][slots == slot] // 64
        assert groups.size <= 3 and np.unique(groups).size == groups.size
