"""Packet loss on the SpiNNaker machine model (spec §3.4).

Rules: by default the network loses nothing; ``setup(packet_loss={...})`` drops packets per
router with ``drop_probability``, beyond ``router_capacity`` packets per chip per tick, and
reinjects dropped packets once when ``reinjection`` is on; a packet lost at a router is
missing at every target core below it; the counters equal the spikes missing at the
targets; the same seed gives the same losses.

The test network relays: each of 40 spike-source-array sources drives one neuron through a
5 nA synapse (tau_refrac 10 ms, inputs 25 ms apart), so every delivered input spike makes
exactly one output spike (checked on the ideal network) and missing outputs are lost packets.
"""

from __future__ import annotations

import numpy as np
import pyNN.neuroemu_spinnaker as sim
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

N = 40


def _relay(loss, per_core=4, same_time=False):
    sim.setup(timestep=1.0, report_dir=False, packet_loss=loss)
    sim.set_number_of_neurons_per_core(sim.IF_curr_exp, per_core)
    times = [list(np.arange(5.0 + (0 if same_time else i % 7), 1000.0, 25.0)) for i in range(N)]
    src = sim.Population(N, sim.SpikeSourceArray(spike_times=times), label="src")
    post = sim.Population(N, sim.IF_curr_exp(tau_refrac=10.0), label="post")
    sim.Projection(src, post, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=5.0, delay=1.0))
    post.record("spikes")
    sim.run(1000)
    n_in = sum(len(t) for t in times)
    spikes = [np.asarray(st) for st in post.get_data("spikes").segments[0].spiketrains]
    prov = dict(sim.simulator.state.toolchain.machine_stage.last_report["provenance"])
    chips = len(sim.simulator.state.toolchain.machine_stage.machine_map.placement.chips_used)
    sim.end()
    return n_in, spikes, prov, chips


def test_no_loss_by_default():
    n_in, spikes, prov, _ = _relay(None)
    assert sum(s.size for s in spikes) == n_in == 1600
    assert prov["packets_dropped"] == prov["packets_lost"] == prov["spikes_lost"] == 0


def test_drop_probability_per_router():
    """All cores on one chip (one router per packet): about 20 % of the 1600 packets drop
    (binomial sd 16; bound 4 sd); the counters equal the missing output spikes."""
    n_in, spikes, prov, chips = _relay({"drop_probability": 0.2, "reinjection": False,
                                        "seed": 1})
    assert chips == 1
    n_out = sum(s.size for s in spikes)
    assert abs(prov["packets_dropped"] - 320) <= 64
    assert prov["spikes_lost"] == prov["packets_lost"] == prov["packets_dropped"]
    assert n_in - n_out == prov["spikes_lost"]


def test_losses_over_several_hops():
    """One core per neuron spreads the targets over 3 chips: a packet crosses up to 2
    routers; missing outputs still equal the counted lost spikes."""
    n_in, spikes, prov, chips = _relay({"drop_probability": 0.1, "reinjection": False,
                                        "seed": 5}, per_core=1)
    assert chips == 3
    n_out = sum(s.size for s in spikes)
    assert n_in - n_out == prov["spikes_lost"] > 0
    assert prov["packets_dropped"] >= prov["packets_lost"]


def test_same_seed_same_losses():
    loss = {"drop_probability": 0.3, "reinjection": False, "seed": 42}
    _, a, pa, _ = _relay(loss, per_core=1)
    _, b, pb, _ = _relay(loss, per_core=1)
    assert pa == pb
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    _, c, _, _ = _relay(dict(loss, seed=43), per_core=1)
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_reinjection_recovers_most_drops():
    """Reinjection retries every dropped packet once: reinjected == dropped, and a packet
    is lost only if its retry drops too (about p^2 = 4 % of 1600, sd 8; bound 4 sd)."""
    n_in, spikes, prov, _ = _relay({"drop_probability": 0.2, "reinjection": True, "seed": 1})
    n_out = sum(s.size for s in spikes)
    assert prov["packets_reinjected"] == prov["packets_dropped"] > 0
    assert abs(prov["packets_lost"] - 64) <= 32
    assert n_in - n_out == prov["spikes_lost"] == prov["packets_lost"]


