"""SpiNNaker machine sizes, cores per chip, SDRAM accounting and placement.

Sources: spec /work/shared/spec/spinnaker.md §3.3 (18 cores per chip, monitor + extra
monitor + gatherer -> 16 application cores, 15 on Ethernet chips; 123,469,792 SDRAM bytes
per chip; 4-chip board 2 x 2, 48-chip board 8 x 8 minus corners; full machine 10 cabinets x
5 frames x 24 boards = 1200 boards = 57,600 chips x 18 cores = 1,036,800 cores; 600 boards
is half), the portal guide /work/shared/seeds/003 (1,036,800 cores; 128 MB per chip shared
by 18 cores; 256 atoms per core; 250,675,200 atoms on the largest machine), §3.1/§3.2 for
the synaptic-row and ring-buffer sizes, §5 for the SynapseParams region.
"""

from __future__ import annotations

import numpy as np
import pyNN.neuroemu_spinnaker as sim
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroemu.errors import MappingError
from neuroemu.spinnaker import machine as mc
from neuroemu.spinnaker import placement as plc

# ---------------------------------------------------------------------------------------
# machine sizes (§3.3, portal guide)
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, chips, cores, boards", [
    ("4-chip board", 4, 72, 0),
    ("48-chip board", 48, 864, 1),
    ("600 boards", 28_800, 518_400, 600),
    ("5 cabinets", 28_800, 518_400, 600),
    ("full machine", 57_600, 1_036_800, 1200),
    ("10 cabinets", 57_600, 1_036_800, 1200),
])
def test_machine_sizes(name, chips, cores, boards):
    """§3.3: chips and cores of every selectable machine (cores = chips x 18)."""
    m = mc.resolve_machine(name)
    assert (m.n_chips, m.n_cores, m.n_boards) == (chips, cores, boards)


def test_full_machine_is_a_240_by_240_torus():
    """§3.3: 1200 boards = 400 triads of 12 x 12 chips; wrap-around links on the whole
    machine, so every chip has all six neighbours."""
    m = mc.resolve_machine("full machine")
    assert (m.width, m.height, m.wrap) == (240, 240, True)
    assert m.present.all()
    assert m.n_frames == 50


