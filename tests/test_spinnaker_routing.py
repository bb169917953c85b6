"""Multicast keys, routing trees and router tables of the SpiNNaker machine model.

Rules (spec §3.3; SpiNNaker router behaviour; sPyNNaker 7.4.1 connected vertices): every
packet a core sends reaches exactly the cores its population is connected to (all cores of
the target population for random connectors, the cores holding synapses for one-to-one and
from-list), never fewer than the cores holding its rows; a router with no matching entry
sends a packet straight on (default route);
at most 1023 entries per chip after compression, else a mapping error.
"""

from __future__ import annotations

import numpy as np
import pyNN.neuroemu_spinnaker as sim
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuroemu.errors import MappingError
from neuroemu.spinnaker import machine as mc
from neuroemu.spinnaker import routing_tables as rt
from neuroemu.spinnaker.core_graph import CoreGraph
from neuroemu.spinnaker.placement import Placement, place


def _xyp(placement, cores):
    return {(int(placement.chip[t, 0]), int(placement.chip[t, 1]),
             int(placement.processor[t])) for t in cores}


def _row_targets(program, first_key, n_keys, core):
    """Cores holding a synaptic row (or delay input) for any key of ``core``."""
    keys = np.arange(first_key[core], first_key[core] + n_keys[core])
    return {int(program.route_core[r]) for k in keys
            for r in range(program.route_ptr[k], program.route_ptr[k + 1])}


def _population_targets(program, projections, core):
    """sPyNNaker 7.4.1 connected vertices for random connectors: every core of a source
    population (or of its delay-extension vertex, when delayed rows exist) sends to every
    core of each target population."""
    m = program.mapping
    info = program._core_rows[core] if core < len(program._core_rows) else None
    out = set()
    for proj in projections:
        if isinstance(proj._connector, sim.OneToOneConnector):
            continue                     # only the cores holding synapses (row targets)
        post = m.layout(proj.post)
        cores = range(post.first_core, post.first_core + post.n_cores)
        if info is not None and info[0].population is proj.pre:
            out.update(cores)
        elif info is None:
            dc = program.delay_cores[core - len(program._core_rows)]
            pl = m.projections[id(proj)]
            delayed = (pl.delays() - 1) // post.slots > 0
            if dc["population"] is proj.pre and dc["slots"] == post.slots and delayed.any():
                out.update(cores)
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sizes=st.lists(st.sampled_from([1, 7, 60, 60, 256, 300]), min_size=2, max_size=4),
       per_core=st.sampled_from([1, 2, 5, 128, 256]),
       links=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3),
                                st.floats(0.005, 0.2), st.integers(1, 150),
                                st.sampled_from(["probability", "one_to_one", "all"])),
                      min_size=1, max_size=5),
       machine=st.sampled_from(["4-chip board", "48-chip board", "3 boards"]),
       seed=st.integers(0, 2**16))
