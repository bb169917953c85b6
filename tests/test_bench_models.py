"""Parameters of the benchmark networks against the published numbers, and the closed-form
LIF results the tasks use, against numerical integration."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import microcircuit as mc
from lif_theory import exp_psp_peak_per_nA, lif_rate


def test_microcircuit_sizes_match_the_paper():
    # Potjans & Diesmann 2014: 77,169 neurons, ~0.3 billion synapses at full scale
    assert mc.N_FULL.sum() == 77169
    assert 2.95e8 < mc.synapse_numbers(1.0).sum() < 3.05e8
    assert mc.population_sizes(0.1).tolist() == [2068, 583, 2192, 548, 485, 106, 1440, 295]
    with pytest.raises(ValueError, match="leaves a population empty"):
        mc.population_sizes(1e-4)


def test_microcircuit_synapse_count_is_eq1():
    # L23E -> L23E: K = log(1 - 0.1009) / log(1 - 1/20683^2)
    expected = math.log(1 - 0.1009) / math.log(1 - 1 / 20683**2)
    assert mc.synapse_numbers(1.0)[0, 0] == round(expected)
    assert mc.synapse_numbers(0.1)[0, 0] == round(expected * 0.1)
    assert mc.synapse_numbers(1.0)[0, 5] == 0          # L5I -> L23E has probability 0


def test_microcircuit_weights_match_the_paper():
    # 0.15 mV PSP <-> 87.8 pA PSC (C 250 pF, tau_m 10 ms, tau_syn 0.5 ms); g = -4;
    # L4E -> L23E doubled
    assert mc.mean_weight() == pytest.approx(0.0878, abs=5e-5)
    w = mc.weight_matrix()
    assert w[3, 1] == pytest.approx(-4 * mc.mean_weight())
    assert w[0, 2] == pytest.approx(2 * mc.mean_weight())
    assert w[2, 0] == pytest.approx(mc.mean_weight())


def _psp_peak_numerical(cm, tau_m, tau_syn, w=1.0):
    """Integrate v' = -v/tau_m + i/cm, i' = -i/tau_syn from i(0) = w; the peak is where v'
    changes sign."""
    def rhs(_t, y):
        v, i = y
        return [(-v / tau_m) + i / cm, -i / tau_syn]

    def slope(t, y):
        return rhs(t, y)[0]

    slope.terminal = True
    slope.direction = -1
    sol = solve_ivp(rhs, (0, 2 * tau_m), [0.0, w], events=slope, rtol=1e-10, atol=1e-12)
    return sol.y_events[0][0][0]


@settings(deadline=None, max_examples=30)
@given(tau_m=st.floats(2.0, 50.0), ratio=st.floats(0.01, 0.5), cm=st.floats(0.05, 2.0))
def test_psp_peak_matches_integration(tau_m, ratio, cm):
    tau_syn = tau_m * ratio
    assert exp_psp_peak_per_nA(cm, tau_m, tau_syn) == pytest.approx(
        _psp_peak_numerical(cm, tau_m, tau_syn), rel=1e-3)


def test_psp_peak_refuses_bad_time_constants():
    with pytest.raises(ValueError, match="tau_m > tau_syn > 0"):
        exp_psp_peak_per_nA(0.25, 1.0, 1.0)


def test_lif_rate_known_values():
    p = {"cm": 1.0, "tau_m": 20.0, "v_rest": -65.0, "v_reset": -65.0, "v_thresh": -50.0,
         "tau_refrac": 2.0}
    # R = 20 MOhm: 2 nA -> RI = 40 mV, T = 2 + 20 ln(40/25) ms; rheobase 0.75 nA
    rates = lif_rate(np.array([0.0, 0.75, 2.0]), **p)
    assert rates[0] == 0.0 and rates[1] == 0.0
    assert rates[2] == pytest.approx(1000.0 / (2.0 + 20.0 * math.log(40.0 / 25.0)))


@settings(deadline=None, max_examples=30)
@given(current=st.floats(0.8, 20.0))
def test_lif_rate_matches_integration(current):
    """Time to threshold from reset by integrating dv/dt = (v_rest - v)/tau_m + I/cm."""
    cm, tau_m, v_rest, v_th, t_ref = 1.0, 20.0, -65.0, -50.0, 2.0
    event = lambda _t, y: y[0] - v_th
    event.terminal = True
    sol = solve_ivp(lambda _t, y: [(v_rest - y[0]) / tau_m + current / cm], (0, 1e4),
                    [v_rest], events=event, rtol=1e-10, atol=1e-10)
    period = t_ref + sol.t_events[0][0]
    assert lif_rate(np.array([current]), cm, tau_m, v_rest, v_rest, v_th, t_ref)[0] == \
        pytest.approx(1000.0 / period, rel=1e-6)


def test_brunel_threshold_rate_and_weight():
    import run_brunel as rb

    # Brunel 2000: external rate C_E nu_ext = eta theta / (J tau_m) = 2 * 20 / (0.1 * 20 ms)
    theta = rb.CELL["v_thresh"] - rb.CELL["v_rest"]
    assert rb.ETA * theta / (rb.J * rb.CELL["tau_m"]) * 1000.0 == pytest.approx(20000.0)
    assert (rb.C_EXC, rb.C_INH) == (800, 200)
