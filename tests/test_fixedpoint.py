"""Tests for neuroemu.engine.fixedpoint (SpiNNaker s16.15 / u0.32 arithmetic).

Sources of the expected numbers:
* spec spinnaker.md §1.1 (operations), §1.2 (derived LIF / synapse constants and the two
  quoted values 0.90626649 and 31170/32768), Appendix A (the exponential, step by step);
* hand-worked integer steps in the comments below;
* an independent pure-Python-int reimplementation of Appendix A (``_py_expi64``), written
  from the spec text and never calling the module under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from neuroemu.engine.fixedpoint import (
    EXP_HI,
    S1615_ONE,
    U032_ONE,
    decay_s1615,
    decay_s1615_to_u032,
    decode_s1615,
    encode_s1615,
    expi64,
    expk,
    expulr,
    kdivk,
    kdivui,
    mul_s1615,
)

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
M32 = 0xFFFFFFFF
EXP_N_MIN, EXP_N_MAX = -340695, 363408  # saturation bounds of expk/expulr (Appendix A)

int32s = st.integers(INT32_MIN, INT32_MAX)
small_settings = settings(max_examples=200, deadline=None)


def _wrap_i32(v: int) -> int:
    """Two's-complement wrap of a Python int to a signed 32-bit value."""
    return ((v + 2**31) % 2**32) - 2**31


# ---------------------------------------------------------------------------------------
# Independent oracle: Appendix A with plain Python ints (tables copied from the spec text)
# ---------------------------------------------------------------------------------------

_PY_EXP_HI = [
    9708, 26389, 71733, 194991, 530041, 1440801, 3916503, 10646160, 28939262, 78665070,
    213833830, 581260615, 1580030169, 4294967296, 11674931555, 31735754293, 86266724208,
    234497268814, 637429664642, 1732713474316, 4710003551159, 12803117065094,
    34802480465680, 94602950235157, 257157480542844, 699026506411923,
]  # fmt: skip
_PY_EXPM1_MID = [
    0, 260218914, 504671961, 734314346, 950043403, 1152702096, 1343082321, 1521927990,
    1689937949, 1847768698, 1996036966, 2135322113, 2266168400, 2389087112, 2504558555,
    2613033936,
]  # fmt: skip
S0, S1, S2 = 5294, 4293434720, 2081624032


def _py_round64(x: int) -> int:
    # hi(x) + 1 if lo(x) >= INT32_MAX (sic, not 2^31)
    return (x >> 32) + (1 if (x & M32) >= 2**31 - 1 else 0)


def _py_scale64(x: int, y: int) -> int:
    return _py_round64((x & M32) * y) + (x >> 32) * y


def _py_coef_mult(c: int, x: int) -> int:
    return (c * x) >> 32


def _py_series(y: int) -> int:
    t = (S1 - _py_coef_mult(S2, y)) & M32
    t = _py_coef_mult(t, y)
    return (t + S0) & M32


def _py_expi64(n: int) -> int:
    z = n >> 15  # Python >> on ints is floor, like the arithmetic shift
    f = n - (z << 15)
    if f == 0:
        return _PY_EXP_HI[13 + z]
    z += 1
    f = 32768 - f
    t = _PY_EXP_HI[13 + z]
    t -= _py_scale64(t, _PY_EXPM1_MID[f >> 11])
    y = (f & 0x7FF) << 17
    t -= _py_scale64(t, _py_series(y))
    return t


def _py_expk(n: int) -> int:
    if n > EXP_N_MAX:
        return INT32_MAX
    if n < EXP_N_MIN:
        return 0
    return _wrap_i32(_py_expi64(n) >> 17)


def _py_expulr(n: int) -> int:
    if n > EXP_N_MAX:
        return INT32_MAX
    if n < EXP_N_MIN:
        return 0
    return _py_expi64(n) & M32


# ---------------------------------------------------------------------------------------
# Constants and tables
# ---------------------------------------------------------------------------------------