def test_48_chip_board_shape():
    """§3.3: 8 x 8 minus corners: chip (x, y) exists iff -3 <= x - y <= 4 (rows 5,6,7,8,7,6,5,4
    chips), the Ethernet chip is (0, 0)."""
    m = mc.resolve_machine("48-chip board")
    xs, ys = np.meshgrid(np.arange(8), np.arange(8), indexing="ij")
    expected = (xs - ys >= -3) & (xs - ys <= 4)
    assert np.array_equal(m.present, expected)
    assert m.present.sum(axis=0).tolist() == [5, 6, 7, 8, 7, 6, 5, 4]
    assert np.argwhere(m.ethernet).tolist() == [[0, 0]]


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=2, max_value=90))
def test_boards_are_whole_triads(n):
    """spalloc allocates triads of 3 boards: n boards -> ceil(n/3)*3 boards of 48 chips,
    which never overlap, one Ethernet chip each."""
    m = mc.resolve_machine(f"{n} boards")
    boards = -(-n // 3) * 3
    assert m.n_boards == boards
    assert m.n_chips == 48 * boards
    assert int(m.ethernet.sum()) == boards


def test_application_cores_per_chip():
    """§3.3: 16 application cores per chip, 15 on Ethernet chips (packet gatherer); 8 chips
    per board have 17 working cores (SpiNNMachine version_5 chip_core_map), so the virtual
    48-chip board has 40 x 18 + 8 x 17 = 856 cores and 15 + 39 x 16 + 8 x 15 = 759
    application cores."""
    m = mc.resolve_machine("48-chip board")
    assert m.app_cores(0, 0) == 15 and m.first_app_core(0, 0) == 3
    assert m.app_cores(1, 0) == 16 and m.first_app_core(1, 0) == 2
    assert m.app_cores(1, 1) == 15 and m.first_app_core(1, 1) == 2
    assert m.n_working_cores == 856
    assert m.n_app_cores == 759


def test_portal_capacity_statement():
    """Portal guide: 250,675,200 atoms on the largest machine = 256 atoms per core x 17
    application cores (18 minus the monitor) x 57,600 chips."""
    m = mc.resolve_machine("full machine", advanced_monitors=False).without_core_map()
    assert m.n_app_cores == 17 * 57_600
    assert 256 * m.n_app_cores == 250_675_200
    assert m.n_cores == 1_036_800


def test_unknown_machine_names_allowed_values():
    with pytest.raises(ValueError, match="48-chip board"):
        mc.resolve_machine("a big one")
    with pytest.raises(ValueError, match="1 to 1200 boards"):
        mc.resolve_machine("1201 boards")


def test_setup_selects_machine(tmp_path):
    sim.setup(timestep=1.0, machine="4-chip board", mapping_only=True, report_dir=tmp_path)
    sim.Population(10, sim.IF_curr_exp())
    sim.run(10)
    assert sim.simulator.state.toolchain.machine_stage.machine_map.machine.n_chips == 4
    sim.end()


@pytest.mark.parametrize("keyword, value, chips", [
    ("n_boards_required", 3, 144), ("n_chips_required", 48, 48),
    ("n_chips_required", 100, 144)])
def test_spynnaker_machine_size_keywords(tmp_path, keyword, value, chips):
    """sPyNNaker's setup(n_boards_required=...) / setup(n_chips_required=...): that many
    boards, or the fewest boards (whole triads beyond one) holding that many chips."""
    sim.setup(timestep=1.0, mapping_only=True, report_dir=tmp_path, **{keyword: value})
    sim.Population(10, sim.IF_curr_exp())
    sim.run(10)
    assert sim.simulator.state.toolchain.machine_stage.machine_map.machine.n_chips == chips
    sim.end()


# ---------------------------------------------------------------------------------------
# placement and capacity
# ---------------------------------------------------------------------------------------

def _one_neuron_cores(n, machine, tmp_path):
    sim.setup(timestep=1.0, machine=machine, mapping_only=True, report_dir=tmp_path)
    sim.set_number_of_neurons_per_core(sim.IF_curr_exp, 1)
    sim.Population(n, sim.IF_curr_exp(), label="one_per_core")
    sim.run(1)
    return sim.simulator.state.toolchain.machine_stage.machine_map


def test_one_board_just_fits(tmp_path):
    """759 application cores fill the 48 chips of one board exactly."""
    mm = _one_neuron_cores(759, "48-chip board", tmp_path)
    assert len(mm.placement.chips_used) == 48
    sim.end()


def test_one_board_just_too_small(tmp_path):
    """760 cores need a 49th chip: the error names the resource, needed and available."""
    with pytest.raises(MappingError, match=r"chips: needs 49 chips, the 48-chip board has "
                                           r"48 chips") as err:
        _one_neuron_cores(760, "48-chip board", tmp_path)
    assert (err.value.needed, err.value.available) == ("49 chips", "48 chips")
    sim.end()


def test_smallest_machine_is_chosen(tmp_path):
    """machine=None: one board while it fits, else the fewest triads (3 boards)."""
    mm = _one_neuron_cores(759, None, tmp_path)
    assert mm.machine.n_boards == 1
    sim.end()
    mm = _one_neuron_cores(760, None, tmp_path)
    assert mm.machine.n_boards == 3
    sim.end()


def test_placement_matches_spynnaker_virtual_board(tmp_path):
    """sPyNNaker 7.4.1 on a virtual 48-chip board (placement_by_core_using_graph.rpt, run
    here): 60 one-neuron IF_curr_exp cores then 1200 Poisson sources (500 per core) go to
    a0-14 (0,0) p3-17; a15-30 (1,0) p2-17; a31-45 (1,1) p2-16 (a 17-core chip);
    a46-59 (0,1) p2-15; b0:500 (0,1) p16; b500:1000 (0,1) p17; b1000:1200 (1,2) p2."""
    sim.setup(timestep=1.0, machine="48-chip board", mapping_only=True, report_dir=tmp_path)
    sim.set_number_of_neurons_per_core(sim.IF_curr_exp, 1)
    a = sim.Population(60, sim.IF_curr_exp(), label="a")
    b = sim.Population(1200, sim.SpikeSourcePoisson(rate=5.0), label="b")
    sim.Projection(b, a, sim.FixedProbabilityConnector(0.01, rng=sim.NumpyRNG(1)),
                   sim.StaticSynapse(weight=0.1, delay=1.0))
    sim.run(10)
    pl = sim.simulator.state.toolchain.machine_stage.machine_map.placement
    got = [(int(x), int(y), int(p)) for (x, y), p in zip(pl.chip, pl.processor)]
    expected = ([(0, 0, p) for p in range(3, 18)] + [(1, 0, p) for p in range(2, 18)]
                + [(1, 1, p) for p in range(2, 17)] + [(0, 1, p) for p in range(2, 16)]
                + [(0, 1, 16), (0, 1, 17), (1, 2, 2)])
    assert got == expected
    sim.end()


def test_processor_numbers_and_order(tmp_path):
    """p0 SC&MP, p1 gatherer, p2 monitor on the Ethernet chip -> apps p3..p17 (15);
    p0 SC&MP, p1 extra monitor elsewhere -> apps p2..p17 (16)."""
    mm = _one_neuron_cores(40, "48-chip board", tmp_path)
    chip, proc = mm.placement.chip, mm.placement.processor
    assert chip[:15].tolist() == [[0, 0]] * 15
    assert proc[:15].tolist() == list(range(3, 18))
    assert (chip[15:31] == chip[15]).all() and tuple(chip[15]) != (0, 0)
    assert proc[15:31].tolist() == list(range(2, 18))
    sim.end()


def test_placement_deterministic(tmp_path):
    def build():
        sim.setup(timestep=1.0, mapping_only=True, report_dir=tmp_path)
        a = sim.Population(700, sim.IF_curr_exp(), label="a")
        b = sim.Population(300, sim.SpikeSourcePoisson(rate=5.0), label="b")
        sim.Projection(b, a, sim.FixedProbabilityConnector(0.1),
                       sim.StaticSynapse(weight=0.1, delay=40.0))
        sim.run(10)
        mm = sim.simulator.state.toolchain.machine_stage.machine_map
        out = (mm.placement.chip.copy(), mm.placement.processor.copy(),
               mm.tables.key_base.copy(), mm.tables.key.copy(), mm.tables.route.copy())
        sim.end()
        return out

    for x, y in zip(build(), build()):
        assert np.array_equal(x, y)


@settings(max_examples=40, deadline=None)
@given(sdram=st.lists(st.integers(1, 60_000_000), min_size=1, max_size=200),
       machine=st.sampled_from(["4-chip board", "48-chip board"]))
def test_placement_respects_chip_limits(sdram, machine):
    """Whatever the cores need: per chip at most its application cores, SDRAM at most
    123,469,792 bytes, distinct processors from the first application core up to p17;
    a network that does not fit raises MappingError instead."""
    m = mc.resolve_machine(machine)
    need = np.array(sdram, dtype=np.int64)
    try:
        p = plc.place(m, need, np.zeros(need.size, np.int64), np.zeros(need.size), 0, str)
    except MappingError as err:
        assert err.resource == "chips"
        return
    for xy in {tuple(c) for c in p.chip.tolist()}:
        here = (p.chip == xy).all(axis=1)
        assert here.sum() <= m.app_cores(*xy)
        assert need[here].sum() <= m.app_sdram(*xy) < mc.SDRAM_PER_CHIP
        procs = p.processor[here]
        assert len(set(procs.tolist())) == procs.size
        assert procs.min() >= m.first_app_core(*xy)
        assert procs.max() < m.working[xy]


def test_sdram_fills_chips():
    """Cores of 50,000,000 bytes: two share a chip (100 MB <= 123,469,792 minus the
    monitor cores' ~1 MB), three do not."""
    m = mc.resolve_machine("4-chip board")
    sdram = np.full(7, 50_000_000, dtype=np.int64)
    one_vertex = np.zeros(7, dtype=np.int64)
    p = plc.place(m, sdram, np.zeros(7, np.int64), np.zeros(7), 0, str, one_vertex)
    # neighbours of (0, 0) in link order E, NE, N
    assert [tuple(c) for c in p.chip] == [(0, 0)] * 2 + [(1, 0)] * 2 + [(1, 1)] * 2 + [(0, 1)]
    with pytest.raises(MappingError, match="needs 5 chips"):
        plc.place(m, np.full(9, 50_000_000, dtype=np.int64), np.zeros(9, np.int64),
                  np.zeros(9), 0, str, np.zeros(9, dtype=np.int64))


def test_core_over_chip_sdram_or_dtcm():
    """A chip leaves 123,469,792 - 488,476 (extra monitor) = 122,981,316 bytes to
    application cores (sPyNNaker 7.4.1 virtual board); DTCM is 64 KiB per core."""
    m = mc.resolve_machine("4-chip board")
    plc.place(m, np.array([122_981_316]), np.zeros(1, np.int64), np.zeros(1), 0, str)
    with pytest.raises(MappingError, match=r"SDRAM: needs 122981317 bytes, a chip \(after "
                                           r"its monitor cores\) has 122981316 bytes"):
        plc.place(m, np.array([122_981_317]), np.zeros(1, np.int64), np.zeros(1), 0,
                  lambda c: f"core {c}")
    with pytest.raises(MappingError, match=r"DTCM: needs 65537 bytes, a core has 65536"):
        plc.place(m, np.array([10]), np.array([65_537]), np.zeros(1), 0, str)


def test_recording_splits_the_run():
    """sPyNNaker plans 1000 ticks of recording; the Ethernet chip (0, 0) then has
    123,469,792 - 488,476 - 477,250 - 1,000,000 = 121,504,066 free bytes, i.e. 121,504
    ticks of 1000 bytes: a 200,000-tick run is split into 2 chunks."""
    m = mc.resolve_machine("4-chip board")
    p = plc.place(m, np.array([1_000_000]), np.zeros(1, np.int64), np.array([1000.0]),
                  200_000, str)
    assert (p.chunk_ticks, p.n_chunks) == (121_504, 2)
    assert p.sdram[0] == 1_000_000 + 121_504_000
    short = plc.place(m, np.array([1_000_000]), np.zeros(1, np.int64), np.array([1000.0]),
                      5000, str)
    assert (short.chunk_ticks, short.n_chunks) == (5000, 1)


def test_recording_that_never_fits_raises():
    """Even the planned 1000 ticks of 200,000 bytes (200 MB) exceed a chip."""
    m = mc.resolve_machine("4-chip board")
    with pytest.raises(MappingError, match="SDRAM"):
        plc.place(m, np.array([1000]), np.zeros(1, np.int64), np.array([200_000.0]),
                  5000, str)


# ---------------------------------------------------------------------------------------
# SDRAM regions (sPyNNaker accounting)
# ---------------------------------------------------------------------------------------

def test_sdram_regions_match_spynnaker_data_spec(tmp_path):
    """The guidebook example (examples/simple_example.py), mapped by sPyNNaker 7.4.1 on a
    virtual 48-chip board (data_spec_text_files/dataSpec_0_0_3.txt and _0_0_4.txt):
    neuron core (0,0,3): Neuron Core Params 428 + neuron_params 6804 + initial_values 6804
    + neuron_builder 560 + neuron recording 852 = 15,448; SynapseParams 36; PopTable 32;
    SynBlocks 1616 (100 one-synapse rows x 4 words x 4 bytes written + 16); fixed regions
    12+112+4+76+4+96+56 = 360; recording 20 bytes per tick ("20.0 per-timestep").
    Poisson core (0,0,4): PoissonParams 460 + PoissonRates 3200 + Expander 3608 = 7268;
    fixed 12+16+28+4+212 = 272."""
    sim.setup(timestep=1.0, min_delay=1.0, mapping_only=True, report_dir=tmp_path)
    cell_params = {'cm': 0.25, 'tau_m': 10.0, 'tau_refrac': 2.0, 'tau_syn_E': 2.5,
                   'tau_syn_I': 2.5, 'v_reset': -70.0, 'v_rest': -65.0, 'v_thresh': -55.0}
    neurons = sim.Population(100, sim.IF_cond_exp(**cell_params))
    inputs = sim.Population(100, sim.SpikeSourcePoisson(rate=0.0))
    inputs.set(rate=np.linspace(0.0, 1000.0, num=inputs.size))
    sim.Projection(inputs, neurons, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=0.1, delay=2.0))
    neurons.record("spikes")
    sim.run(10_000.0)
    rep = sim.simulator.state.toolchain.machine_stage.last_report
    neuron, poisson = rep["cores"]
    assert (neuron["x"], neuron["y"], neuron["p"]) == (0, 0, 3)
    assert (poisson["x"], poisson["y"], poisson["p"]) == (0, 0, 4)
    assert neuron["sdram"]["neuron_params"] == 15_448
    assert neuron["sdram"]["synapse_params"] == 36
    assert neuron["sdram"]["population_table"] == 32
    assert neuron["sdram"]["synaptic_matrix"] == 1616
    assert neuron["sdram"]["system"] == 360
    assert neuron["sdram"]["recording"] == 20 * 10_000
    assert poisson["sdram"]["source_params"] == 7268
    assert poisson["sdram"]["system"] == 272
    chip = rep["chips"][0]
    assert chip["system_sdram"] == 488_476 + 477_250
    sim.end()


