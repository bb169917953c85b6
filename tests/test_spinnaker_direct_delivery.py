"""Direct delivery of one-to-one Poisson packets (``neuroemu.spinnaker.direct_delivery``).

Rules:
* spec §1.4: each synaptic word adds its weight into a uint16 ring-buffer cell, saturating
  at 0xFFFF, and every saturating addition is counted (``synapses_saturation_count``);
  §4.1: a multi-spike Poisson packet (payload = count) makes the target process the row
  ``count`` times. The reference is the literal per-spike, per-word loop below.
* A direct Poisson core's packets bypass the router but must give the same bits as routed
  packets: the spikes, membrane traces, saturation counter (order-dependent) and packets
  counted. The reference is the same network with the Poisson sources recorded (recorded
  spikes are collected from the routed packets, so those cores keep the router path).
* Which cores qualify: ideal network, no recorded atom, every key with at most one route,
  to a static row of a neuron core.
"""

from __future__ import annotations

import numpy as np
import pyNN.neuroemu_spinnaker as sim
from hypothesis import given, settings
from hypothesis import strategies as st
from pyNN.random import NumpyRNG

from neuroemu.spinnaker import kernel
from neuroemu.spinnaker.direct_delivery import (
    direct_rows,
    direct_sources,
    static_row,
    uniform_words,
)
from neuroemu.spinnaker.faults import PacketLoss, ideal_network, network_arrays


def _saturating_reference(ring, words, cnt, shift_time, ring_mask):
    """spec §1.4 literally: the row processed cnt times, one word at a time."""
    ring = [int(v) for v in ring]
    saturated = 0
    for _ in range(cnt):
        for word in words:
            idx = ((word & 0xFFFF) + shift_time) & ring_mask
            acc = ring[idx] + (word >> 16)
            if acc > 0xFFFF:
                acc = 0xFFFF
                saturated += 1
            ring[idx] = acc
    return ring, saturated


@settings(max_examples=200, deadline=None)
@given(ring0=st.lists(st.integers(0, 0xFFFF), min_size=16, max_size=16),
       weights=st.lists(st.integers(0, 0xFFFF), min_size=1, max_size=8),
       targets=st.lists(st.integers(0, 15), min_size=8, max_size=8),
       cnt=st.integers(1, 6), shift_time=st.integers(0, 15))
def test_static_row_is_cnt_saturating_additions(ring0, weights, targets, cnt, shift_time):
    words = [(w << 16) | targets[i] for i, w in enumerate(weights)]
    ring = np.array(ring0, dtype=np.uint16)
    prov = np.zeros((1, kernel.N_PROV), dtype=np.int64)
    static_row(0, 0, len(words), cnt, shift_time, np.array(words, dtype=np.uint32), ring, 0,
               15, prov)
    expected, saturated = _saturating_reference(ring0, words, cnt, shift_time, 15)
    assert ring.tolist() == expected
    assert prov[0, kernel.PROV_SATURATED] == saturated


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 12), first=st.integers(0, 60), slot=st.integers(0, 3),
       shift_time=st.integers(0, 3), weight_max=st.sampled_from([3, 0x7FFF, 0xFFFF]),
       data=st.data())
