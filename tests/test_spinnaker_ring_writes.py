"""Ring-buffer additions through write buffers (``neuroemu.spinnaker.ring_writes``).

Rule (spec §1.4): every synaptic word adds its weight into a uint16 ring-buffer cell,
saturating at 0xFFFF, and every addition that saturates is counted
(``synapses_saturation_count``); a slot is read (and cleared) in its tick. The write buffers
are a host-side device: each cell must hold, when its slot is read, exactly what the
literal in-order additions give, and the saturation counter (order-dependent) must be the
literal one. The reference below is that literal loop; a whole network run with buffers
forced on must give the same spikes, membrane traces and counters as without.
"""

from __future__ import annotations

import numpy as np
import pyNN.neuroemu_spinnaker as sim
from hypothesis import given, settings
from hypothesis import strategies as st
from pyNN.random import NumpyRNG

from neuroemu.spinnaker import kernel
from neuroemu.spinnaker.ring_writes import (
    WRITE_BUFFER_ENTRIES,
    flush_write_buffers,
    replay_now,
    ring_add,
    write_buffers,
)

SLOTS, TI_BITS = 8, 3  # one core: 8 slots of 8 cells


def _one_core(buffered: bool):
    cores = np.zeros((1, kernel.N_CORE_COLS), dtype=np.int64)
    cores[0, kernel.C_KIND] = kernel.NEURON_CORE
    cores[0, kernel.C_DELAY_MASK] = SLOTS - 1
    ring = np.zeros(SLOTS << TI_BITS, dtype=np.uint16)
    wb = write_buffers(cores, ring.size, 0 if buffered else ring.size + 1)
    return cores, ring, np.zeros((1, kernel.N_PROV), dtype=np.int64), wb


def _reference_add(ring, cell, weight, mult):
    saturated = 0
    for _ in range(mult):
        acc = ring[cell] + weight
        if acc > 0xFFFF:
            acc = 0xFFFF
            saturated += 1
        ring[cell] = acc
    return saturated


additions = st.lists(st.tuples(st.integers(0, (SLOTS << TI_BITS) - 1),
                               st.sampled_from([0, 1, 7, 300, 9000, 40000, 0xFFFF]),
                               st.integers(0, 3)), max_size=60)


@settings(max_examples=150, deadline=None)
@given(ticks=st.lists(additions, min_size=1, max_size=12))
def test_buffered_additions_equal_the_literal_in_order_additions(ticks):
    """Tick by tick: the tick's slot is replayed, the tick's additions (any cell, weights
    up to 0xFFFF, multi-spike counts) are made, the slot is read and cleared; every read
    and the counter equal the literal loop's, and so do the rings after the end-of-run
    flush."""
    cores, ring, prov, wb = _one_core(buffered=True)
    ref, ref_saturated = [0] * ring.size, 0
    for t, adds in enumerate(ticks):
        now = t % SLOTS
        replay_now(0, t, cores, ring, prov, wb)
        for cell, weight, mult in adds:
            ring_add(0, cell, weight, mult, 0, TI_BITS, now, ring, prov, wb)
            ref_saturated += _reference_add(ref, cell, weight, mult)
        lo, hi = now << TI_BITS, (now + 1) << TI_BITS
        assert ring[lo:hi].tolist() == ref[lo:hi]
        assert prov[0, kernel.PROV_SATURATED] <= ref_saturated
        ring[lo:hi] = 0
        ref[lo:hi] = [0] * (hi - lo)
    flush_write_buffers(cores, ring, prov, wb)
    assert ring.tolist() == ref
    assert prov[0, kernel.PROV_SATURATED] == ref_saturated


def test_a_full_buffer_is_replayed_in_order_and_saturation_is_counted_once_per_addition():
    """More additions into one later slot than a buffer holds (64): the cell saturates
    at 0xFFFF after 0xFFFF // 3000 = 21 of them, and each later one is counted."""
    n = 3 * WRITE_BUFFER_ENTRIES
    cores, ring, prov, wb = _one_core(buffered=True)
    for _ in range(n):
        ring_add(0, (5 << TI_BITS) + 2, 3000, 1, 0, TI_BITS, 0, ring, prov, wb)
    assert wb[1].max() < WRITE_BUFFER_ENTRIES + 1
    flush_write_buffers(cores, ring, prov, wb)
    assert ring[(5 << TI_BITS) + 2] == 0xFFFF
    assert prov[0, kernel.PROV_SATURATED] == n - 0xFFFF // 3000