def test_constants_and_tables():
    # Formats (spec §1.1): s16.15 one = 2^15, u0.32 one = 2^32 (not representable).
    assert S1615_ONE == 32768
    assert U032_ONE == 2**32
    # Module table equals the spec's list; EXP_HI[13] is exp(0) * 2^32.
    assert EXP_HI.dtype == np.uint64
    assert [int(v) for v in EXP_HI] == _PY_EXP_HI
    assert int(EXP_HI[13]) == 2**32


# ---------------------------------------------------------------------------------------
# Exponential: exact values worked by hand from Appendix A
# ---------------------------------------------------------------------------------------


def test_expk_integer_arguments_hand_worked():
    # Rule: f == 0 path, result = EXP_HI[13 + z] >> 17.
    # n = 0: z = 0 >> 15 = 0, f = 0 -> EXP_HI[13] = 4294967296; 4294967296 >> 17 = 32768.
    assert expk(0) == 32768
    # n = -32768 (-1.0): z = -1, f = -32768 - (-1 << 15) = 0 -> EXP_HI[12] = 1580030169;
    # 1580030169 >> 17 = 12054 (1580030169 / 131072 = 12054.67...).
    assert expk(-32768) == 1580030169 >> 17 == 12054
    # n = 32768 (+1.0): EXP_HI[14] = 11674931555; >> 17 = 89072 (= 2.71826... * 32768).
    assert expk(32768) == 11674931555 >> 17 == 89072


def test_expulr_integer_arguments_hand_worked():
    # Rule: expulr = uint32(expi64(n)).
    # n = 0: expi64(0) = EXP_HI[13] = 2^32, which truncates to 0 in 32 bits (C quirk).
    assert expi64(0) == 2**32
    assert expulr(0) == 0
    # n = -32768: expi64 = EXP_HI[12] = 1580030169 < 2^32, kept as is (e^-1 * 2^32).
    assert expulr(-32768) == 1580030169


def test_exp_series_path_hand_worked_tau5():
    # n = -6553 (= -kdivk(1.0, 5.0), the tau_syn = 5, dt = 1 decay argument), worked
    # through Appendix A with integers:
    #   z = -6553 >> 15 = -1;  f = -6553 - (-32768) = 26215   (f != 0: series path)
    #   z = 0;  f = 32768 - 26215 = 6553;  f >> 11 = 3;  f & 0x7FF = 409
    #   t = EXP_HI[13] = 4294967296
    #   scale64(t, EXPM1_MID[3] = 734314346): lo(t) = 0 -> round64(0) = 0;
    #       hi(t) * y = 1 * 734314346  -> t = 4294967296 - 734314346 = 3560652950
    #   y = 409 << 17 = 53608448
    #   series(y): coef_mult(S2, y) = (2081624032 * 53608448) >> 32 = 25982184
    #              t1 = 4293434720 - 25982184 = 4267452536
    #              t2 = (4267452536 * 53608448) >> 32 = 53265017
    #              t3 = 53265017 + 5294 = 53270311
    #   scale64(3560652950, 53270311): lo * y = 189677090009567450,
    #       hi = 44162638, lo part = 4094480602 >= INT32_MAX -> round64 = 44162639;
    #       hi(t) = 0 -> 44162639
    #   t = 3560652950 - 44162639 = 3516490311
    # So expi64(-6553) = 3516490311; expulr = 3516490311 (0.81874670, exact e^-0.19998 =
    # 0.81874666), expk = 3516490311 >> 17 = 26828.
    assert 2081624032 * 53608448 >> 32 == 25982184
    assert 4267452536 * 53608448 >> 32 == 53265017
    assert 3560652950 * 53270311 == 189677090009567450
    assert 189677090009567450 >> 32 == 44162638
    assert 189677090009567450 & M32 == 4094480602 >= 2**31 - 1
    assert _py_expi64(-6553) == 3516490311
    assert expi64(-6553) == 3516490311
    assert expulr(-6553) == 3516490311
    assert expk(-6553) == 26828


