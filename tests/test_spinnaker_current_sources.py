"""Current sources as sPyNNaker 7.4.1 runs them (``neuron/current_sources/*.h``).

The rules: DC/AC/noisy sources act while floor(start/dt) <= tick < floor(stop/dt); a step
source advances at most one step per tick; a neuron's current is i_offset plus the sum of
its sources; a noisy source draws mean + stdev·N(0,1) per neuron and tick from its own
KISS64 stream and refuses dt != time step. Expected values come from those formulas and
from closed-form LIF maths, not from the module under test.
"""

from __future__ import annotations

import math

import numpy as np
import pyNN.neuroemu_spinnaker as sim
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtri

from neuroemu.spinnaker import current_sources as cs


def _v_trace(source_factory, t_stop=40.0, n=1, i_offset=0.0, dt=1.0, tau_m=20.0):
    sim.setup(timestep=dt)
    pop = sim.Population(n, sim.IF_curr_exp(tau_m=tau_m, cm=1.0, v_rest=-65.0,
                                            v_thresh=100.0, i_offset=i_offset))
    pop.initialize(v=-65.0)
    source = source_factory()
    if source is not None:
        pop.inject(source)
    pop.record("v")
    sim.run(t_stop)
    v = np.asarray(pop.get_data().segments[0].filter(name="v")[0])
    sim.end()
    return v


def _lif_closed_form(current_per_tick, tau_m=20.0, cm=1.0, dt=1.0):
    """Recorded (pre-update) V of a LIF driven by a piecewise-constant current (float)."""
    v, out = 0.0, []
    decay = math.exp(-dt / tau_m)
    for i in current_per_tick:
        out.append(v)
        alpha = i * tau_m / cm
        v = alpha - decay * (alpha - v)
    return np.array(out) - 65.0


def test_dc_source_window_in_ticks():
    """DCSource(amplitude=0.5, start=10.4, stop=20.0): on for ticks 10..19 (floor of t/dt)."""
    v = _v_trace(lambda: sim.DCSource(amplitude=0.5, start=10.4, stop=20.0))[:, 0]
    current = np.zeros(40)
    current[10:20] = 0.5
    np.testing.assert_allclose(v, _lif_closed_form(current), atol=5e-3)
    assert np.all(v[:11] == -65.0) and v[11] > -65.0


def test_dc_source_adds_to_i_offset_exactly():
    """A DC source of A from t=0 gives bit-identical V to i_offset = A (same s16.15 sum)."""
    with_source = _v_trace(lambda: sim.DCSource(amplitude=0.7, start=0.0, stop=1e9))
    with_offset = _v_trace(lambda: None, i_offset=0.7)
    np.testing.assert_array_equal(with_source, with_offset)


def test_step_source_advances_one_step_per_tick():
    """Steps at 10 ms and 10.5 ms fall into the same tick; the chip's index advances once
    per tick, so the second amplitude applies one tick later (tick 11)."""
    v = _v_trace(lambda: sim.StepCurrentSource(times=[10.0, 10.5, 25.0],
                                               amplitudes=[0.2, 0.6, 0.0]))[:, 0]
    current = np.zeros(40)
    current[10] = 0.2
    current[11:25] = 0.6
    np.testing.assert_allclose(v, _lif_closed_form(current), atol=5e-3)


def test_ac_source_values():
    """ACSource: offset + amplitude·sin(2π f (t − start) + phase), f in Hz, t in ms."""
    params = {"amplitude": 0.4, "offset": 0.1, "frequency": 50.0, "phase": 30.0, "start": 5.0, "stop": 35.0}
    v = _v_trace(lambda: sim.ACSource(**params))[:, 0]
    t = np.arange(40.0)
    current = np.where((t >= 5) & (t < 35), 0.1 + 0.4 * np.sin(
        2 * np.pi * 50.0 * (t - 5.0) / 1000.0 + np.deg2rad(30.0)), 0.0)
    np.testing.assert_allclose(v, _lif_closed_form(current), atol=5e-3)


def test_noisy_source_statistics_and_determinism():
    """mean + stdev·N(0,1) per neuron and tick: neurons on one core draw different values,
    the same seed gives the same draws, and the V spread matches the OU variance."""
    def make():
        return sim.NoisyCurrentSource(mean=0.5, stdev=1.0, start=0.0, stop=1e9, dt=1.0,
                                      rng=sim.NumpyRNG(seed=7))
    a = _v_trace(make, t_stop=2000.0, n=20)
    b = _v_trace(make, t_stop=2000.0, n=20)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a[:, 0], a[:, 1])
    # stationary LIF with white current: mean V - v_rest = mean·R, var = σ²R²(1-λ)/(1+λ)
    lam = math.exp(-1 / 20.0)
    steady = a[200:]
    assert steady.mean() + 65.0 == pytest.approx(0.5 * 20.0, rel=0.05)
    expected_sd = 1.0 * 20.0 * (1 - lam) * math.sqrt(1 / (1 - lam**2))
    assert steady.std() == pytest.approx(expected_sd, rel=0.1)


def test_noisy_source_dt_must_equal_time_step():
    sim.setup(timestep=1.0)
    pop = sim.Population(1, sim.IF_curr_exp())
    pop.inject(sim.NoisyCurrentSource(mean=0.0, stdev=1.0, dt=0.1))
    with pytest.raises(ValueError, match="dt"):
        sim.run(10.0)
    sim.end()


def test_current_source_change_between_runs_needs_reset():
    """As for neuron parameters (guidebook 6.2.1): after run() only after reset()."""
    sim.setup(timestep=1.0)
    pop = sim.Population(1, sim.IF_curr_exp())
    src = sim.DCSource(amplitude=0.5)
    pop.inject(src)
    sim.run(5.0)
    with pytest.raises(NotImplementedError, match="reset"):
        src.amplitude = 1.0
    with pytest.raises(NotImplementedError, match="reset"):
        pop.inject(sim.DCSource(amplitude=0.1))
    sim.reset()
    src.amplitude = 1.0
    sim.run(5.0)
    sim.end()


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_normal_deviate_is_the_normal_quantile(u):
    """The deviate of a uint32 draw u is Φ⁻¹((u + 0.5) / 2³²) (scipy's ndtri as reference)."""
    assert cs.normal_deviate(u) == pytest.approx(float(ndtri((u + 0.5) / 2**32)), abs=1e-9)


@pytest.mark.parametrize("times", [[0.4, -0.6, 0.8], [0.4, 0.2, 0.8], [0.4, 0.4]])
def test_step_times_must_be_non_negative_and_increasing(times):
    """Refused when the source is created, naming the parameter and the value."""
    sim.setup(timestep=0.1)
    with pytest.raises(ValueError, match="times"):
        sim.StepCurrentSource(times=times, amplitudes=[0.5] * len(times))
    sim.end()