def test_small_rings_are_not_buffered():
    _, _, _, wb = _one_core(buffered=False)
    assert wb[2][0] == -1 and wb[0].size == 0


def _network():
    """Synchronous input that saturates cells, a one-to-one multi-spike drive
    (direct delivery), recurrent delays over 12 slots, an STDP projection."""
    sim.setup(timestep=1.0)
    noise = sim.Population(200, sim.SpikeSourcePoisson(rate=60.0), label="noise",
                           additional_parameters={"seed": 3})
    drive = sim.Population(80, sim.SpikeSourcePoisson(rate=1500.0), label="drive",
                           additional_parameters={"seed": 4, "neurons_per_core": 40})
    exc = sim.Population(80, sim.IF_curr_exp(tau_refrac=2.0), label="exc",
                         additional_parameters={"neurons_per_core": 32,
                                                "spikes_per_second": 1.0})
    sync = sim.Population(100, sim.SpikeSourceArray(spike_times=np.arange(10.0, 150.0, 10.0)),
                          label="sync")
    sim.Projection(sync, exc, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=2.0, delay=5.0))
    inh = sim.Population(30, sim.IF_curr_exp(), label="inh")
    sim.Projection(noise, exc, sim.FixedProbabilityConnector(0.3, rng=NumpyRNG(seed=5)),
                   sim.StaticSynapse(weight=3.0, delay=sim.RandomDistribution(
                       "uniform", (1.0, 12.0), rng=NumpyRNG(seed=6))))
    sim.Projection(drive, exc, sim.OneToOneConnector(), sim.StaticSynapse(weight=0.05))
    sim.Projection(exc, exc, sim.FixedProbabilityConnector(0.2, rng=NumpyRNG(seed=7)),
                   sim.StaticSynapse(weight=0.3, delay=sim.RandomDistribution(
                       "uniform", (1.0, 12.0), rng=NumpyRNG(seed=8))))
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.05,
                                            A_minus=0.05),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=1.0),
        weight=0.5, delay=3.0)
    sim.Projection(exc, inh, sim.FixedProbabilityConnector(0.4, rng=NumpyRNG(seed=9)), stdp)
    sim.Projection(inh, exc, sim.FixedProbabilityConnector(0.3, rng=NumpyRNG(seed=10)),
                   sim.StaticSynapse(weight=-1.0, delay=2.0), receptor_type="inhibitory")
    exc.record(["spikes", "v"])
    inh.record("spikes")
    return exc, inh


def _run(buffer_min_cells, chunks, monkeypatch):
    default = kernel.run_ticks
    monkeypatch.setattr(kernel, "run_ticks",
                        lambda *args, **kw: default(*args, kernel.PARALLEL_MIN_NEURONS,
                                                    buffer_min_cells, **kw))
    exc, inh = _network()
    for c in chunks:
        sim.run(c)
    seg = exc.get_data().segments[-1]
    out = ([list(t.magnitude) for t in seg.spiketrains],
           [list(t.magnitude) for t in inh.get_data().segments[-1].spiketrains],
           np.asarray(seg.filter(name="v")[0].magnitude),
           sim.simulator.state.toolchain.provenance["ring_buffer_saturations"])
    sim.end()
    monkeypatch.setattr(kernel, "run_ticks", default)
    return out


def test_a_network_gives_the_same_bits_with_write_buffers(monkeypatch):
    """Forced on (threshold 0 cells) in one run and in two runs (the end-of-run flush),
    against the unbuffered run: the same spikes, membrane traces and saturation count."""
    plain = _run(1 << 40, [150.0], monkeypatch)
    assert plain[3] > 0  # cells saturate, so the counter's order dependence is exercised
    assert sum(len(t) for t in plain[0]) > 100
    for chunks in ([150.0], [70.0, 80.0]):
        buffered = _run(0, chunks, monkeypatch)
        assert buffered[0] == plain[0]
        assert buffered[1] == plain[1]
        np.testing.assert_array_equal(buffered[2], plain[2])
        assert buffered[3] == plain[3]