def test_sdram_rows_blocks_and_ring_buffers(tmp_path):
    """100 sources (one core) all-to-all onto 50 neurons: one synaptic block of
    100 rows x (3 header words + 50 synapses) x 4 bytes = 21,200 (+16) bytes; population
    table (3 + 5) words = 32 bytes; ring buffer 1 slot x 2 types x 2^6 neurons x 2 bytes
    = 256 bytes DTCM; spikes of 50 neurons for 1000 ticks = 1000 x (1 + 2) words =
    12,000 bytes; v of 10 neurons = 1000 x (1 + 10) words = 44,000 bytes."""
    sim.setup(timestep=1.0, mapping_only=True, report_dir=tmp_path)
    pre = sim.Population(100, sim.SpikeSourcePoisson(rate=10.0), label="pre")
    post = sim.Population(50, sim.IF_curr_exp(), label="post")
    sim.Projection(pre, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1, delay=1))
    post.record("spikes")
    post[:10].record("v")
    sim.run(1000)
    rep = sim.simulator.state.toolchain.machine_stage.last_report
    core = next(c for c in rep["cores"] if c["population"] == "post")
    assert core["sdram"]["synaptic_matrix"] == 21_200 + 16
    assert core["sdram"]["population_table"] == 32
    assert core["sdram"]["recording"] == 12_000 + 44_000
    assert core["dtcm"]["ring_buffers"] == 256
    sim.end()


