"""SpiNNaker SpikeSourcePoisson emulation: KISS64, seeding, regimes, timing, determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuroemu.engine.fixedpoint import expk
from neuroemu.engine.kiss64 import (
    ARBITRARY_Y,
    MARS_C_MAX,
    create_mars_kiss_seeds,
    kiss64_next,
    kiss_seeds_for_slices,
)
from neuroemu.spinnaker import poisson as poisson_mod
from neuroemu.spinnaker.poisson import (
    FIELD_NAMES,
    REGIME_FAST,
    REGIME_FASTER,
    REGIME_SLOW,
    build_poisson_program,
    knuth_core_tick,
    knuth_windows,
    poisson_core_tick,
    reset_poisson_program,
    run_poisson_program,
    sqrtk_bits,
)

M32 = (1 << 32) - 1


# ------------------------------------------------------------------------------------------
# independent pure-Python references (Python ints, explicit mod 2^32 / 2^64)
# ------------------------------------------------------------------------------------------

class RefKiss:
    """KISS64 written from the published recurrence, in plain Python integers."""

    def __init__(self, words):
        self.x, self.y, self.z, self.c = (int(w) for w in words)

    def __call__(self) -> int:
        self.x = (314527869 * self.x + 1234567) % (1 << 32)
        self.y ^= (self.y << 5) % (1 << 32)
        self.y ^= self.y >> 7
        self.y ^= (self.y << 22) % (1 << 32)
        t = (4294584393 * self.z + self.c) % (1 << 64)
        self.c = t >> 32
        self.z = t % (1 << 32)
        return (self.x + self.y + self.z) % (1 << 32)


def ref_time_to_spike(rng: RefKiss, mean_isi: int) -> int:
    """von Neumann exponential (s16.15 bits) -> round(E * 1000) * mean_isi, mod 2^32."""
    a = 0
    while True:
        u = rng()
        u0 = u
        while True:
            ustar = rng()
            if u < ustar:
                e = a + (u0 >> 17)
                v = e * 1000  # far below 2^31 for any realistic E
                value = (v + (1 << 14)) >> 15  # roundk(., 15) then integer part
                return (value * mean_isi) % (1 << 32)
            u = rng()
            if u >= ustar:
                break
        a += 32768


def ref_fast_count(rng: RefKiss, eml: int) -> int:
    if eml == 0:
        return 0
    p, k = M32, 0
    while True:
        k += 1
        p = (p * rng()) >> 32
        if p <= eml:
            return k - 1


def ref_run(prog, n_ticks: int) -> np.ndarray:
    """Slow/fast regimes of the chip, re-implemented in Python from the C description."""
    counts = np.zeros((n_ticks, prog.n_atoms), dtype=np.int64)
    for core in range(prog.n_cores):
        rng = RefKiss(prog.kiss_seed[core])
        lo, hi = int(prog.slice_bounds[core]), int(prog.slice_bounds[core + 1])
        tts = {}
        for i in range(lo, hi):  # initialisation: slow sources draw first
            tts[i] = 0 if prog.is_fast[i] else ref_time_to_spike(
                rng, int(prog.mean_isi_ticks[i]))
        for t in range(n_ticks):
            for i in range(lo, hi):
                if not (prog.start_ticks[i] <= t < prog.end_ticks[i]):
                    continue
                if prog.is_fast[i]:
                    assert prog.sqrt_lambda[i] == 0, "reference covers slow/fast only"
                    counts[t, i] = ref_fast_count(rng, int(prog.exp_minus_lambda[i]))
                elif prog.mean_isi_ticks[i] != 0:
                    n = 0
                    while tts[i] < 1000:
                        n += 1
                        tts[i] = (tts[i] + ref_time_to_spike(
                            rng, int(prog.mean_isi_ticks[i]))) % (1 << 32)
                    tts[i] -= 1000
                    counts[t, i] = n
    return counts


def _build(rate, n=1000, dt=1.0, seed=1, start=0.0, duration=np.inf, per_core=500):
    bounds = np.unique(np.r_[np.arange(0, n, per_core), n]).astype(np.int64)
    return build_poisson_program(
        np.broadcast_to(np.asarray(rate, float), (n,)),
        np.broadcast_to(np.asarray(start, float), (n,)),
        np.broadcast_to(np.asarray(duration, float), (n,)),
        dt, bounds, seed)


# ------------------------------------------------------------------------------------------
# KISS64 and seeding
# ------------------------------------------------------------------------------------------

def test_kiss64_matches_reference():
    words = [123456789, 362436069, 521288629, 7654321]
    state = np.array(words, dtype=np.uint32)
    ref = RefKiss(words)
    for _ in range(2000):
        assert int(kiss64_next(state)) == ref()
    assert state.tolist() == [ref.x, ref.y, ref.z, ref.c]


def test_kiss64_extreme_state_has_no_overflow():
    words = [M32, M32, M32, 4294584392]
    state = np.array(words, dtype=np.uint32)
    ref = RefKiss(words)
    for _ in range(50):
        assert int(kiss64_next(state)) == ref()


def test_create_mars_kiss_seeds_follows_host_rule():
    rng_a = np.random.RandomState(1234)
    rng_b = np.random.RandomState(1234)
    got = create_mars_kiss_seeds(rng_a)
    raw = [int(rng_b.randint(-0x80000000, 0x7FFFFFFF)) + 0x80000000 for _ in range(4)]
    if raw[1] == 0:
        raw[1] = ARBITRARY_Y
    raw[3] = raw[3] % MARS_C_MAX + 1
    assert got.dtype == np.uint32 and got.shape == (4,)
    assert got.tolist() == raw


def test_create_mars_kiss_seeds_validation():
    class FakeRng:
        def __init__(self, values):
            self.values = list(values)

        def randint(self, low, high):
            assert (low, high) == (-0x80000000, 0x7FFFFFFF)
            return self.values.pop(0)

    # y word 0 -> ARBITRARY_Y; c word reduced modulo MARS_C_MAX then + 1
    seeds = create_mars_kiss_seeds(FakeRng([5, -0x80000000, 7, 0x7FFFFFFE]))
    assert seeds.tolist() == [5 + 0x80000000, ARBITRARY_Y, 7 + 0x80000000,
                              (0xFFFFFFFE % MARS_C_MAX) + 1]


def test_kiss_seeds_for_slices_draws_in_order():
    seeds = kiss_seeds_for_slices(77, 3)
    rng = np.random.RandomState(77)
    expected = np.array([create_mars_kiss_seeds(rng) for _ in range(3)])
    assert seeds.dtype == np.uint32 and seeds.shape == (3, 4)
    np.testing.assert_array_equal(seeds, expected)
    # unseeded: well-formed
    s = kiss_seeds_for_slices(None, 2)
    assert s.shape == (2, 4) and np.all(s[:, 3] >= 1) and np.all(s[:, 1] != 0)


# ------------------------------------------------------------------------------------------
# host conversion
# ------------------------------------------------------------------------------------------

def test_host_conversion_pinned_values():
    # dt = 1 ms: seconds_per_tick = round(0.001 * 2^32) = 4294967, ticks_per_ms = 1.0
    prog = build_poisson_program([0.0, 5.0, 10.0, 10.02, 100.0, 20000.0],
                                 0.0, np.inf, 1.0, [0, 6], 3)
    # 5 Hz: (5 * 2^16 * 4294967) >> 33 = 163; mean ISI = 1000 / 5 = 200 ticks
    assert prog.rate_per_tick[1] == 163 and prog.mean_isi_ticks[1] == 200
    # 10 Hz gives 327 < 328 = S1615(0.01): still slow; 10.02 Hz crosses
    assert prog.rate_per_tick[2] == 327 and prog.regime[2] == REGIME_SLOW
    assert prog.regime[3] == REGIME_FAST
    # 100 Hz: 3276 bits; exp_minus_lambda = expk(-3276) << 17
    assert prog.rate_per_tick[4] == 3276 and prog.regime[4] == REGIME_FAST
    assert prog.exp_minus_lambda[4] == (int(expk(-3276)) << 17) & M32
    assert abs(prog.exp_minus_lambda[4] / 2**32 - math.exp(-3276 / 32768)) < 1e-4
    # 20 kHz: 20 spikes per tick -> faster, sqrt in s16.15
    assert prog.regime[5] == REGIME_FASTER
    assert prog.sqrt_lambda[5] == sqrtk_bits(prog.rate_per_tick[5])
    assert abs(prog.sqrt_lambda[5] / 32768 - math.sqrt(prog.rate_per_tick[5] / 32768)) < 1e-4
    # zero rate: slow source with mean ISI 0 (never spikes)
    assert prog.regime[0] == REGIME_SLOW and prog.mean_isi_ticks[0] == 0
    assert prog.end_ticks[0] == 0xFFFFFFFF


def test_start_and_end_ticks_rounding():
    # dt = 0.1 ms: ticks_per_ms = 10; ms_to_ticks rounds half up
    prog = build_poisson_program([5.0] * 3, [0.0, 1.25, 2.0], [1.0, 0.04, 0.05], 0.1,
                                 [0, 3], 0)
    assert prog.start_ticks.tolist() == [0, 13, 20]
    assert prog.end_ticks.tolist() == [10, 13, 21]


def test_fixed_point_helpers():
    for x in [0.25, 1.0, 2.0, 10.0, 20.0, 65.5, 1000.0]:
        bits = round(x * 32768)
        got = sqrtk_bits(bits)
        assert abs(got - math.sqrt(bits / 32768) * 32768) <= 1.0


def test_norminv_table_shape():
    v = np.array([poisson_mod.norminv_urt(np.uint32(i << 16)) for i in range(65536)])
    x = np.arange(65536)
    x = np.where(x >= 32768, x - 65536, x)  # top 16 bits as signed: p - 0.5 in s0.16
    assert v[0] == 0 and np.all(np.diff(v[np.argsort(x)]) >= 0)  # monotone
    from scipy.stats import norm
    inner = np.abs(x) < 32000
    err = v[inner] / 32768 - norm.ppf(0.5 + x[inner] / 65536)
    assert np.max(np.abs(err)) < 2e-3


# ------------------------------------------------------------------------------------------
# the kernel
# ------------------------------------------------------------------------------------------

def test_kernel_matches_python_reference_slow_and_fast():
    rates = [0.0, 3.0, 5.0, 40.0, 100.0, 333.0, 1000.0, 2500.0, 9.0, 0.5]
    starts = [0.0, 0.0, 3.0, 0.0, 5.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    durations = [np.inf, np.inf, 50.0, np.inf, 20.0, np.inf, 7.0, np.inf, np.inf, np.inf]
    prog = build_poisson_program(rates, starts, durations, 1.0, [0, 4, 10], 99)
    assert not np.any(prog.regime == REGIME_FASTER)
    expected = ref_run(prog, 300)
    got = run_poisson_program(prog, 0, 300)
    np.testing.assert_array_equal(got, expected)
    assert got[:, 1:].sum() > 0


def test_core_tick_signature_and_field_order():
    prog = _build(100.0, n=10, seed=5, per_core=4)
    assert FIELD_NAMES[0] == "slice_bounds" and FIELD_NAMES[-1] == "kiss_state"
    counts = np.full(10, -1, dtype=np.int32)
    poisson_core_tick(0, 1, *prog.fields(), counts)
    assert np.all(counts[:4] == -1) and np.all(counts[8:] == -1)  # only core 1 touched
    assert np.all(counts[4:8] >= 0)
    np.testing.assert_array_equal(prog.kiss_state[0], prog.kiss_seed[0])
    assert not np.array_equal(prog.kiss_state[1], prog.kiss_seed[1])


def _check_mean(counts, expected_total):
    total = float(counts.sum())
    sigma = math.sqrt(expected_total)
    assert abs(total - expected_total) < 3 * sigma, (total, expected_total, sigma)


@pytest.mark.parametrize("rate,n,ticks,regime", [
    (5.0, 1000, 2000, REGIME_SLOW),
    (100.0, 1000, 1000, REGIME_FAST),
    (1000.0, 500, 1000, REGIME_FAST),
])
def test_rate_within_three_sigma(rate, n, ticks, regime):
    prog = _build(rate, n=n, seed=2024)
    assert np.all(prog.regime == regime)
    counts = run_poisson_program(prog, 0, ticks)
    _check_mean(counts, rate * ticks / 1000.0 * n)
    assert counts.min() >= 0


def test_faster_regime_mean_and_multi_spike():
    rate, n, ticks = 20000.0, 200, 500
    prog = _build(rate, n=n, seed=7)
    assert np.all(prog.regime == REGIME_FASTER)
    counts = run_poisson_program(prog, 0, ticks)
    lam = prog.rate_per_tick[0] / 32768.0
    # The chip draws x = N(0,1)/2 + sqrt(lam) and sends round(x^2) spikes: E[x^2] = lam + 1/4
    # (a bias of the machine's Gaussian approximation), Var[x^2] ~= lam.
    _check_mean(counts, (lam + 0.25) * ticks * n)
    assert abs(counts.mean() / (rate / 1000.0) - 1.0) < 0.02
    assert counts.max() > 1 and counts.min() >= 0


def test_start_and_duration_honoured():
    n = 100
    starts = np.linspace(0.0, 200.0, n)
    durations = np.linspace(10.0, 300.0, n)
    prog = build_poisson_program(np.full(n, 500.0), starts, durations, 1.0, [0, n], 11)
    counts = run_poisson_program(prog, 0, 700)
    first = np.floor(starts + 0.5).astype(np.int64)  # ms_to_ticks rounds half up
    stop = first + np.floor(durations + 0.5).astype(np.int64)
    np.testing.assert_array_equal(prog.start_ticks, first)
    np.testing.assert_array_equal(prog.end_ticks, stop)
    t = np.arange(700)[:, None]
    active = (t >= first[None, :]) & (t < stop[None, :])
    assert np.all(counts[~active] == 0)
    assert np.all(counts.sum(axis=0) > 0)


def test_slow_sources_respect_start_and_duration():
    prog = build_poisson_program(np.full(200, 8.0), 100.0, 400.0, 1.0, [0, 200], 3)
    counts = run_poisson_program(prog, 0, 800)
    assert counts[:100].sum() == 0 and counts[500:].sum() == 0
    assert counts[100:500].sum() > 0


def test_split_run_equals_single_run():
    rates = np.r_[np.full(300, 3.0), np.full(300, 150.0), np.full(300, 30000.0), [0.0] * 10]
    n = rates.size
    bounds = np.array([0, 500, n])
    one = build_poisson_program(rates, 0.0, np.inf, 1.0, bounds, 123)
    two = build_poisson_program(rates, 0.0, np.inf, 1.0, bounds, 123)
    full = run_poisson_program(one, 0, 400)
    part = np.vstack([run_poisson_program(two, 0, 137), run_poisson_program(two, 137, 263)])
    np.testing.assert_array_equal(full, part)
    # reset(): seeds re-read, slow sources re-draw -> the first run repeats exactly
    reset_poisson_program(two)
    np.testing.assert_array_equal(run_poisson_program(two, 0, 400), full)


def test_same_seed_same_trains_different_seed_differs():
    a = run_poisson_program(_build(20.0, n=600, seed=10), 0, 300)
    b = run_poisson_program(_build(20.0, n=600, seed=10), 0, 300)
    c = run_poisson_program(_build(20.0, n=600, seed=11), 0, 300)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_slice_layout_matters():
    seed = 31
    prog = _build(50.0, n=1000, seed=seed)  # 500 per core -> 2 cores
    assert prog.n_cores == 2
    np.testing.assert_array_equal(prog.kiss_seed, kiss_seeds_for_slices(seed, 2))
    assert not np.array_equal(prog.kiss_seed[0], prog.kiss_seed[1])
    two_cores = run_poisson_program(prog, 0, 200)
    # the first core only sees its own slice: a 500-atom population gives the same trains
    half = run_poisson_program(_build(50.0, n=500, seed=seed), 0, 200)
    np.testing.assert_array_equal(two_cores[:, :500], half)
    # one core for all 1000 atoms: one stream shared by all, in atom order, so only the
    # very first tick of the first 500 atoms coincides with the 2-core layout
    one_core = run_poisson_program(_build(50.0, n=1000, seed=seed, per_core=1000), 0, 200)
    np.testing.assert_array_equal(one_core[0, :500], two_cores[0, :500])
    assert not np.array_equal(one_core[1:, :500], two_cores[1:, :500])
    assert not np.array_equal(one_core[:, 500:], two_cores[:, 500:])


@pytest.mark.parametrize("name,bad,shown", [
    ("rate", -1.0, "-1.0"),
    ("start", -2.5, "-2.5"),
    ("duration", -3.0, "-3.0"),
    ("rate", np.nan, "nan"),
    ("start", np.inf, "inf"),
])
def test_validation_errors(name, bad, shown):
    params = {"rate": np.full(4, 5.0), "start": np.zeros(4), "duration": np.full(4, np.inf)}
    params[name][2] = bad
    with pytest.raises(ValueError) as exc:
        build_poisson_program(params["rate"], params["start"], params["duration"], 1.0,
                              [0, 4], 0)
    msg = str(exc.value)
    assert f"{name}={shown}" in msg and "allowed range" in msg and "source 2" in msg


def test_huge_rate_warns_about_wrap():
    with pytest.warns(RuntimeWarning, match="65536"):
        build_poisson_program([70000.0], 0.0, np.inf, 1.0, [0, 1], 0)


def test_bad_slice_bounds():
    with pytest.raises(ValueError, match="slice_bounds"):
        build_poisson_program([1.0, 1.0], 0.0, np.inf, 1.0, [0, 2, 2], 0)


# ------------------------------------------------------------------------------------------
# properties
# ------------------------------------------------------------------------------------------

rates_st = st.lists(
    st.one_of(st.just(0.0), st.floats(0.0, 50.0), st.floats(50.0, 3000.0),
              st.floats(10000.0, 40000.0)),
    min_size=1, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rates=rates_st, seed=st.integers(0, 2**32 - 1), per_core=st.integers(1, 6),
       ticks=st.integers(1, 60))
def test_property_counts_and_determinism(rates, seed, per_core, ticks):
    n = len(rates)
    bounds = np.unique(np.r_[np.arange(0, n, per_core), n])
    rates = np.array(rates)
    p1 = build_poisson_program(rates, 0.0, np.inf, 1.0, bounds, seed)
    p2 = build_poisson_program(rates, 0.0, np.inf, 1.0, bounds, seed)
    c1 = run_poisson_program(p1, 0, ticks)
    c2 = run_poisson_program(p2, 0, ticks)
    np.testing.assert_array_equal(c1, c2)
    assert c1.min() >= 0
    zero = rates == 0.0
    assert np.all(c1[:, zero] == 0)
    # continuing after a split gives the same as an uninterrupted run
    k = ticks // 2
    p3 = build_poisson_program(rates, 0.0, np.inf, 1.0, bounds, seed)
    c3 = np.vstack([run_poisson_program(p3, 0, k), run_poisson_program(p3, k, ticks - k)])
    np.testing.assert_array_equal(c1, c3)


def test_knuth_window_fast_path_matches_the_reference():
    """kernel path: inside a core's knuth_windows window (every source active and in the
    fast regime, spec §4.1 Knuth), knuth_core_tick skips the per-source checks; the counts
    and KISS streams equal the Python reference of the chip's loop."""
    rates = [100.0, 250.0, 1000.0, 3000.0, 500.0, 100.0, 5.0, 800.0, 900.0]
    starts = [0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    durations = [np.inf, np.inf, 30.0, np.inf, np.inf, np.inf, np.inf, np.inf, np.inf]
    # core 0: window [2, 30); core 1: a slow source (5 Hz) -> no window; core 2: [0, forever)
    prog = build_poisson_program(rates, starts, durations, 1.0, [0, 3, 7, 9], 7)
    f = prog.fields()
    lo, hi = knuth_windows(f[0], f[1], f[2], f[3], f[5])
    assert lo.tolist() == [2, 0, 0] and hi.tolist() == [30, 0, 0xFFFFFFFF]
    expected = ref_run(prog, 60)
    got = np.zeros((60, 9), dtype=np.int32)
    for t in range(60):
        for core in range(3):
            if lo[core] <= t < hi[core]:
                n = knuth_core_tick(core, f[0], f[4], f[8], got[t])
            else:
                n = poisson_core_tick(t, core, *f, got[t])
            assert n == int((got[t, f[0][core]:f[0][core + 1]] > 0).sum())
    np.testing.assert_array_equal(got, expected)
