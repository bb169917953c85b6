"""In-degree downscaling of the microcircuit benchmark (van Albada et al. 2015, as in the NEST
and PyNN microcircuit examples): synapse numbers, weights and the DC that keeps the mean
input, checked against the closed form; and the ``--quick`` network (scale 0.1, in-degrees
x 0.1) in the paper's low-rate state on the emulated SpiNNaker."""

from __future__ import annotations

import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import microcircuit as mc

TAU_SYN_S = 0.5e-3  # s, tau_syn_E of the model (Potjans & Diesmann 2014, Table 5)


def _mean_input_nA(k_scale: float) -> np.ndarray:
    """Mean synaptic + DC current per population when every source fires at the paper's
    full-scale rate: each spike of weight w adds a charge w tau_syn, K k sources at rate nu
    with weight w / sqrt(k) give tau_syn sqrt(k) K w nu."""
    k_full = np.array([[math.log(1 - p) / math.log(1 - 1 / (mc.N_FULL[t] * mc.N_FULL[s]))
                        / mc.N_FULL[t] for s, p in enumerate(row)]
                       for t, row in enumerate(mc.CONN_PROBS)])
    w = mc.weight_matrix() / math.sqrt(k_scale)
    recurrent = (w * k_full * k_scale * mc.FULL_MEAN_RATES).sum(axis=1)
    background = mc.mean_weight() / math.sqrt(k_scale) * mc.K_EXT * k_scale * mc.BG_RATE
    return TAU_SYN_S * (recurrent + background) + mc.dc_compensation(k_scale)


def test_full_in_degrees_follow_eq1():
    # L23E -> L23E: K = log(1 - 0.1009) / log(1 - 1/20683^2) synapses onto 20683 neurons
    total = math.log(1 - 0.1009) / math.log(1 - 1 / 20683**2)
    assert mc.full_in_degrees()[0, 0] == pytest.approx(total / 20683, rel=1e-12)
    assert mc.synapse_numbers(0.1, 0.1)[0, 0] == round(total * 0.01)


def test_no_dc_at_full_in_degrees():
    assert np.all(mc.dc_compensation(1.0) == 0.0)


@settings(deadline=None, max_examples=50)
@given(k_scale=st.floats(1e-3, 1.0))
def test_dc_keeps_the_mean_input(k_scale):
    assert np.allclose(_mean_input_nA(k_scale), _mean_input_nA(1.0), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("k_scale", [0.0, -0.1, 1.5])
def test_bad_k_scale_is_refused(k_scale):
    import pyNN.neuroemu_spinnaker as sim

    with pytest.raises(ValueError, match=rf"k_scale must be in \(0, 1\], got {k_scale}"):
        mc.build(sim, 0.01, 0.1, system="neuroemu_spinnaker", k_scale=k_scale)


def test_build_scales_in_degrees_weights_and_background():
    import pyNN.neuroemu_spinnaker as sim

    k = 0.04
    net = mc.build(sim, 0.01, 0.1, system="neuroemu_spinnaker", k_scale=k)
    try:
        expected = mc.synapse_numbers(0.01, k)
        for t, target in enumerate(mc.POPULATIONS):
            assert np.asarray(net.populations[target].get("i_offset")) == pytest.approx(
                mc.dc_compensation(k)[t])
            assert np.asarray(net.background[target].get("rate")) == pytest.approx(
                8.0 * mc.K_EXT[t] * k)
            for s, source in enumerate(mc.POPULATIONS):
                if expected[t, s]:
                    assert net.projections[source, target].size() == expected[t, s]
        # weights / sqrt(0.04) = 5 x 87.8 pA (normal, sd 10 %, mean of ~2000 draws)
        w = np.asarray(net.projections["L23E", "L23E"].get("weight", format="list",
                                                            with_address=False))
        assert w.mean() == pytest.approx(5 * mc.mean_weight(), rel=0.05)
    finally:
        sim.end()


@pytest.mark.slow
def test_quick_network_is_in_the_papers_low_rate_state():
    """--quick (scale 0.1, in-degrees x 0.1) on SpiNNaker: after a 100 ms start transient,
    every population within a factor 2 of the full-scale rates (Potjans & Diesmann 2014,
    the NEST example's full_mean_rates) and no ring-buffer saturation."""
    import pyNN.neuroemu_spinnaker as sim

    net = mc.build(sim, 0.1, 0.1, system="neuroemu_spinnaker", k_scale=0.1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sim.run(100.0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sim.run(200.0)
        assert not [w for w in caught if "saturated" in str(w.message)]
        for name, full_rate in zip(mc.POPULATIONS, mc.FULL_MEAN_RATES, strict=True):
            trains = net.populations[name].get_data("spikes").segments[0].spiketrains
            n_late = sum(int((np.asarray(t.magnitude) >= 100.0).sum()) for t in trains)
            rate = n_late / len(trains) / 0.2
            assert full_rate / 2 < rate < 2 * full_rate, (name, rate, full_rate)
    finally:
        sim.end()


def test_native_nest_microcircuit_builds_the_suites_network():
    """``benchmarks/nest_microcircuit.py`` (NEST's own ``fixed_total_number``): the synapse
    numbers of eq. 1 at the given scale, and every population firing. Runs in its own
    process, as NEST is never imported next to the emulator."""
    import importlib.util
    import json
    import subprocess

    if importlib.util.find_spec("nest") is None:
        pytest.skip("NEST is not installed (the `reference` extra)")
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "nest_microcircuit.py"
    proc = subprocess.run([sys.executable, str(script), "--scale", "0.01", "--duration",
                           "200", "--threads", "1"], capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["n_synapses"] == int(mc.synapse_numbers(0.01).sum())
    assert all(rate > 0.0 for rate in result["rates_hz"].values())