def test_ring_buffer_of_three_synapse_types(tmp_path):
    """IF_curr_dual_exp has three synapse types, so two type bits (spec §1.4: the ring
    holds 2^(delay bits + type bits + index bits) uint16 cells): 1 slot x 4 x 2^6 neurons x
    2 bytes = 512 bytes of DTCM, not the 256 of two types."""
    sim.setup(timestep=1.0, mapping_only=True, report_dir=tmp_path)
    pre = sim.Population(100, sim.SpikeSourcePoisson(rate=10.0), label="pre")
    post = sim.Population(50, sim.extra_models.IF_curr_dual_exp(), label="post")
    sim.Projection(pre, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1, delay=1))
    sim.run(1000)
    rep = sim.simulator.state.toolchain.machine_stage.last_report
    core = next(c for c in rep["cores"] if c["population"] == "post")
    assert core["dtcm"]["ring_buffers"] == 512
    sim.end()


def _run(chip, first, n):
    return [(chip[0], chip[1], p) for p in range(first, first + n)]


def test_brunel_10k_placement_matches_spynnaker(tmp_path):
    """benchmarks/bench_mapping.py's 10k network, mapped by sPyNNaker 7.4.1 on a virtual
    48-chip board (placement_by_core_using_graph.rpt, run here): each population starts
    where the previous one started if there is room, else on the next chip in x-major
    order, and grows into neighbouring chips (E of (0, 0) is (1, 0), E of (0, 1) is (1, 1)).
    Region sizes from dataSpec_0_0_3.txt (256 IF_curr_exp, 3 source populations of 8000,
    2000, 8000 atoms: ConnectorBuilder 104, bit_field 2356, Neuron Core Params 1052,
    neuron_params = initial_values 15364, neuron_builder 520, neuron recording 2100, PopTable
    80) and dataSpec_0_1_10.txt (500 Poisson: PoissonParams 2060, PoissonRates 16000,
    Expander 18008, sdram edge params 1012)."""
    sim.setup(timestep=1.0, machine="48-chip board", mapping_only=True, report_dir=tmp_path)
    exc = sim.Population(8000, sim.IF_curr_exp(), label="exc")
    inh = sim.Population(2000, sim.IF_curr_exp(), label="inh")
    rng = sim.NumpyRNG(seed=42)
    for post in (exc, inh):
        noise = sim.Population(post.size, sim.SpikeSourcePoisson(rate=10.0))
        sim.Projection(exc, post, sim.FixedNumberPreConnector(80, rng=rng),
                       sim.StaticSynapse(weight=0.1, delay=1.5), receptor_type="excitatory")
        sim.Projection(inh, post, sim.FixedNumberPreConnector(20, rng=rng),
                       sim.StaticSynapse(weight=-0.5, delay=1.5), receptor_type="inhibitory")
        sim.Projection(noise, post, sim.OneToOneConnector(),
                       sim.StaticSynapse(weight=0.2, delay=1.0))
        post.record("spikes")
    sim.run(1000)
    pl = sim.simulator.state.toolchain.machine_stage.machine_map.placement
    got = [(int(x), int(y), int(p)) for (x, y), p in zip(pl.chip, pl.processor)]
    expected = (_run((0, 0), 3, 15) + _run((1, 0), 2, 16) + _run((1, 1), 2, 1)     # exc
                + _run((0, 1), 2, 8)                                              # inh
                + _run((0, 1), 10, 8) + _run((1, 1), 3, 8)                        # noise exc
                + _run((0, 2), 2, 4))                                             # noise inh
    assert got == expected
    # regions of the data specifications sPyNNaker wrote for (0,0,3) and (0,1,10)
    rep = sim.simulator.state.toolchain.machine_stage.last_report
    exc0 = rep["cores"][0]
    assert exc0["sdram"]["system"] == 12 + 112 + 4 + 76 + 4 + 104 + 2356
    assert exc0["sdram"]["neuron_params"] == 1052 + 15364 + 15364 + 520 + 2100
    assert exc0["sdram"]["synapse_params"] == 36
    assert exc0["sdram"]["population_table"] == 80
    assert exc0["sdram"]["recording"] == 36 * 1000          # "Per_timestep 36.0 bytes"
    # SynBlocks: 8 header bytes aligned to 16, then per source core 256 (or 500) rows of
    # 27 + 3 words (exc, 32 cores), 26 + 3 (inh, 8 cores), 1 + 3 (noise, 16 cores)
    assert exc0["sdram"]["synaptic_matrix"] == 1_348_624 == (
        16 + 32 * 256 * 30 * 4 + 8 * 256 * 29 * 4 + 16 * 500 * 4 * 4)
    noise0 = next(c for c in rep["cores"] if (c["x"], c["y"], c["p"]) == (0, 1, 10))
    assert noise0["sdram"]["source_params"] == 2060 + 16000 + 18008
    assert noise0["sdram"]["system"] == 12 + 16 + 28 + 4 + 1012
    sim.end()