def test_every_packet_reaches_exactly_its_target_cores(tmp_path_factory, sizes, per_core,
                                                       links, machine, seed):
    sim.setup(timestep=1.0, machine=machine, mapping_only=True,
              report_dir=tmp_path_factory.mktemp("r"))
    sim.set_number_of_neurons_per_core(sim.IF_curr_exp, per_core)
    pops = [sim.Population(n, sim.IF_curr_exp(), label=f"p{i}") for i, n in enumerate(sizes)]
    rng = sim.NumpyRNG(seed=seed)
    for a, b, p, d, kind in links:
        pre, post = pops[a % len(pops)], pops[b % len(pops)]
        if kind == "one_to_one" and pre.size == post.size:
            connector = sim.OneToOneConnector()
        elif kind == "all" and pre.size * post.size <= 3000:
            connector = sim.AllToAllConnector()
        else:
            connector = sim.FixedProbabilityConnector(p, rng=rng)
        sim.Projection(pre, post, connector, sim.StaticSynapse(weight=0.1, delay=float(d)))
    try:
        sim.run(1)
    except MappingError as err:          # a 4-chip board holds 63 application cores
        assert err.resource == "chips"
        sim.end()
        return
    tc = sim.simulator.state.toolchain
    mm = tc.machine_stage.machine_map
    prog, pl, tables, graph = tc._program, mm.placement, mm.tables, mm.graph
    for core in range(prog.cores.shape[0]):
        rows = _row_targets(prog, graph.first_key, graph.n_keys, core)
        expected = _xyp(pl, rows | _population_targets(prog, sim.simulator.state.projections,
                                                        core))
        for k in range(int(graph.n_keys[core])):
            key = int(tables.key_base[core]) + k
            reached = rt.trace_packet(mm.machine, tables, tuple(pl.chip[core]), key)
            assert reached == expected
            assert _xyp(pl, rows) <= reached
    for n in tables.entries_per_chip().values():
        assert n <= mc.ROUTER_ENTRIES
    sim.end()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 5000), min_size=1, max_size=60))
def test_key_blocks_aligned_and_disjoint(n_keys):
    base, mask = rt.allocate_keys(np.array(n_keys))
    size = (~mask & 0xFFFFFFFF) + 1
    assert (size >= np.array(n_keys)).all() and (size < 2 * np.array(n_keys)).all()
    assert (base % size == 0).all()
    assert (base[1:] >= base[:-1] + size[:-1]).all()


def test_keys_are_aligned_blocks():
    """Each core's keys are a block of 2^ceil(log2 n) keys, aligned, disjoint, in order."""
    base, mask = rt.allocate_keys(np.array([256, 100, 1, 500, 3]))
    assert base.tolist() == [0, 256, 384, 512, 1024]
    assert mask.tolist() == [0xFFFFFF00, 0xFFFFFF80, 0xFFFFFFFF, 0xFFFFFE00, 0xFFFFFFFC]


def test_buddy_merging_is_exact():
    """Same-route entries 0,1,2,3 (single keys) merge into one entry 0/~3; 0,1,2 into
    0/~1 and 2; different routes never merge."""
    full = np.int64(0xFFFFFFFF)

    def comp(keys, routes):
        k = np.array(keys, dtype=np.int64)
        return rt._compress(np.zeros(k.size, np.int64), k, np.full(k.size, full),
                            np.array(routes, dtype=np.int64))

    _, key, mask, _ = comp([0, 1, 2, 3], [5, 5, 5, 5])
    assert (key.tolist(), mask.tolist()) == ([0], [0xFFFFFFFC])
    _, key, mask, _ = comp([0, 1, 2], [5, 5, 5])
    assert sorted(zip(key.tolist(), mask.tolist())) == [(0, 0xFFFFFFFE), (2, 0xFFFFFFFF)]
    _, key, _, _ = comp([0, 1], [5, 6])
    assert sorted(key.tolist()) == [0, 1]


def _graph(n_cores, src, tgt):
    n_keys = np.ones(n_cores, dtype=np.int64)
    return CoreGraph(np.arange(n_cores), np.arange(n_cores), n_keys, np.array(src),
                     np.array(tgt), np.ones(len(src), dtype=np.int64))


def test_straight_line_uses_default_routes():
    """A packet from (0,0) to (4,0) crosses (1,0),(2,0),(3,0) eastwards: those routers
    need no entry (default route = straight on); tables hold 2 entries, the packet still
    arrives."""
    m = mc.resolve_machine("48-chip board")
    pl = Placement(m, np.array([[0, 0], [4, 0]]), np.array([3, 2]), np.zeros(2, np.int64),
                   0, 0)
    tables = rt.build_routing_tables(m, pl, _graph(2, [0], [1]))
    assert tables.uncompressed_per_chip() == {(0, 0): 1, (1, 0): 1, (2, 0): 1, (3, 0): 1,
                                              (4, 0): 1}
    assert tables.entries_per_chip() == {(0, 0): 1, (4, 0): 1}
    assert rt.trace_packet(m, tables, (0, 0), int(tables.key_base[0])) == {(4, 0, 2)}


