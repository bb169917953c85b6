"""Analogue noise (spec spikey §4.4): fixed pattern per chip (tau_m spread, driver efficacy
spread, removed mostly by calibration), temporal noise per run; determinism with seeds."""

import numpy as np
import pyNN.neuroemu_spikey as sim
import pytest
from pyNN.parameters import Sequence

from neuroemu.spikey import noise


def _cv(x):
    return float(np.std(x) / np.mean(x))


def test_uncalibrated_tau_spread_matches_measured_chips():
    """Median tau_m 16-29 ms at nominal 10 ms, CV 0.33-0.43 (calibTauMem_chip5xx data)."""
    for chip in range(5):
        fp = noise.fixed_pattern(chip, True, calib_tau_mem=False, calib_syn_drivers=False)
        assert 1.6 * 0.85 <= np.median(fp.tau_factor) <= 2.9 * 1.15   # gain x sample median
        assert 0.25 <= _cv(fp.tau_factor) <= 0.45


def test_calibration_removes_most_fixed_pattern():
    raw = noise.fixed_pattern(3, True, calib_tau_mem=False, calib_syn_drivers=False)
    cal = noise.fixed_pattern(3, True, calib_tau_mem=True, calib_syn_drivers=True)
    assert _cv(cal.tau_factor) < 0.3 * _cv(raw.tau_factor)
    assert _cv(cal.driver_factor) < 0.3 * _cv(raw.driver_factor)
    assert np.median(cal.tau_factor) == pytest.approx(1.0, abs=0.02)


def test_chip_seed_fixes_the_pattern_and_noise_switch_removes_it():
    a = noise.fixed_pattern(7, True, False, False)
    b = noise.fixed_pattern(7, True, False, False)
    c = noise.fixed_pattern(8, True, False, False)
    np.testing.assert_array_equal(a.tau_factor, b.tau_factor)
    assert not np.array_equal(a.tau_factor, c.tau_factor)
    off = noise.fixed_pattern(7, False, False, False)
    assert (off.tau_factor == 1).all() and (off.driver_factor == 1).all()


def _rates(trials=2, duration=1000.0, **setup):
    """Lesson 1/2 network: 32 neurons, 64 regular-ish sources at 10 Hz, 16 inputs each."""
    rng = np.random.default_rng(11)
    trains = [Sequence(np.sort(rng.uniform(1, duration, int(duration / 100))))
              for _ in range(64)]
    sim.setup(**setup)
    src = sim.Population(64, sim.SpikeSourceArray(spike_times=trains))
    pop = sim.Population(32, sim.IF_facets_hardware1())
    sim.Projection(src, pop, sim.FixedNumberPreConnector(16, rng=sim.NumpyRNG(seed=3)),
                   sim.StaticSynapse(weight=0.007))
    pop.record("spikes")
    out = []
    for _ in range(trials):
        sim.run(duration)
        counts = pop.get_spike_counts()
        out.append(np.array([counts[c] for c in pop.all_cells], float))
        sim.reset()
    return np.array(out)


@pytest.mark.slow
def test_fixed_pattern_dominates_temporal_noise():
    """Lesson 2: variance across neurons >> variance across trials."""
    r = _rates(trials=4, calibTauMem=False, calibSynDrivers=False, rng_seeds=[1])
    across_neurons = r.var(axis=1).mean()
    across_trials = r.var(axis=0).mean()
    assert across_trials > 0
    assert across_neurons > 5 * across_trials


def test_same_seeds_same_results_and_seeds_matter():
    a = _rates(duration=400.0, rng_seeds=[5])
    b = _rates(duration=400.0, rng_seeds=[5])
    c = _rates(duration=400.0, rng_seeds=[6])
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_noise_off_is_trial_to_trial_identical():
    r = _rates(duration=400.0, noise=False)
    np.testing.assert_array_equal(r[0], r[1])


def test_poisson_sources_seeded_by_rng_seeds():
    def spikes(seed):
        sim.setup(rng_seeds=[seed], noise=False)
        src = sim.Population(3, sim.SpikeSourcePoisson(rate=50.0))
        sim.Population(1, sim.IF_facets_hardware1())
        src.record("spikes")
        sim.run(500.0)
        return [st.magnitude.tolist() for st in src.get_data().segments[0].spiketrains]
    assert spikes(1) == spikes(1)
    assert spikes(1) != spikes(2)
    n = sum(len(s) for s in spikes(3))
    assert abs(n - 75) < 5 * np.sqrt(75)


def test_work_station_name_seeds_the_chip():
    def pattern(**setup):
        sim.setup(**setup)
        return sim.simulator.state.toolchain.pattern.tau_factor
    np.testing.assert_array_equal(pattern(workStationName="station666", calibTauMem=False),
                                  pattern(workStationName="station666", calibTauMem=False))
    assert not np.array_equal(pattern(workStationName="station666", calibTauMem=False),
                              pattern(workStationName="station500", calibTauMem=False))
