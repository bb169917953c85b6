"""Weight scaling, quantisation and ring-buffer saturation of the SpiNNaker backend.

Sources of the expected numbers: spec /work/shared/spec/spinnaker.md §2 (shift rule and
the values measured with sPyNNaker 7.4.1 in virtual mode), §1.3-§1.4 (ring buffer, uint16
saturation at 0xFFFF, ``syn += (w << shift) * init >> 32``) and the hardware-data README
(legacy synaptic ``init`` = 3892727436 for tau_syn 5 ms, dt 1 ms).

The ring-buffer shifts are read from the toolchain's mapping:
``sim.simulator.state.toolchain.mapping.layout(post).shifts``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pyNN.neuroemu_spinnaker as sim
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neuroemu.errors import NeuroemuWarning

LEGACY_INIT_TAU5 = 3892727436  # README: floor(5 (1 - e^-0.2) 2^32)


def _layout(pop):
    return sim.simulator.state.toolchain.mapping.layout(pop)


def _ssa(n, times=(0.0,), label="src"):
    return sim.Population(n, sim.SpikeSourceArray(spike_times=list(times)), label=label)


def _weights(proj):
    return np.array([w for (_, _, w) in proj.get("weight", format="list")], dtype=float)


# ---------------------------------------------------------------------------------------
# §2 worked examples (measured in sPyNNaker 7.4.1 virtual mode)
# ---------------------------------------------------------------------------------------

def test_one_to_one_w2_from_ssa_shift_2():
    """§2: OneToOne w=2.0 from a SpikeSourceArray -> shifts [2, 0], scales [8192, 32768]."""
    sim.setup(timestep=1.0)
    post = sim.Population(1, sim.IF_curr_exp(), label="post")
    proj = sim.Projection(_ssa(1), post, sim.OneToOneConnector(),
                          sim.StaticSynapse(weight=2.0, delay=1.0))
    lay = _layout(post)
    assert list(lay.shifts) == [2, 0]
    assert list(lay.scales) == [8192.0, 32768.0]
    assert np.array_equal(_weights(proj), [2.0])  # 2.0 * 8192 = 16384 exactly
    sim.end()


def test_all_to_all_10_pre_w2_shift_5():
    """§2: AllToAll from 10 sources with w=2.0 -> max_w = 1 spike/tick * 2.0 * 10 = 20
    -> shift 5 (2^4 = 16 <= 20 < 32). Sources are IF_curr_exp: spikes_per_tick =
    max(1, 30 Hz / 1000 steps/s) = 1."""
    sim.setup(timestep=1.0)
    pre = sim.Population(10, sim.IF_curr_exp(), label="pre")
    post = sim.Population(3, sim.IF_curr_exp(), label="post")
    sim.Projection(pre, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=2.0, delay=1.0))
    assert list(_layout(post).shifts) == [5, 0]
    sim.end()


def test_w07_shift_0():
    """§2: w=0.7 -> max_w < 1 -> shift 0, scale 32768 (resolution 2^-15 nA); the
    read-back weight is rint(0.7 * 32768) / 32768 = 22938 / 32768."""
    sim.setup(timestep=1.0)
    post = sim.Population(1, sim.IF_curr_exp(), label="post")
    proj = sim.Projection(_ssa(1), post, sim.OneToOneConnector(),
                          sim.StaticSynapse(weight=0.7, delay=1.0))
    assert list(_layout(post).shifts) == [0, 0]
    assert list(_layout(post).scales) == [32768.0, 32768.0]
    assert np.array_equal(_weights(proj), [22938 / 32768])
    sim.end()


def test_cond_exp_w001_shift_4():
    """§2: IF_cond_exp w=0.01 uS -> global scale 1024 -> max_w 10.24 -> shift 4, weight
    scale 2^11 * 1024 = 2097152; read-back rint(20971.52) / 2097152 = 20972 / 2097152."""
    sim.setup(timestep=1.0)
    post = sim.Population(1, sim.IF_cond_exp(), label="post")
    proj = sim.Projection(_ssa(1), post, sim.OneToOneConnector(),
                          sim.StaticSynapse(weight=0.01, delay=1.0))
    assert list(_layout(post).shifts) == [4, 0]
    assert _layout(post).scales[0] == 2097152.0
    assert np.array_equal(_weights(proj), [20972 / 2097152])
    sim.end()


def test_fromlist_03_on_shift_2_reads_back():
    """§2: "A FromList weight 0.3 on shift 2 reads back as 0.300048828125 (2458/8192)".
    The 2.0 connection makes max_w = 2.0 (one connection per target, one spike per tick),
    and 2^1 <= 2.0 bumps the shift to 2."""
    sim.setup(timestep=1.0)
    post = sim.Population(2, sim.IF_curr_exp(), label="post")
    proj = sim.Projection(_ssa(2), post,
                          sim.FromListConnector([(0, 0, 2.0, 1.0), (1, 1, 0.3, 1.0)]),
                          sim.StaticSynapse())
    assert list(_layout(post).shifts) == [2, 0]
    assert np.array_equal(_weights(proj), [2.0, 0.300048828125])
    assert 0.300048828125 == 2458 / 8192
    sim.end()


# ---------------------------------------------------------------------------------------
# property: shift rule and quantisation
# ---------------------------------------------------------------------------------------

def _expected_shift(max_w: float) -> int:
    """§2: smallest shift >= 0 with max_w < 2^shift, written with frexp (exact):
    max_w = m * 2^e, m in [0.5, 1) -> 2^(e-1) <= max_w < 2^e -> shift = max(0, e)."""
    return max(0, math.frexp(max_w)[1]) if max_w > 0 else 0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(min_value=1e-3, max_value=300.0, allow_nan=False),
                min_size=1, max_size=6))
def test_readback_is_rint_quantised(weights):
    """§2: shift from max_w (one connection per target, one spike per tick, so max_w is
    the largest weight); scale = 2^(15 - shift); the machine stores rint(w * scale) and
    ``Projection.get("weight")`` returns that integer / scale, so the error is at most
    half a unit: |w_read - w| <= 0.5 / scale."""
    n = len(weights)
    sim.setup(timestep=1.0)
    post = sim.Population(n, sim.IF_curr_exp(), label="post")
    conns = [(i, i, w, 1.0) for i, w in enumerate(weights)]
    proj = sim.Projection(_ssa(n), post, sim.FromListConnector(conns), sim.StaticSynapse())
    shift = _layout(post).shifts[0]
    got = _weights(proj)
    sim.end()
    w = np.array(weights)
    assert shift == _expected_shift(float(w.max()))
    scale = 2.0 ** (15 - shift)
    assert np.array_equal(got, np.rint(w * scale) / scale)
    assert np.all(np.abs(got - w) <= 0.5 / scale)


# ---------------------------------------------------------------------------------------
# ring-buffer saturation
# ---------------------------------------------------------------------------------------

def test_ring_buffer_saturation():
    """§1.4: each ring-buffer entry is a uint16 and every addition that would exceed
    0xFFFF is clipped to 0xFFFF and counted (synapses_saturation_count++).

    max_expected_summed_weight = [0.5, 0.5] (§2 override) forces shift 0 (0.5 < 2^0), so
    w = 1.0 nA is stored as 32768. Three sources firing together at t = 5 (delay 1) add
    32768 three times to the same entry: 32768, then 65536 -> 65535 (saturation 1), then
    65535 + 32768 -> 65535 (saturation 2). At tick 6 the synaptic current becomes
    (65535 << 0) * init >> 32 (§1.3 step 2, legacy init from the README) instead of the
    unsaturated 3 * 32768 * init >> 32. gsyn recorded at the arrival tick includes it."""
    sim.setup(timestep=1.0, constants="legacy")
    src = _ssa(3, times=(5.0,))
    post = sim.Population(1, sim.IF_curr_exp(tau_syn_E=5.0), label="post",
                          additional_parameters={"max_expected_summed_weight": [0.5, 0.5]})
    proj = sim.Projection(src, post, sim.AllToAllConnector(),
                          sim.StaticSynapse(weight=1.0, delay=1.0))
    post.record("gsyn_exc")
    assert list(_layout(post).shifts) == [0, 0]
    assert np.array_equal(_weights(proj), [1.0, 1.0, 1.0])
    with pytest.warns(NeuroemuWarning):
        sim.run(10)
    g = np.asarray(post.get_data().segments[0].filter(name="gsyn_exc")[0].magnitude)[:, 0]
    saturations = sim.simulator.state.toolchain.provenance["ring_buffer_saturations"]
    sim.end()
    assert saturations == 2
    assert np.all(g[:6] == 0.0)
    assert g[6] == ((65535 << 0) * LEGACY_INIT_TAU5 >> 32) / 32768
    assert g[6] != ((3 * 32768) * LEGACY_INIT_TAU5 >> 32) / 32768


def test_no_saturation_no_warning():
    """The same network with the default shift (max_w = 3 * 1.0 -> shift 2) does not clip:
    the saturation counter stays 0, no NeuroemuWarning, and gsyn at the arrival tick is
    ((3 * 8192) << 2) * init >> 32."""
    sim.setup(timestep=1.0, constants="legacy")
    src = _ssa(3, times=(5.0,))
    post = sim.Population(1, sim.IF_curr_exp(tau_syn_E=5.0), label="post")
    sim.Projection(src, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=1.0, delay=1.0))
    post.record("gsyn_exc")
    assert list(_layout(post).shifts) == [2, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("error", NeuroemuWarning)
        sim.run(10)
    g = np.asarray(post.get_data().segments[0].filter(name="gsyn_exc")[0].magnitude)[:, 0]
    saturations = sim.simulator.state.toolchain.provenance["ring_buffer_saturations"]
    sim.end()
    assert saturations == 0
    assert g[6] == (((3 * 8192) << 2) * LEGACY_INIT_TAU5 >> 32) / 32768


@pytest.mark.parametrize("n_spikes,saturations", [(1, 0), (2, 1), (3, 2), (5, 4)])
def test_one_packet_with_several_spikes_saturates_once_per_clipped_addition(n_spikes,
                                                                           saturations):
    """§1.4 with a packet's payload (spec: the target processes the row ``count`` times):
    one source spiking n times in one tick adds 32768 n times; every addition after the
    first exceeds 0xFFFF, so n - 1 of them are clipped and counted."""
    sim.setup(timestep=1.0, constants="legacy")
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[5.0] * n_spikes))
    post = sim.Population(1, sim.IF_curr_exp(tau_syn_E=5.0), label="post",
                          additional_parameters={"max_expected_summed_weight": [0.5, 0.5]})
    sim.Projection(src, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=1.0, delay=1.0))
    post.record("gsyn_exc")
    sim.run(10)
    g = np.asarray(post.get_data().segments[0].filter(name="gsyn_exc")[0].magnitude)[:, 0]
    assert sim.simulator.state.toolchain.provenance["ring_buffer_saturations"] == saturations
    assert g[6] == ((min(n_spikes * 32768, 65535) << 0) * LEGACY_INIT_TAU5 >> 32) / 32768
    sim.end()