def test_full_machine_wraps_around():
    """On the 240 x 240 torus chip (239, 0) is one hop west of (0, 0)."""
    m = mc.resolve_machine("full machine")
    pl = Placement(m, np.array([[0, 0], [239, 0]]), np.array([3, 2]), np.zeros(2, np.int64),
                   0, 0)
    tables = rt.build_routing_tables(m, pl, _graph(2, [0], [1]))
    assert tables.uncompressed_per_chip() == {(0, 0): 1, (239, 0): 1}
    assert rt.trace_packet(m, tables, (0, 0), int(tables.key_base[0])) == {(239, 0, 2)}


def _many_sources(n_sources):
    """``n_sources`` single-key cores all sending to the two cores on chip (0, 0); their
    routes alternate between the two processors so that no two neighbouring key blocks
    share a route and nothing can merge."""
    m = mc.resolve_machine("3 boards")
    n = n_sources + 2
    pl = place(m, np.full(n, 1000, dtype=np.int64), np.zeros(n, np.int64), np.zeros(n), 0,
               str)
    src = np.arange(2, n)
    return m, pl, _graph(n, src, src % 2)


def test_router_table_limit():
    """1100 unmergeable entries on chip (0, 0) exceed the 1023 entries of a router."""
    m, pl, graph = _many_sources(1000)
    tables = rt.build_routing_tables(m, pl, graph)
    assert tables.entries_per_chip()[(0, 0)] == 1000
    m, pl, graph = _many_sources(1100)
    with pytest.raises(MappingError, match=r"router entries: needs 1100, chip \(0, 0\) has "
                                           r"1023"):
        rt.build_routing_tables(m, pl, graph)


def test_delay_extension_cores_are_placed_and_routed(tmp_path):
    """§3.2: 256 neurons per core leave 32 ring-buffer slots, so a 100 ms delay needs a
    delay-extension vertex (one core per source core). It gets its own processor, the
    source's packets reach it, and its stage keys reach the target cores."""
    sim.setup(timestep=1.0, mapping_only=True, report_dir=tmp_path)
    a = sim.Population(300, sim.IF_curr_exp(), label="a")
    b = sim.Population(300, sim.IF_curr_exp(), label="b")
    sim.Projection(a, b, sim.FixedProbabilityConnector(0.05, rng=sim.NumpyRNG(7)),
                   sim.StaticSynapse(weight=0.1, delay=100.0))
    sim.run(1)
    tc = sim.simulator.state.toolchain
    mm = tc.machine_stage.machine_map
    pl, tables, graph = mm.placement, mm.tables, mm.graph
    kinds = [i.kind for i in mm.core_info]
    assert kinds == ["neurons"] * 4 + ["delay_extension"] * 2
    where = {(int(x), int(y), int(p)) for (x, y), p in zip(pl.chip, pl.processor)}
    assert len(where) == 6
    delay_cores = [4, 5]
    for src in (0, 1):
        reached = rt.trace_packet(mm.machine, tables, tuple(pl.chip[src]),
                                  int(tables.key_base[src]))
        dc = delay_cores[src]
        assert (int(pl.chip[dc, 0]), int(pl.chip[dc, 1]), int(pl.processor[dc])) in reached
    for dc in delay_cores:
        assert graph.n_keys[dc] >= 128           # stages x atoms of the source slice
        reached = rt.trace_packet(mm.machine, tables, tuple(pl.chip[dc]),
                                  int(tables.key_base[dc]))
        assert reached and reached <= {(int(x), int(y), int(p)) for (x, y), p in
                                       zip(pl.chip[2:4], pl.processor[2:4])}
    sim.end()