def test_dense_pair_is_the_literal_loop_per_key(n, first, slot, shift_time, weight_max, data):
    """A dense pair (one one-word row per key, words in key order) adds each key's word
    ``count`` times, key after key, as the literal loop does: whether its words hit
    consecutive cells without saturating (added in one vectorised pass, from the words or,
    for a pair of one weight, from its first word alone) or not (cells repeated or wrapping
    around the ring, or some addition saturating: word by word). Ring of 4 slots x 64
    cells."""
    consecutive = data.draw(st.booleans())
    cells = [slot * 64 + first + k for k in range(n)] if consecutive else \
        data.draw(st.lists(st.integers(0, 255), min_size=n, max_size=n))
    weights = data.draw(st.lists(st.integers(0, weight_max), min_size=n, max_size=n))
    if data.draw(st.booleans()):
        weights = [weights[0]] * n
    counts = data.draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    ring0 = data.draw(st.lists(st.integers(0, 0xFFFF), min_size=256, max_size=256))
    words = np.array([(w << 16) | cell for w, cell in zip(weights, cells)], dtype=np.uint32)
    # neuron core 0; Poisson core 1 with keys 0..n-1, its spike counts at atoms 0..n-1
    cores = _table([kernel.NEURON_CORE, kernel.POISSON_CORE], [(0, 64), (0, n)])
    ptr = np.arange(n + 1, dtype=np.int64)
    word0 = uniform_words(np.array([0]), np.array([n]), np.array([True]), ptr, words)[0]
    expected, saturated = list(ring0), 0
    for word, cnt in zip(words.tolist(), counts):
        expected, sat = _saturating_reference(expected, [word], cnt, shift_time * 64, 255)
        saturated += sat
    for first_word in {-1, word0}:
        ring = np.array(ring0, dtype=np.uint16)
        prov = np.zeros((1, kernel.N_PROV), dtype=np.int64)
        direct_rows(0, 1, 0, n, True, first_word, cores, words, ring, prov, ptr, ptr,
                    np.ones(n, dtype=np.int32), np.zeros(n, dtype=np.int32),
                    np.array(counts, dtype=np.int32), 0, 255, shift_time * 64)
        assert ring.tolist() == expected
        assert prov[0, kernel.PROV_SATURATED] == saturated


def test_uniform_words_flags_pairs_of_one_weight_onto_consecutive_neurons():
    """A dense pair whose words are w << 16 | c, w << 16 | c + 1, ... can be added from its
    first word alone; another weight, a gap, a repeated neuron, a control field that would
    carry into the weight, or a pair that is not dense cannot."""
    def first_word(words, dense=True):
        words = np.array(words, dtype=np.uint32)
        ptr = np.arange(words.size + 1, dtype=np.int64)
        return int(uniform_words(np.array([0]), np.array([words.size]), np.array([dense]),
                                 ptr, words)[0])

    w = 7 << 16
    assert first_word([w | 3, w | 4, w | 5]) == w | 3
    assert first_word([w | 3]) == w | 3
    assert first_word([w | 3, (8 << 16) | 4, w | 5]) == -1
    assert first_word([w | 3, w | 5, w | 6]) == -1
    assert first_word([w | 3, w | 3]) == -1
    assert first_word([w | 0xFFFF, (8 << 16) | 0]) == -1
    assert first_word([w | 3, w | 4], dense=False) == -1


def _table(kinds, bounds):
    cores = np.zeros((len(kinds), kernel.N_CORE_COLS), dtype=np.int64)
    cores[:, kernel.C_KIND] = kinds
    cores[:, kernel.C_LO] = [b[0] for b in bounds]
    cores[:, kernel.C_HI] = [b[1] for b in bounds]
    return cores


def _plan(cores, routes, prow=None, net=None, recorded=(), lengths=None):
    """direct_sources on a routing table given as {key: [core, ...]} over keys 0..9, rows
    of one word unless ``lengths`` ({key: [length, ...]}) says otherwise."""
    n_keys = 10
    ptr = np.zeros(n_keys + 1, dtype=np.int64)
    word_ptr = np.zeros(n_keys + 1, dtype=np.int64)
    core, length = [], []
    for k in range(n_keys):
        core += routes.get(k, [])
        length += (lengths or {}).get(k, [1] * len(routes.get(k, [])))
        ptr[k + 1] = len(core)
        word_ptr[k + 1] = sum(length)
    rec = np.full(n_keys, -1, dtype=np.int64)
    rec[list(recorded)] = 0
    net = net if net is not None else ideal_network(np.zeros(n_keys, np.int64), len(cores), 1)
    prow = np.zeros(0, dtype=np.int32) if prow is None else np.asarray(prow, dtype=np.int32)
    return direct_sources(cores, ptr, word_ptr, np.array(core, dtype=np.int32),
                          np.array(length, dtype=np.int32), prow, net, rec, 6)


