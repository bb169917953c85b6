"""Synaptic rows (spinnaker/synaptic_rows.py): every connection is one word, in the row of
its key and target core, encoded as spec §1.4 says; rows stored compactly.

The reference is a per-connection re-implementation of the spec's rules written here:
word = weight(16) | delay | synapse_type | neuron_index with index = log_n_neurons bits,
type = 1 bit for two synapse types; ``stage = (d - 1) // slots`` and remaining delay
``d - stage * slots`` (spec §3, delay extensions); weight ``rint(|w| * 2**(15 - shift))``.
"""

from __future__ import annotations

import collections

import numpy as np
import pyNN.neuroemu_spinnaker as sim
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuroemu.errors import MappingError
from neuroemu.spinnaker import kernel, synaptic_rows


def _build(tmp_path, sizes, per_core, links, seed, dt=1.0):
    sim.setup(timestep=dt, mapping_only=True, report_dir=tmp_path)
    sim.set_number_of_neurons_per_core(sim.IF_curr_exp, per_core)
    pops = [sim.Population(n, sim.IF_curr_exp(), label=f"p{i}") for i, n in enumerate(sizes)]
    rng = sim.NumpyRNG(seed=seed)
    projections = []
    for a, b, p, delay, inhibitory in links:
        pre, post = pops[a % len(pops)], pops[b % len(pops)]
        low, high = (-2.0, -0.1) if inhibitory else (0.1, 2.0)
        weight = sim.RandomDistribution("uniform", (low, high), rng=rng)
        projections.append(sim.Projection(
            pre, post, sim.FixedProbabilityConnector(p, rng=rng),
            sim.StaticSynapse(weight=weight, delay=float(delay)),
            receptor_type="inhibitory" if inhibitory else "excitatory"))
    sim.run(10.0)
    toolchain = sim.simulator.state.toolchain
    return pops, projections, toolchain._program


def _reference_words(program, pops, projections, dt):
    """(key, core, word) of every connection, from the spec's rules, one at a time."""
    m = program.mapping
    out = []
    for proj in projections:
        post_layout = m.layout(proj.post)
        pre_offset = m.layout(proj.pre).offset
        s = 1 if proj.receptor_type == "inhibitory" else 0
        scale = 2.0 ** (15 - post_layout.shifts[s])
        slots = post_layout.slots
        n_bits = post_layout.atom_bits
        for i, j, w, d_ms in zip(proj._pre_idx, proj._post_idx, proj._values["weight"],
                                 proj._values["delay"]):
            d = max(1, int(np.rint(d_ms / dt)))
            atom = post_layout.offset + int(j)
            core = int(program.core_of_atom[atom])
            local = atom - int(program.cores[core, kernel.C_LO])
            stage = (d - 1) // slots
            remaining = d - stage * slots
            weight_int = int(np.rint(abs(w) * scale))
            word = (weight_int << 16) | ((remaining & (slots - 1)) << (n_bits + 1)) | \
                (s << n_bits) | local
            key = pre_offset + int(i)
            if stage > 0:
                dc = next(dc for dc in program.delay_cores
                          if dc["population"] is proj.pre and dc["slots"] == slots
                          and dc["lo"] <= key < dc["hi"])
                key = dc["key0"] + (stage - 1) * (dc["hi"] - dc["lo"]) + key - dc["lo"]
            out.append((key, core, word))
    return out


def _program_words(program):
    """(key, core, word) of every word, walking keys -> rows -> words as the kernel does."""
    out = []
    for key in range(program.n_keys):
        start = program.word_ptr[key]
        for r in range(program.route_ptr[key], program.route_ptr[key + 1]):
            length = int(program.route_len[r])
            for w in range(start, start + length):
                out.append((key, int(program.route_core[r]), int(program.words[w])))
            start += length
        assert start == program.word_ptr[key + 1]
    return out


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.sampled_from([1, 5, 40, 130]), min_size=1, max_size=3),
       per_core=st.sampled_from([1, 7, 32, 256]),
       links=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2), st.floats(0.05, 0.6),
                                st.integers(1, 40), st.booleans()), min_size=1, max_size=4),
       seed=st.integers(0, 2**16))