def test_exp_series_path_hand_worked_y_zero():
    # n = -16384 (-0.5): z = -1, f = 16384 -> z = 0, f = 16384; f >> 11 = 8, f & 0x7FF = 0
    #   t = 2^32 - scale64(2^32, EXPM1_MID[8] = 1689937949) = 2605029347
    #   y = 0 -> series(0) = (S1 - 0) * 0 >> 32 + S0 = 5294 (the series' constant bias)
    #   scale64(2605029347, 5294) = round64(13791025363018) = 3210 + 1 (lo = 4180342858
    #   >= INT32_MAX) = 3211;  t = 2605029347 - 3211 = 2605026136
    #   expk = 2605026136 >> 17 = 19874  (e^-0.5 * 32768 = 19874.8)
    assert 13791025363018 >> 32 == 3210
    assert 13791025363018 & M32 == 4180342858 >= 2**31 - 1
    assert expi64(-16384) == 2605026136
    assert expk(-16384) == 19874
    assert expulr(-16384) == 2605026136


def test_exp_saturation_thresholds():
    # Appendix A: n > 363408 -> INT32_MAX; n < -340695 -> 0 (both for expk and expulr).
    assert expk(363409) == INT32_MAX
    assert expulr(363409) == INT32_MAX  # sic: INT32_MAX, not UINT32_MAX
    assert expk(-340696) == 0
    assert expulr(-340696) == 0
    # Just inside the bounds the table path is used.
    assert expk(EXP_N_MAX) == _py_expk(EXP_N_MAX) == 2147433656
    assert expk(EXP_N_MIN) == _py_expk(EXP_N_MIN) == 1
    assert expulr(EXP_N_MIN) == _py_expulr(EXP_N_MIN)


def test_expi64_rejects_arguments_outside_table():
    # The tables cover z in [-13, 12]; the C would read out of bounds, we refuse.
    with pytest.raises(ValueError):
        expi64(-13 * 32768 - 1)
    with pytest.raises(ValueError):
        expi64(12 * 32768 + 1)


def test_exp_sweep_matches_python_oracle():
    # Bit-exactness against the pure-Python Appendix A over a regular sweep of the domain.
    for n in range(EXP_N_MIN - 3, EXP_N_MAX + 4, 97):
        assert expk(n) == _py_expk(n), n
        assert expulr(n) == _py_expulr(n), n


@small_settings
@given(st.integers(EXP_N_MIN, EXP_N_MAX))
def test_expi64_matches_python_oracle(n):
    # Rule: Appendix A; oracle: pure Python ints.
    assert expi64(n) == _py_expi64(n)
    assert expk(n) == _py_expk(n)
    assert expulr(n) == _py_expulr(n)


@small_settings
@given(st.integers(EXP_N_MIN, EXP_N_MAX))
def test_expk_close_to_math_exp(n):
    # Error of the routine: expi64 is within ~1e-5 relative of exp (measured max over the
    # whole domain: 9.3e-6), then >> 17 truncates (< 1 ulp = 2^-15). Allow 1e-4 relative
    # plus 2 ulps.
    exact = math.exp(n / 32768)
    got = expk(n) / 32768
    assert abs(got - exact) <= 1e-4 * exact + 2 / 32768


@small_settings
@given(st.integers(EXP_N_MIN, -1))
def test_expulr_close_to_math_exp(n):
    # u0.32 result. Measured max relative error over [-340695, -1] is 1.31e-6 (about
    # 1.37 * 2^-20, caused by the series' constant term S0 = 5294 ~ 1.2e-6), so allow
    # 2^-19 relative plus 2 ulps of 2^-32.
    exact = math.exp(n / 32768)
    got = expulr(n) / 2**32
    assert abs(got - exact) <= 2.0**-19 * exact + 2 / 2**32


@njit
def _max_excess_error(lo, hi):
    # Exhaustive check from inside a jitted kernel (also proves the kernels are callable
    # from njit code): returns max over n of |expk - exp| - (1e-4 exp + 2 ulp), in ulps.
    worst = -1e9
    for n in range(lo, hi + 1):
        exact = np.exp(n / 32768.0)
        err = abs(expk(n) / 32768.0 - exact)
        excess = (err - (1e-4 * exact + 2.0 / 32768.0)) * 32768.0
        worst = max(worst, excess)
    return worst


