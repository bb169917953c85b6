"""Delay-extension cores count a source's spikes per tick in one byte.

Rule (sPyNNaker 7.x ``delay_extension.c``: ``uint8_t **spike_counters``,
``COUNTER_SATURATION_VALUE 255``): a delay-extension core keeps one byte per (tick, source
atom); a spike arriving when that counter is at 255 is dropped and counted
(``n_packets_lost_due_to_count_saturation``). So at most 255 spikes of one source in one
tick come out of the delay stage. Here: a spike-source-array atom with 300 spikes at one
time, through a 40-tick delay onto a 256-neuron core (32 ring slots, so an extension
stage): the target must see exactly what 255 spikes give, with 45 spikes reported lost.
"""

from __future__ import annotations

import warnings

import numpy as np
import pyNN.neuroemu_spinnaker as sim
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroemu.errors import NeuroemuWarning
from neuroemu.spinnaker import kernel


def _delayed_burst(n_spikes: int):
    """v of the target neuron, the provenance and the warnings of a burst of ``n_spikes``
    spikes from one source atom at t = 5 ms, delivered 40 ms later (dt 1 ms)."""
    sim.setup(timestep=1.0)
    source = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0] * n_spikes))
    target = sim.Population(256, sim.IF_curr_exp(tau_m=1000.0, v_thresh=1000.0))
    target[0:1].record("v")
    sim.Projection(source, target, sim.FromListConnector([(0, 0)]),
                   sim.StaticSynapse(weight=0.001, delay=40.0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sim.run(60.0)
    toolchain = sim.simulator.state.toolchain
    n_delay_cores = int((toolchain._program.cores[:, kernel.C_KIND] == kernel.DELAY_CORE).sum())
    v = target.get_data().segments[0].filter(name="v")[0].magnitude.ravel()
    provenance = dict(toolchain.provenance)
    sim.end()
    lost_warnings = [w for w in caught if issubclass(w.category, NeuroemuWarning)
                     and "delay-extension" in str(w.message)]
    return v, provenance, lost_warnings, n_delay_cores


def test_a_burst_beyond_255_spikes_leaves_the_delay_stage_as_255():
    v300, prov300, warned300, n_delay_cores = _delayed_burst(300)
    v255, prov255, warned255, _ = _delayed_burst(255)
    assert n_delay_cores == 1
    assert prov300["delay_counter_saturations"] == 300 - kernel.DELAY_COUNTER_MAX == 45
    assert prov255["delay_counter_saturations"] == 0
    assert len(warned300) == 1 and "45 spikes" in str(warned300[0].message)
    assert not warned255
    assert np.array_equal(v300, v255)
    assert v255[-1] > v255[0]  # the 255 spikes did arrive


@settings(max_examples=25, deadline=None)
@given(before=st.integers(0, 255), arriving=st.lists(st.integers(1, 400), min_size=1,
                                                     max_size=4))
def test_counter_stops_at_255_and_counts_what_it_drops(before, arriving):
    """The delay core's own step, packet by packet into one (tick, atom) counter."""
    cores = np.zeros((1, kernel.N_CORE_COLS), dtype=np.int64)
    cores[0, kernel.C_KIND] = kernel.DELAY_CORE
    cores[0, kernel.C_HI] = 1
    cores[0, kernel.C_SLOTS] = 4
    cores[0, kernel.C_STAGES] = 1
    cores[0, kernel.C_AUX_LEN] = 5
    hist = np.zeros(5, dtype=np.uint8)
    hist[2] = before
    n = len(arriving)
    prov = np.zeros((1, kernel.N_PROV), dtype=np.int64)
    flags = np.zeros(5, dtype=np.bool_)
    kernel._delay_core(0, 2, cores, hist, flags, np.zeros(1, dtype=np.int64),
                       np.zeros(n, dtype=np.int64), np.array(arriving, dtype=np.int32),
                       np.full(n, 2, dtype=np.int64), np.array([n], dtype=np.int64),
                       np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.int32),
                       np.zeros(1, dtype=np.int64), prov)
    total = before + sum(arriving)
    assert hist[2] == min(total, 255)
    assert prov[0, kernel.PROV_DELAY_LOST] == max(0, total - 255)
    assert flags[2]