def test_every_connection_is_one_word_in_its_key_and_core_row(tmp_path_factory, sizes,
                                                              per_core, links, seed):
    pops, projections, program = _build(tmp_path_factory.mktemp("r"), sizes, per_core, links,
                                        seed)
    expected = collections.Counter(_reference_words(program, pops, projections, 1.0))
    got = collections.Counter(_program_words(program))
    assert got == expected
    assert program.n_synapses == sum(len(p) for p in projections)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.sampled_from([3, 40, 130]), min_size=1, max_size=3),
       per_core=st.sampled_from([7, 32]),
       links=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2), st.floats(0.05, 0.6),
                                st.integers(1, 40), st.booleans()), min_size=1, max_size=4),
       seed=st.integers(0, 2**16))
def test_rows_of_a_key_are_one_per_core_in_core_order(tmp_path_factory, sizes, per_core,
                                                      links, seed):
    *_, program = _build(tmp_path_factory.mktemp("r"), sizes, per_core, links, seed)
    n_population_cores = program.mapping.n_population_cores
    for key in range(program.n_keys):
        rows = range(program.route_ptr[key], program.route_ptr[key + 1])
        cores = [int(program.route_core[r]) for r in rows]
        synaptic = [c for c, r in zip(cores, rows) if program.route_len[r] > 0]
        delay = [c for c, r in zip(cores, rows) if program.route_len[r] == 0]
        assert synaptic == sorted(set(synaptic))          # one row per core, in core order
        assert all(c >= n_population_cores for c in delay)  # delay-extension cores last
        assert cores == synaptic + delay


def test_storage_is_the_word_plus_six_bytes_per_row(tmp_path):
    """4-byte word per synapse (spec §1.4), 4-byte core and 2-byte length per row, two
    8-byte pointers per key; dense rows come to under 6 bytes per synapse."""
    *_, program = _build(tmp_path, [200, 200], 100, [(0, 1, 0.5, 1, False)], seed=3)
    n_rows = program.route_core.size
    assert program.synapse_bytes == (4 * program.n_synapses + 6 * n_rows +
                                     16 * (program.n_keys + 1))
    assert program.synapse_bytes / program.n_synapses < 6.0


def test_the_build_numbers_cores_in_two_bytes_up_to_65536_cores():
    assert synaptic_rows.core_dtype(1) is np.uint16
    assert synaptic_rows.core_dtype(1 << 16) is np.uint16
    assert synaptic_rows.core_dtype((1 << 16) + 1) is np.int32


def test_four_byte_core_numbers_build_the_same_rows(tmp_path, monkeypatch):
    """Beyond 65,536 cores the build numbers cores in four bytes; the rows are the same."""
    links = [(0, 1, 0.3, 5, False), (1, 0, 0.2, 30, True), (0, 0, 0.1, 12, False)]
    *_, narrow = _build(tmp_path / "2", [130, 40], 7, links, seed=5)
    monkeypatch.setattr(synaptic_rows, "core_dtype", lambda n_cores: np.int32)
    *_, wide = _build(tmp_path / "4", [130, 40], 7, links, seed=5)
    for name in ("words", "word_ptr", "route_ptr", "route_core", "route_len"):
        assert np.array_equal(getattr(narrow, name), getattr(wide, name)), name


def test_a_row_longer_than_its_16_bit_length_is_refused(tmp_path):
    sim.setup(timestep=1.0, mapping_only=True, report_dir=tmp_path)
    a = sim.Population(1, sim.IF_curr_exp())
    b = sim.Population(1, sim.IF_curr_exp())
    n = 65536
    sim.Projection(a, b, sim.FromListConnector(np.zeros((n, 2))),
                   sim.StaticSynapse(weight=0.001, delay=1.0))
    with pytest.raises(MappingError, match="synaptic row length: needs 65536 synapses"):
        sim.run(1.0)


@settings(max_examples=50, deadline=None)
@given(pairs=st.lists(st.tuples(st.integers(0, 30), st.integers(0, 6)), min_size=1,
                      max_size=300))
def test_longest_row_per_core_counts_repeated_source_core_pairs(pairs):
    """The SDRAM fallback bound (longest row built per target core) equals the largest
    multiplicity of a (source, core) pair, counted here with collections.Counter."""
    from neuroemu.spinnaker.synaptic_matrix import _longest_rows

    pre = np.array([p for p, _ in pairs], dtype=np.int64)
    core = np.array([c for _, c in pairs], dtype=np.int64)
    expected = np.zeros(7, dtype=np.int64)
    for (_, c), n in collections.Counter(pairs).items():
        expected[c] = max(expected[c], n)
    post = np.arange(pre.size)                  # one target position per connection
    np.testing.assert_array_equal(_longest_rows(pre, post, core, 31, 7), expected)