# neuron cores 0 (atoms 0-1) and 1 (2-3); Poisson cores 2 (keys 4-6) and 3 (keys 7-9)
CORES = _table([kernel.NEURON_CORE, kernel.NEURON_CORE, kernel.POISSON_CORE,
                kernel.POISSON_CORE], [(0, 2), (2, 4), (4, 7), (7, 10)])
ONE_TO_ONE = {4: [0], 5: [0], 6: [1], 7: [1], 8: [1], 9: [1]}


def test_one_to_one_poisson_cores_are_direct_with_their_key_ranges():
    is_direct, dptr, dsrc, dklo, dkhi, dense, split, counts = _plan(CORES, ONE_TO_ONE)
    assert is_direct.tolist() == [False, False, True, True]
    # core 0 <- Poisson core 2 (keys 4, 5); core 1 <- core 2 (key 6) and core 3 (7..9)
    assert dptr.tolist() == [0, 1, 3, 3, 3]
    assert dsrc.tolist() == [2, 2, 3]
    assert dklo.tolist() == [4, 6, 7]
    assert dkhi.tolist() == [6, 7, 10]
    assert dense.tolist() == [True, True, True]
    assert split.tolist() == [0, 0, 0]
    assert counts.shape == (2, 6)
    # a key without synapse (8) or with a two-word row (9) leaves the pair direct, not dense
    sparse = {k: v for k, v in ONE_TO_ONE.items() if k != 8}
    assert _plan(CORES, sparse)[5].tolist() == [True, True, False]
    assert _plan(CORES, ONE_TO_ONE, lengths={9: [2]})[5].tolist() == [True, True, False]


def test_cores_that_need_the_router_are_not_direct():
    # a key with two routes (core 2), a key to a delay-extension core (core 3)
    cores = CORES.copy()
    cores[1, kernel.C_KIND] = kernel.DELAY_CORE
    routes = {**ONE_TO_ONE, 5: [0, 0], 9: [1]}
    assert _plan(cores, routes)[0].tolist() == [False, False, False, False]
    # a plastic row (core 2), a recorded atom (core 3)
    prow = [-1, -1, 0, -1, -1, -1]
    assert _plan(CORES, ONE_TO_ONE, prow=prow, recorded=[8])[0].tolist() == [False] * 4
    # the fault model follows packets through routers: nothing is direct
    loss = PacketLoss(drop_probability=0.1).config()
    net = network_arrays(loss, np.zeros(10, np.int64), np.zeros(5, np.int64),
                         np.zeros(0, np.int64), np.zeros(0, np.int64),
                         np.zeros(6, np.int64), 1, 0, 4)
    assert not _plan(CORES, ONE_TO_ONE, net=net)[0].any()


def _network(record_sources: bool):
    """Neurons A, two Poisson drives one-to-one into A with core sizes that differ from A's
    (a drive core reaches two A cores, an A core two drive cores), then neurons B: A's
    inbox holds entries from source cores below and above the drives. A's ring buffer is
    scaled for a summed weight of 4 nA (sPyNNaker's max_expected_summed_weight), so cells
    that get packets from all of them saturate."""
    sim.setup(timestep=1.0)
    a = sim.Population(30, sim.IF_curr_exp(tau_refrac=1.0), label="A",
                       additional_parameters={"neurons_per_core": 10,
                                              "max_expected_summed_weight": [4.0, 4.0]})
    drives = [sim.Population(30, sim.SpikeSourcePoisson(rate=rate), label=f"drive{i}",
                             additional_parameters={"seed": 11 + i, "neurons_per_core": npc})
              for i, (rate, npc) in enumerate(((900.0, 15), (1500.0, 30)))]
    b = sim.Population(20, sim.IF_curr_exp(), label="B")
    for drive in drives:
        sim.Projection(drive, a, sim.OneToOneConnector(),
                       sim.StaticSynapse(weight=2.0, delay=1.0))
        if record_sources:
            drive.record("spikes")
    sim.Projection(a, a, sim.FixedProbabilityConnector(0.5, rng=NumpyRNG(seed=3)),
                   sim.StaticSynapse(weight=1.5, delay=1.0))
    sim.Projection(b, a, sim.AllToAllConnector(), sim.StaticSynapse(weight=1.5, delay=1.0))
    sim.Projection(a, b, sim.FixedProbabilityConnector(0.5, rng=NumpyRNG(seed=4)),
                   sim.StaticSynapse(weight=1.0, delay=2.0))
    a.record(["spikes", "v"])
    b.record("spikes")
    return a, b