def test_expk_exhaustive_error_bound():
    assert _max_excess_error(EXP_N_MIN, EXP_N_MAX) <= 0.0


# ---------------------------------------------------------------------------------------
# Spec §1.2 derived constants (7.x on-chip initialisation)
# ---------------------------------------------------------------------------------------


def test_spec_synapse_constants_tau5_dt1():
    # ts = kdivui(1.0, 1) = 32768; tau = 5.0 = 163840.
    ts = kdivui(32768, 1)
    assert ts == 32768
    # ts/tau = (32768 << 15) // 163840 = 1073741824 // 163840 = 6553 (0.19998, truncated)
    assert kdivk(ts, 163840) == 6553
    decay = expulr(-6553)
    assert decay == 3516490311  # worked out in test_exp_series_path_hand_worked_tau5
    # tau/ts = (163840 << 15) // 32768 = 163840 (5.0 exactly)
    tau_over_ts = kdivk(163840, ts)
    assert tau_over_ts == 163840
    # init = decay_s1615_to_u032(tau/ts, 1.0ulr - decay); 1.0ulr is 0xFFFFFFFF on the chip.
    # (0xFFFFFFFF - 3516490311) = 778476984; 163840 * 778476984 >> 15 = 3892384920.
    init = decay_s1615_to_u032(tau_over_ts, 0xFFFFFFFF - decay)
    assert init == 163840 * 778476984 >> 15 == 3892384920
    # Spec §1.2: "init = 0.90626649 vs exact 0.90634623".
    assert round(init / 2**32, 8) == 0.90626649
    assert abs(5 * (1 - math.exp(-0.2)) - 0.90634623) < 1e-8


def test_spec_lif_constants_taum20_dt1():
    # exp_TC = expk(-kdivk(ts, tau_m)); tau_m = 20.0 = 655360.
    # kdivk(32768, 655360) = 1073741824 // 655360 = 1638 (0.049988).
    assert kdivk(32768, 655360) == 1638
    # expi64(-1638): z = 0, f = 1638 after the flip; EXPM1_MID[0] = 0 leaves t = 2^32;
    # y = 1638 << 17 = 214695936, series(y) = 209423100, t = 2^32 - 209423100 =
    # 4085544196; >> 17 = 31170.  Spec §1.2: exp(-1/20) -> 31170/32768.
    assert _py_series(1638 << 17) == 209423100
    assert expk(-kdivk(32768, 655360)) == 4085544196 >> 17 == 31170
    # R_membrane = kdivk(tau_m = 20.0, cm = 0.25) = (655360 << 15) // 8192 = 2621440 (80.0)
    assert kdivk(655360, 8192) == 2621440


# ---------------------------------------------------------------------------------------
# Basic operations vs Python ints
# ---------------------------------------------------------------------------------------


def test_mul_s1615_floor_examples():
    # Rule (spec §1.1): floor(a*b / 2^15), no rounding: -1 * 1 = -1 -> floor(-1/32768) = -1.
    assert mul_s1615(-1, 1) == -1
    assert mul_s1615(1, 1) == 0
    assert mul_s1615(32768, 32768) == 32768  # 1.0 * 1.0
    assert mul_s1615(-49152, 16384) == -24576  # -1.5 * 0.5 = -0.75 (exact)
    # Wrap, no saturation: 256.0 * 256.0 = 65536.0 -> 2^31 bits wraps to INT32_MIN.
    assert mul_s1615(256 * 32768, 256 * 32768) == INT32_MIN


@small_settings
@given(int32s, int32s)
def test_mul_s1615_matches_python(a, b):
    assert mul_s1615(a, b) == _wrap_i32((a * b) >> 15)


@small_settings
@given(int32s, st.integers(0, M32))
def test_decay_s1615_matches_python(x, d):
    # Rule (decay.h): (int64 x * int64 d) >> 32, arithmetic (floor).
    assert decay_s1615(x, d) == (x * d) >> 32


