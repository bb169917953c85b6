"""The neuron part of a SpiNNaker neuron core's tick (``neuroemu.spinnaker.neuron_update``).

Rules (spec /work/shared/spec/spinnaker.md):
* §1.3 step 2: ``syn_s += decay_s1615(w << shift_s, init_s)``, then the ring slot is zeroed;
* §1.3 step 3: ``I = exc - inh + I_offset + current_source``; outside the refractory
  period ``alpha = I*R + V_rest``, ``V = alpha - exp_TC*(alpha - V)`` (floor accum
  multiplies), else ``refract_timer--`` with V frozen; spike if ``V >= V_thresh`` (also
  while refractory), then ``V = V_reset``, ``refract_timer = T_refract``; every synapse
  decays ``syn = decay_s1615(syn, decay)``;
* §1.6: conductance input ``g = syn >> 10``, ``I_exc = g_E*(E_rev_E - V)``,
  ``I_inh = -g_I*(E_rev_I - V)``;
* §1.1: s16.15 and u0.32 values are 32-bit words (the constants the kernel runs on).

The reference is a plain-Python integer transcription of these formulas; the kernel's
fused LIF loop and its general phase-by-phase path must both match it bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroemu.spinnaker import neuron_layout as L
from neuroemu.spinnaker.neuron_update import (
    chip_words,
    decay_synapses,
    input_current,
    lif_two_synapse_tick,
    lif_update,
    transfer_ring_slot,
    uniform_constants,
)


def _wrap32(x: int) -> int:
    return ((x + 2**31) % 2**32) - 2**31


def _accum_mul(a: int, b: int) -> int:
    """s16.15 * s16.15 as the chip does it: floor(a*b / 2^15), truncated to 32 bits."""
    return _wrap32((a * b) >> 15)


def _decay(x: int, d: int) -> int:
    """decay_s1615: s16.15 times u0.32, floor, truncated to 32 bits."""
    return _wrap32((x * d) >> 32)


def reference_tick(neuron: dict, w_exc: int, w_inh: int, shifts: tuple[int, int],
                   conductance: bool, external: int) -> tuple[dict, bool]:
    """One tick of one LIF neuron with one excitatory and one inhibitory synapse (§1.3)."""
    p = dict(neuron)
    syn_e = _wrap32(p["syn_e"] + _decay(_wrap32(w_exc << shifts[0]), p["init_e"]))
    syn_i = _wrap32(p["syn_i"] + _decay(_wrap32(w_inh << shifts[1]), p["init_i"]))
    v = p["v"]
    if conductance:
        i_exc = _accum_mul(syn_e >> 10, _wrap32(p["e_rev_e"] - v))
        i_inh = _accum_mul(-(syn_i >> 10), _wrap32(p["e_rev_i"] - v))
    else:
        i_exc, i_inh = syn_e, syn_i
    current = _wrap32(i_exc - i_inh + p["i_offset"] + external)
    refract = p["refract"]
    if refract <= 0:
        alpha = _wrap32(_accum_mul(current, p["r"]) + p["v_rest"])
        v = _wrap32(alpha - _accum_mul(p["exp_tc"], _wrap32(alpha - v)))
    else:
        refract -= 1
    spike = v >= p["v_thresh"]
    if spike:
        v, refract = p["v_reset"], p["t_refract"]
    p.update(v=v, refract=refract, syn_e=_decay(syn_e, p["decay_e"]),
             syn_i=_decay(syn_i, p["decay_i"]))
    return p, spike


S1615 = st.integers(-(2**31), 2**31 - 1)
U032 = st.integers(0, 2**32 - 1)
MV = st.integers(-90 * 2**15, 40 * 2**15)          # a membrane-range s16.15 value
NEURON = st.fixed_dictionaries({
    "v": MV, "refract": st.integers(-2, 20), "syn_e": st.integers(-(2**24), 2**24),
    "syn_i": st.integers(-(2**24), 2**24), "v_rest": MV, "v_reset": MV, "v_thresh": MV,
    "exp_tc": st.integers(0, 2**15), "r": st.integers(0, 2**22), "t_refract": st.integers(0, 50),
    "i_offset": st.integers(-(2**20), 2**20), "e_rev_e": MV, "e_rev_i": MV,
    "init_e": U032, "init_i": U032, "decay_e": U032, "decay_i": U032})


def _machine_arrays(neurons: list[dict]):
    """State (N_STATE, n) int32 and constants (n, N_PARAMS) int64 as the kernel holds them."""
    n = len(neurons)
    state = np.zeros((L.N_STATE, n), dtype=np.int32)
    params = np.zeros((n, L.N_PARAMS), dtype=np.int64)
    for k, p in enumerate(neurons):
        state[[L.S_V, L.S_REFRACT, L.S_SYN0, L.S_SYN1], k] = (p["v"], p["refract"], p["syn_e"],
                                                              p["syn_i"])
        for col, key in ((L.P_V_REST, "v_rest"), (L.P_V_RESET, "v_reset"),
                         (L.P_V_THRESH, "v_thresh"), (L.P_EXP_TC, "exp_tc"), (L.P_R, "r"),
                         (L.P_T_REFRACT, "t_refract"), (L.P_I_OFFSET, "i_offset"),
                         (L.P_E_REV_E, "e_rev_e"), (L.P_E_REV_I, "e_rev_i"),
                         (L.P_INIT0, "init_e"), (L.P_INIT1, "init_i"),
                         (L.P_DECAY0, "decay_e"), (L.P_DECAY1, "decay_i")):
            params[k, col] = p[key]
    return state, params


STATE_KEYS = ("v", "refract", "syn_e", "syn_i")


@settings(max_examples=80, deadline=None)
@given(neurons=st.lists(NEURON, min_size=1, max_size=24), data=st.data(),
       conductance=st.booleans(), shifts=st.tuples(st.integers(0, 15), st.integers(0, 15)),
       shared_constants=st.booleans())
def test_lif_tick_matches_spec_formulas(neurons, data, conductance, shifts, shared_constants):
    """Both kernel paths, and the fused one with constants per atom or read once for a
    core whose atoms share them, against the plain-integer reference."""
    n = len(neurons)
    if shared_constants:
        neurons = [dict(neurons[0], **{k: p[k] for k in STATE_KEYS}) for p in neurons]
    weights = data.draw(st.lists(st.tuples(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF)),
                                 min_size=n, max_size=n))
    external = data.draw(st.lists(st.integers(-(2**20), 2**20), min_size=n, max_size=n))
    state, params = _machine_arrays(neurons)
    pr = chip_words(params)
    ring = np.array([w for w, _ in weights] + [w for _, w in weights], dtype=np.uint16)
    ext = np.array(external, dtype=np.int32)
    input_type = L.CONDUCTANCE if conductance else L.CURRENT

    uniform = uniform_constants(pr, 0, n)
    assert uniform == (shared_constants or n == 1 or all(
        {k: v for k, v in p.items() if k not in STATE_KEYS}
        == {k: v for k, v in neurons[0].items() if k not in STATE_KEYS} for p in neurons))
    results = []
    for use_uniform in {False, uniform}:
        fused_state, fused_ring = state.copy(), ring.copy()
        fused_spiked = np.zeros(n, dtype=np.bool_)
        n_fused = lif_two_synapse_tick(fused_ring, 0, n, shifts[0], shifts[1], fused_state, pr,
                                       0, n, conductance, use_uniform, ext, fused_spiked)
        results.append((fused_state, fused_ring, fused_spiked, n_fused))

    phased_state, phased_ring = state.copy(), ring.copy()
    phased_spiked = np.zeros(n, dtype=np.bool_)
    cur = np.zeros(n, dtype=np.int32)
    for s in range(2):
        transfer_ring_slot(phased_ring, s * n, shifts[s], phased_state[L.S_SYN0 + s],
                           pr[L.P_INIT0 + 2 * s], False)
    input_current(phased_state, pr, 0, n, 2, input_type, ext, cur)
    n_phased = lif_update(phased_state, pr, 0, n, cur, phased_spiked)
    decay_synapses(phased_state, pr, 0, n, 2, input_type)

    expected = [reference_tick(p, w_e, w_i, shifts, conductance, x)
                for p, (w_e, w_i), x in zip(neurons, weights, external)]
    want = np.array([[p["v"], p["refract"], p["syn_e"], p["syn_i"]] for p, _ in expected]).T
    want_spiked = np.array([spike for _, spike in expected])
    rows = [L.S_V, L.S_REFRACT, L.S_SYN0, L.S_SYN1]
    results.append((phased_state, phased_ring, phased_spiked, n_phased))
    for got_state, got_ring, got_spiked, n_spikes in results:
        np.testing.assert_array_equal(got_state[rows], want)
        np.testing.assert_array_equal(got_spiked, want_spiked)
        assert n_spikes == want_spiked.sum()
        assert not got_ring.any()  # §1.3 step 2: the slot is zeroed once read


def test_refractory_neuron_is_frozen_but_still_checked_against_threshold():
    """§1.3 d/e: during the refractory period V keeps its value whatever the input, the
    timer counts down, and a V already at threshold still fires."""
    base = {"v": -65 * 2**15, "refract": 3, "syn_e": 2**20, "syn_i": 0, "v_rest": -65 * 2**15,
            "v_reset": -70 * 2**15, "v_thresh": -50 * 2**15, "exp_tc": 31170, "r": 20 * 2**15,
            "t_refract": 5, "i_offset": 0, "e_rev_e": 0, "e_rev_i": -80 * 2**15,
            "init_e": 0, "init_i": 0, "decay_e": 2**31, "decay_i": 2**31}
    frozen = dict(base)
    at_threshold = dict(base, v=-50 * 2**15)
    state, params = _machine_arrays([frozen, at_threshold])
    spiked = np.zeros(2, dtype=np.bool_)
    ring = np.zeros(4, dtype=np.uint16)
    lif_two_synapse_tick(ring, 0, 2, 0, 0, state, chip_words(params), 0, 2, False, False,
                         np.zeros(2, dtype=np.int32), spiked)
    assert state[L.S_V, 0] == -65 * 2**15 and state[L.S_REFRACT, 0] == 2
    assert spiked.tolist() == [False, True]
    assert state[L.S_V, 1] == -70 * 2**15 and state[L.S_REFRACT, 1] == 5
    assert state[L.S_SYN0, 0] == 2**19  # decay by 0.5 (u0.32 2^31) also while refractory


def test_chip_words_keeps_u032_bit_patterns():
    """§1.1: a u0.32 decay is a 32-bit word; 0xFFFFFFFF (the largest, ~1.0) must decay
    exactly as from the int64 value."""
    params = np.zeros((1, L.N_PARAMS), dtype=np.int64)
    params[0, L.P_DECAY0] = 0xFFFFFFFF
    params[0, L.P_V_REST] = -(2**31)
    words = chip_words(params)
    assert words.dtype == np.int32 and words.shape == (L.N_PARAMS, 1)
    assert words[L.P_DECAY0, 0] == -1 and words[L.P_V_REST, 0] == -(2**31)
    state = np.zeros((L.N_STATE, 1), dtype=np.int32)
    state[L.S_SYN0, 0] = 2**30
    decay_synapses(state, words, 0, 1, 2, L.CURRENT)
    assert state[L.S_SYN0, 0] == (2**30 * 0xFFFFFFFF) >> 32


@pytest.mark.parametrize("col,value", [(L.P_DECAY0, 2**32), (L.P_INIT1, -1),
                                       (L.P_V_THRESH, 2**31), (L.P_R, -(2**31) - 1)])
def test_chip_words_refuses_values_that_do_not_fit_32_bits(col, value):
    params = np.zeros((3, L.N_PARAMS), dtype=np.int64)
    params[1, col] = value
    with pytest.raises(ValueError, match=f"{L.PARAM_NAMES[col]} of atom 1 is {value}, outside "
                       r"the chip's 32-bit word \["):
        chip_words(params)


WORD = st.integers(-(2**31), 2**31 - 1)
NEURON_KEYS = ("v", "refract", "syn_e", "syn_i", "v_rest", "v_reset", "v_thresh", "exp_tc",
               "r", "t_refract", "i_offset", "e_rev_e", "e_rev_i", "init_e", "init_i",
               "decay_e", "decay_i")
ANY_NEURON = st.fixed_dictionaries({key: (U032 if key.startswith(("init", "decay")) else WORD)
                                    for key in NEURON_KEYS})


@settings(max_examples=60, deadline=None)
@given(shared=ANY_NEURON, states=st.lists(st.tuples(WORD, WORD, WORD, WORD, WORD,
                                                    st.integers(0, 0xFFFF),
                                                    st.integers(0, 0xFFFF)),
                                          min_size=1, max_size=50),
       conductance=st.booleans(), shifts=st.tuples(st.integers(0, 40), st.integers(0, 40)))
def test_vector_blocks_match_spec_formulas_over_whole_words(shared, states, conductance,
                                                            shifts):
    """Atoms sharing their constants run in blocks of 16 vector lanes
    (``neuron_simd.lif_block``), the rest one by one: against the plain-integer
    reference for any 32-bit words (wrap-arounds, negative decays read as u0.32 >= 2^31,
    ring shifts of 32 and more leaving nothing), 1 to 50 atoms (0 to 3 blocks)."""
    neurons = [dict(shared, v=v, refract=r, syn_e=se, syn_i=si) for v, r, se, si, *_ in states]
    external = [s[4] for s in states]
    weights = [(s[5], s[6]) for s in states]
    n = len(neurons)
    state, params = _machine_arrays(neurons)
    pr = chip_words(params)
    ring = np.array([w for w, _ in weights] + [w for _, w in weights], dtype=np.uint16)
    spiked = np.zeros(n, dtype=np.bool_)
    n_spikes = lif_two_synapse_tick(ring, 0, n, shifts[0], shifts[1], state, pr, 0, n,
                                    conductance, True, np.array(external, dtype=np.int32),
                                    spiked)
    expected = [reference_tick(p, w_e, w_i, shifts, conductance, x)
                for p, (w_e, w_i), x in zip(neurons, weights, external)]
    want = np.array([[p["v"], p["refract"], p["syn_e"], p["syn_i"]] for p, _ in expected]).T
    np.testing.assert_array_equal(state[[L.S_V, L.S_REFRACT, L.S_SYN0, L.S_SYN1]], want)
    assert spiked.tolist() == [spike for _, spike in expected]
    assert n_spikes == sum(spike for _, spike in expected)
    assert not ring.any()