def _run(record_sources: bool, chunks):
    a, b = _network(record_sources)
    for ms in chunks:
        sim.run(ms)
    toolchain = sim.simulator.state.toolchain
    prog = toolchain._program
    result = {
        "a": [st.magnitude.tolist() for st in a.get_data("spikes").segments[0].spiketrains],
        "b": [st.magnitude.tolist() for st in b.get_data("spikes").segments[0].spiketrains],
        "v": np.asarray(a.get_data("v").segments[0].filter(name="v")[0].magnitude),
        "saturated": toolchain.provenance["ring_buffer_saturations"],
        "spikes_sent": toolchain.provenance["spikes_sent"],
        "routed": toolchain.machine_stage.network["packets_routed"],
        "direct": direct_sources(
            prog.cores, prog.route_ptr, prog.word_ptr, prog.route_core, prog.route_len,
            prog.route_prow, ideal_network(np.zeros(1, np.int64), prog.cores.shape[0], 1),
            np.full(prog.route_ptr.size, -1, np.int64), 1)[0].sum(),
    }
    sim.end()
    return result


def test_direct_packets_give_the_routed_bits():
    routed = _run(True, [60])
    direct = _run(False, [60])
    assert direct["direct"] == 3  # both drives qualify (before recording is considered)
    assert routed["saturated"] > 100  # the order of additions matters in this network
    assert sum(map(len, routed["a"])) > 100 and sum(map(len, routed["b"])) > 20
    for key in ("a", "b", "saturated", "spikes_sent", "routed"):
        assert direct[key] == routed[key], key
    assert np.array_equal(direct["v"], routed["v"])


def test_direct_packets_across_split_runs():
    whole = _run(False, [60])
    split = _run(False, [1, 29, 30])
    for key in ("a", "b", "saturated", "spikes_sent", "routed"):
        assert split[key] == whole[key], key
    assert np.array_equal(split["v"], whole["v"])


def test_delay_extension_history_across_split_runs():
    """Delay-extension cores (§3.2: 256 neurons per core leave 32 ring-buffer slots, so a
    100 ms delay at dt 1 ms goes through one) skip the history rows of silent ticks; the flags are rebuilt
    from the history at each run, so split runs re-send the same delayed spikes."""
    def run(chunks):
        sim.setup(timestep=1.0)
        src = sim.Population(40, sim.SpikeSourcePoisson(rate=60.0), label="src",
                             additional_parameters={"seed": 5})
        post = sim.Population(300, sim.IF_curr_exp(), label="post")
        sim.Projection(src, post, sim.FixedProbabilityConnector(0.5, rng=NumpyRNG(seed=9)),
                       sim.StaticSynapse(weight=0.5, delay=100.0))
        post[:20].record(["spikes", "v"])
        for ms in chunks:
            sim.run(ms)
        prog = sim.simulator.state.toolchain._program
        n_delay_cores = int((prog.cores[:, kernel.C_KIND] == kernel.DELAY_CORE).sum())
        seg = post.get_data().segments[0]
        out = ([st.magnitude.tolist() for st in seg.spiketrains],
               np.asarray(seg.filter(name="v")[0].magnitude), n_delay_cores)
        sim.end()
        return out

    spikes, v, n_delay_cores = run([250])
    assert n_delay_cores >= 1
    assert sum(map(len, spikes)) > 20  # delayed input arrives and drives the neurons
    for chunks in ([120, 130], [99, 1, 150]):
        s2, v2, _ = run(chunks)
        assert s2 == spikes
        assert np.array_equal(v2, v)