def test_decay_s1615_floor_for_negative():
    # -1 * 0.5 -> floor(-2^31 / 2^32) = -1 (not 0).
    assert decay_s1615(-1, 2**31) == -1
    assert decay_s1615(-32768, 0xFFFFFFFF) == -32768  # floor(-32767.99999...) = -32768


@small_settings
@given(st.integers(0, INT32_MAX), st.integers(0, M32))
def test_decay_s1615_to_u032_matches_python(x, d):
    # Rule (decay.h): uint32((uint64 x * uint64 d) >> 15) for non-negative x.
    assert decay_s1615_to_u032(x, d) == ((x * d) >> 15) & M32


@small_settings
@given(st.integers(0, INT32_MAX), st.integers(1, INT32_MAX))
def test_kdivk_matches_python(a, b):
    # Rule (maths-util.h): uint32((a << 15) // b), returned as int32 bits.
    assert kdivk(a, b) == _wrap_i32(((a << 15) // b) & M32)


@small_settings
@given(st.integers(0, INT32_MAX), st.integers(1, M32))
def test_kdivui_matches_python(a, n):
    # Rule (maths-util.h): a // n, truncating.
    assert kdivui(a, n) == a // n


def test_kdivui_negative_mirrors_c_unsigned_division():
    # The C sign-extends a to uint64 before the unsigned division, so -1 / 2 is
    # (2^64 - 1) // 2 = 2^63 - 1, whose low 32 bits read as int32 are -1 (Python
    # truncation would give 0). Callers only pass positive values.
    assert kdivui(-1, 2) == _wrap_i32(((2**64 - 1) // 2) & M32) == -1


def test_kernel_return_types():
    # The kernels must produce integers of the machine type, never floats.
    mul_s1615(3, 4)
    decay_s1615(3, 4)
    decay_s1615_to_u032(3, 4)
    kdivk(3, 4)
    kdivui(3, 4)
    expi64(-5)
    expk(-5)
    expulr(-5)
    expected = {
        mul_s1615: "int32",
        decay_s1615: "int32",
        decay_s1615_to_u032: "uint32",
        kdivk: "int32",
        kdivui: "int32",
        expi64: "uint64",
        expk: "int32",
        expulr: "uint32",
    }
    for fn, name in expected.items():
        for sig in fn.nopython_signatures:
            assert str(sig.return_type) == name, (fn.__name__, sig)


# ---------------------------------------------------------------------------------------
# Host helpers
# ---------------------------------------------------------------------------------------


def test_encode_s1615_round_half_even():
    # Rule: rint(value * 32768), numpy round-half-even (spec §1.2).
    got = encode_s1615([0.5 / 32768, 1.5 / 32768, 2.5 / 32768, -0.5 / 32768, 0.1, -65.0])
    assert got.dtype == np.int32
    # 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -0.5 -> 0, 3276.8 -> 3277, -65 * 32768 = -2129920.
    assert got.tolist() == [0, 2, 2, 0, 3277, -2129920]


def test_encode_s1615_range():
    # int32 range: -65536.0 encodes to INT32_MIN; 65536.0 would be 2^31 -> error.
    assert encode_s1615([-65536.0]).tolist() == [INT32_MIN]
    assert encode_s1615([INT32_MAX / 32768]).tolist() == [INT32_MAX]
    with pytest.raises(ValueError, match="65536"):
        encode_s1615([1.0, 65536.0])
    with pytest.raises(ValueError, match=r"value -70000\.0 "):
        encode_s1615(-70000.0)
    with pytest.raises(ValueError, match="nan"):
        encode_s1615([np.nan])


def test_encode_s1615_scalar_gives_array():
    got = encode_s1615(5.0)
    assert isinstance(got, np.ndarray) and got.dtype == np.int32 and got.shape == ()
    assert int(got) == 163840


def test_decode_s1615():
    assert decode_s1615(np.array([32768, -16384, 1], dtype=np.int32)).tolist() == [
        1.0,
        -0.5,
        1 / 32768,
    ]


@small_settings
@given(int32s)
def test_encode_decode_roundtrip(bits):
    assert encode_s1615(decode_s1615([bits])).tolist() == [bits]