def test_reserved_synaptic_matrix_rules(tmp_path):
    """sPyNNaker's SynBlocks sizing: all-to-all 10 sources -> 300 neurons (256 per core,
    32 ring slots) with a 40 ms delay: every row is delayed (1 stage), so each core holds
    one delayed block of 10 rows x (n_post_atoms + 3) words after the 8-byte header aligned
    to 16: 16 + 10 x 259 x 4 = 10,376 and 16 + 10 x 47 x 4 = 1,896 bytes.
    Fixed probability 0.1 from 1000 sources onto 256 neurons: rows of the binomial bound
    ppf(1 - 1e-4 / (1000 x 256), 256, 0.1) words; 4 source cores, each block sized for
    256 rows (sPyNNaker sizes every sub-edge for the largest slice)."""
    from scipy import stats

    sim.setup(timestep=1.0, mapping_only=True, report_dir=tmp_path)
    pre = sim.Population(10, sim.SpikeSourceArray(spike_times=[]), label="pre")
    post = sim.Population(300, sim.IF_curr_exp(), label="post")
    sim.Projection(pre, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.1, delay=40))
    many = sim.Population(1000, sim.IF_curr_exp(), label="many")
    few = sim.Population(256, sim.IF_curr_exp(), label="few")
    sim.Projection(many, few, sim.FixedProbabilityConnector(0.1, rng=sim.NumpyRNG(3)),
                   sim.StaticSynapse(weight=0.1, delay=1))
    sim.run(10)
    rep = sim.simulator.state.toolchain.machine_stage.last_report
    by = {(c["population"], c["slice"][0]): c["sdram"]["synaptic_matrix"] for c in rep["cores"]}
    assert by[("post", 0)] == 16 + 10 * 259 * 4
    assert by[("post", 256)] == 16 + 10 * 47 * 4
    rows = int(stats.binom.ppf(1 - 1e-4 / (1000 * 256), 256, 0.1))
    assert by[("few", 0)] == 16 + 4 * 256 * (rows + 3) * 4
    sim.end()