def test_router_capacity_per_tick():
    """40 sources fire in the same tick, 40 ticks: with a capacity of 10 packets per tick
    the source chip's router passes 10 and drops 30 each time: 40 x 30 = 1200 lost."""
    n_in, spikes, prov, _ = _relay({"router_capacity": 10, "reinjection": False},
                                   same_time=True)
    assert prov["spikes_lost"] == 1200
    assert sum(s.size for s in spikes) == n_in - 1200 == 400


def test_capacity_zero_loses_everything():
    _, spikes, prov, _ = _relay({"router_capacity": 0, "reinjection": False})
    assert sum(s.size for s in spikes) == 0
    assert prov["spikes_lost"] == 1600


@pytest.mark.parametrize("loss, match", [
    ({"drop_probability": 1.5}, "drop_probability=1.5 outside"),
    ({"router_capacity": -1}, "router_capacity=-1"),
    ({"drop_rate": 0.1}, "unknown keys"),
    (0.1, "expected None or a dict"),
])
def test_bad_packet_loss_settings(loss, match):
    with pytest.raises((ValueError, TypeError), match=match):
        sim.setup(timestep=1.0, report_dir=False, packet_loss=loss)


@settings(max_examples=10, deadline=None)
@given(p=st.floats(0.0, 0.6), seed=st.integers(0, 2**31 - 1), reinjection=st.booleans(),
       per_core=st.sampled_from([1, 4, 40]))
def test_counted_losses_equal_missing_spikes(p, seed, reinjection, per_core):
    n_in, spikes, prov, _ = _relay({"drop_probability": p, "reinjection": reinjection,
                                    "seed": seed}, per_core=per_core)
    assert n_in - sum(s.size for s in spikes) == prov["spikes_lost"]
    if not reinjection:
        assert prov["packets_reinjected"] == 0
        assert prov["packets_lost"] == prov["packets_dropped"]


def test_reset_restarts_the_fault_stream():
    """After reset() the machine restarts from its seeds: the same packets are lost."""
    sim.setup(timestep=1.0, report_dir=False,
              packet_loss={"drop_probability": 0.25, "reinjection": False, "seed": 9})
    times = [list(np.arange(3.0 + i % 5, 500.0, 20.0)) for i in range(N)]
    src = sim.Population(N, sim.SpikeSourceArray(spike_times=times), label="src")
    post = sim.Population(N, sim.IF_curr_exp(tau_refrac=10.0), label="post")
    sim.Projection(src, post, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=5.0, delay=1.0))
    post.record("spikes")
    stage = sim.simulator.state.toolchain.machine_stage
    sim.run(500)
    first = dict(stage.network)
    sim.reset()
    sim.run(500)
    segments = post.get_data("spikes").segments
    assert dict(stage.network) == first and first["spikes_lost"] > 0
    for a, b in zip(segments[0].spiketrains, segments[1].spiketrains):
        assert np.array_equal(np.asarray(a), np.asarray(b))
    sim.end()


def test_losses_independent_of_thread_count():
    """Routing (and the fault model in it) runs serially: any thread count, same losses."""
    import numba

    loss = {"drop_probability": 0.2, "router_capacity": 30, "reinjection": True, "seed": 4}
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        _, one, p_one, _ = _relay(loss, per_core=1, same_time=True)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        _, two, p_two, _ = _relay(loss, per_core=1, same_time=True)
    finally:
        numba.set_num_threads(before)
    assert p_one == p_two and p_one["packets_dropped"] > 0
    assert all(np.array_equal(a, b) for a, b in zip(one, two))
