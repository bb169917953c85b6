"""SpiNNaker fixed-point arithmetic, bit-exact, as Numba scalar kernels.

The SpiNNaker neuron cores (sPyNNaker 7.x) compute in two fixed-point formats:

* **s16.15** (``accum``, ``REAL``, ``input_t``, ``state_t``): a signed 32-bit integer whose
  value is ``bits / 2**15``; here always carried as its raw ``int32`` bits
  (``S1615_ONE = 32768`` is 1.0).
* **u0.32** (``unsigned long fract``, ``decay_t``): an unsigned 32-bit integer whose value
  is ``bits / 2**32`` (``U032_ONE = 2**32`` would be 1.0 and is *not* representable; the
  largest value is ``0xFFFFFFFF``); here carried as ``uint32`` bits.

Every function below mirrors one C routine of sPyNNaker / spinn_common 7.4.1 and reproduces
its integer steps exactly, including truncations, wrap-arounds and quirks (see the spec,
``spinnaker.md`` §1.1, §1.2 and Appendix A).  All kernels are ``@njit(cache=True)`` so they
can be called from other jitted kernels; every intermediate is cast explicitly because
Numba promotes mixed ``uint64``/``int64`` arithmetic to ``float64``.

Called from plain Python, the kernels return Python ints (Numba boxes its integers).
Only ``encode_s1615`` / ``decode_s1615`` are host-side numpy helpers.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = [
    "EXPM1_MID",
    "EXP_HI",
    "S1615_ONE",
    "U032_ONE",
    "decay_s1615",
    "decay_s1615_to_u032",
    "decode_s1615",
    "encode_s1615",
    "expi64",
    "expk",
    "expulr",
    "kdivk",
    "kdivui",
    "mul_s1615",
]

S1615_ONE = 32768
U032_ONE = 2**32

#: exp(k - 13) * 2^32 for k = 0..25 (``__exp_hi`` in spinn_common ``src/stdfix-exp.c``).
EXP_HI = np.array(
    [
        9708, 26389, 71733, 194991, 530041, 1440801,
        3916503, 10646160, 28939262, 78665070, 213833830,
        581260615, 1580030169, 4294967296, 11674931555, 31735754293,
        86266724208, 234497268814, 637429664642, 1732713474316, 4710003551159,
        12803117065094, 34802480465680, 94602950235157, 257157480542844, 699026506411923,
    ],
    dtype=np.uint64,
)  # fmt: skip

#: (1 - exp(-j/16)) * 2^32 for j = 0..15 (``__expm1_mid`` in ``src/stdfix-exp.c``).
EXPM1_MID = np.array(
    [
        0, 260218914, 504671961, 734314346,
        950043403, 1152702096, 1343082321, 1521927990,
        1689937949, 1847768698, 1996036966, 2135322113,
        2266168400, 2389087112, 2504558555, 2613033936,
    ],
    dtype=np.uint32,
)  # fmt: skip

#: ``__exp_series`` = {S0, S1, S2} in ``src/stdfix-exp.c``.
_EXP_SERIES = np.array([5294, 4293434720, 2081624032], dtype=np.uint32)

#: Saturation bounds of ``expk`` / ``expulr`` on the raw s16.15 argument bits.
_EXP_N_MAX = 363408
_EXP_N_MIN = -340695

_INT32_MAX = 2**31 - 1
_INT32_MIN = -(2**31)


# ----------------------------------------------------------------------------------------
# Basic s16.15 / u0.32 operations
# ----------------------------------------------------------------------------------------


@njit(cache=True)
def mul_s1615(a, b):
    """s16.15 * s16.15 -> s16.15 (``accum * accum`` as compiled by arm-none-eabi-gcc).

    The shipped binaries do ``smull lo, hi, a, b; r = (hi << 17) | (lo >> 15)``, i.e.
    ``floor(int64(a) * int64(b) / 2^15)`` truncated to 32 bits: no rounding, no saturation.
    """
    p = np.int64(a) * np.int64(b)
    return np.int32(p >> np.int64(15))


@njit(cache=True)
def decay_s1615(x, d):
    """Decay an s16.15 value by a u0.32 factor: ``(int64(x) * int64(d)) >> 32`` (floor).

    Mirrors ``decay_s1615`` in sPyNNaker ``neural_modelling/src/neuron/decay.h`` (both
    operands widened to *signed* int64, arithmetic shift, result truncated to int32).
    """
    p = np.int64(x) * np.int64(np.uint32(d))
    return np.int32(p >> np.int64(32))


@njit(cache=True)
def decay_s1615_to_u032(x, d):
    """s16.15 times u0.32 giving u0.32: ``uint32((uint64(x) * uint64(d)) >> 15)``.

    Mirrors ``decay_s1615_to_u032`` in ``neural_modelling/src/neuron/decay.h``; used for the
    synapse ``init`` constant.  ``x`` is sign-extended to uint64 as in C (so a negative ``x``
    gives garbage, as on the chip); the 64-bit product wraps.
    """
    s = np.uint64(np.int64(x))
    u = np.uint64(np.uint32(d))
    return np.uint32((s * u) >> np.uint64(15))


@njit(cache=True)
def kdivk(a, b):
    """s16.15 / s16.15 -> s16.15 bits: ``uint32(udiv64(uint64(a) << 15, uint64(b)))``.

    Mirrors ``kdivk`` in sPyNNaker ``neural_modelling/src/common/maths-util.h`` (7.x):
    unsigned truncating division of the sign-extended operands; the result is returned as
    the int32 bits of the s16.15 quotient.  Only meaningful for positive operands.
    """
    num = np.uint64(np.int64(a)) << np.uint64(15)
    den = np.uint64(np.int64(b))
    q = num // den
    return np.int32(np.uint32(q))


@njit(cache=True)
def kdivui(a, n):
    """s16.15 / unsigned int -> s16.15 bits: ``int32(udiv64(uint64(a), uint64(n)))``.

    Mirrors ``kdivui`` in ``neural_modelling/src/common/maths-util.h`` (used for
    ``ts = time_step / n_steps_per_timestep``): truncating unsigned division; for
    non-negative ``a`` this is ``a // n``.
    """
    num = np.uint64(np.int64(a))
    den = np.uint64(np.uint32(n))
    q = num // den
    return np.int32(np.uint32(q & np.uint64(0xFFFFFFFF)))


# ----------------------------------------------------------------------------------------
# The on-chip exponential (spinn_common 7.4.1, src/stdfix-exp.c + include/utils.h)
# ----------------------------------------------------------------------------------------


@njit(cache=True)
def _round64(x):
    """``round64`` (spinn_common ``include/utils.h``): hi(x) + (lo(x) >= INT32_MAX)."""
    x = np.uint64(x)
    r = x >> np.uint64(32)
    lo = x & np.uint64(0xFFFFFFFF)
    if lo >= np.uint64(0x7FFFFFFF):
        r = r + np.uint64(1)
    return r


@njit(cache=True)
def _scale64(x, y):
    """``scale64`` (``include/utils.h``): x * y / 2^32 with y a u0.32, low half rounded."""
    x = np.uint64(x)
    y64 = np.uint64(np.uint32(y))
    lo = x & np.uint64(0xFFFFFFFF)
    hi = x >> np.uint64(32)
    return _round64(lo * y64) + hi * y64


@njit(cache=True)
def _coef_mult(c, x):
    """``coef_mult`` (``src/stdfix-exp.c``): uint32((uint64(c) * uint64(x)) >> 32)."""
    p = np.uint64(np.uint32(c)) * np.uint64(np.uint32(x))
    return np.uint32(p >> np.uint64(32))


@njit(cache=True)
def _exp_series(y):
    """``exp_series`` (``src/stdfix-exp.c``): ~ (1 - exp(-y/2^32)) * 2^32, uint32 wrap."""
    s0 = np.uint64(_EXP_SERIES[0])
    s1 = np.uint64(_EXP_SERIES[1])
    s2 = _EXP_SERIES[2]
    t = np.uint32(s1 - np.uint64(_coef_mult(s2, y)))  # uint32 wrap-around
    t = _coef_mult(t, y)
    return np.uint32(np.uint64(t) + s0)  # uint32 wrap-around


@njit(cache=True)
def expi64(n):
    """exp(n / 2^15) * 2^32 as uint64, for s16.15 bits ``n`` (``__expi64``, stdfix-exp.c).

    Table of exp of integers (``EXP_HI``) times a 1/16-step table (``EXPM1_MID``) times a
    3-term series for the last 11 fraction bits.  Defined for
    ``-425984 <= n <= 393216`` (the table range); callers (``expk``/``expulr``) saturate
    first, so only ``-340695 <= n <= 363408`` is used.
    """
    n64 = np.int64(n)
    if n64 < np.int64(-13 * 32768) or n64 > np.int64(12 * 32768):
        raise ValueError("expi64: argument outside the table range")
    z = n64 >> np.int64(15)  # floor (arithmetic shift)
    f = n64 - (z << np.int64(15))  # fraction, 0 <= f < 32768
    if f == np.int64(0):
        return np.uint64(EXP_HI[np.int64(13) + z])
    z = z + np.int64(1)
    f = np.int64(32768) - f
    t = np.uint64(EXP_HI[np.int64(13) + z])
    t = t - _scale64(t, EXPM1_MID[f >> np.int64(11)])
    y = np.uint32((f & np.int64(0x7FF)) << np.int64(17))
    t = t - _scale64(t, _exp_series(y))
    return t


@njit(cache=True)
def expk(n):
    """exp of an s16.15, as s16.15 bits (int32): ``expk`` in spinn_common stdfix-exp.c.

    ``n > 363408`` -> INT32_MAX, ``n < -340695`` -> 0, else ``int32(expi64(n) >> 17)``.
    """
    n64 = np.int64(n)
    if n64 > np.int64(_EXP_N_MAX):
        return np.int32(_INT32_MAX)
    if n64 < np.int64(_EXP_N_MIN):
        return np.int32(0)
    return np.int32(expi64(n64) >> np.uint64(17))


@njit(cache=True)
def expulr(n):
    """exp of an s16.15, as u0.32 bits (uint32): ``expulr`` in spinn_common stdfix-exp.c.

    ``n > 363408`` -> INT32_MAX (sic), ``n < -340695`` -> 0, else ``uint32(expi64(n))``.
    Quirk kept from the C: ``expulr(0) == 0`` since 2^32 truncates to 0 (and positive
    arguments wrap modulo 2^32).
    """
    n64 = np.int64(n)
    if n64 > np.int64(_EXP_N_MAX):
        return np.uint32(_INT32_MAX)
    if n64 < np.int64(_EXP_N_MIN):
        return np.uint32(0)
    return np.uint32(expi64(n64) & np.uint64(0xFFFFFFFF))


# ----------------------------------------------------------------------------------------
# Host helpers
# ----------------------------------------------------------------------------------------


def encode_s1615(values: npt.ArrayLike) -> np.ndarray:
    """Encode real values as s16.15 int32 bits: ``rint(values * 32768)`` (round half even).

    Mirrors ``DataType.S1615.encode`` used by sPyNNaker's host side for arrays (numpy
    round-half-even).  Raises ``ValueError`` naming the first value that is not finite or
    whose encoding does not fit in an int32.
    """
    arr = np.asarray(values, dtype=np.float64)
    scaled = np.rint(arr * S1615_ONE)
    bad = ~np.isfinite(scaled) | (scaled < _INT32_MIN) | (scaled > _INT32_MAX)
    if np.any(bad):
        first = float(arr[bad].flat[0] if arr.ndim else arr.item())
        raise ValueError(
            f"value {first!r} cannot be encoded as s16.15 (representable range is "
            f"[{_INT32_MIN / S1615_ONE}, {_INT32_MAX / S1615_ONE}])"
        )
    return np.asarray(scaled, dtype=np.int32)


def decode_s1615(bits: npt.ArrayLike) -> np.ndarray:
    """Decode s16.15 int32 bits into float64 values: ``bits / 32768`` (exact)."""
    return np.asarray(bits, dtype=np.float64) / S1615_ONE
