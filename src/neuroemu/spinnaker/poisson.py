"""SpiNNaker ``SpikeSourcePoisson`` (sPyNNaker 1!7.4.1) as a machine program + jitted kernel.

Sources read (behaviour and numbers only; all code here is written anew):

* ``sPyNNaker: neural_modelling/src/spike_source/poisson/spike_source_poisson.c`` (7.x,
  Apache-licensed header; the version with ``rng_seed_t``, ``ticks_per_ms``,
  ``n_colour_bits`` and the EXPANDER region): per-source state, ``set_spike_source_rate``,
  ``ms_to_ticks``, ``set_spike_source_details``, ``read_rates``, ``resume_callback``,
  ``process_fast_source`` / ``process_slow_source``, ``timer_callback``, the inline
  KISS64 ``rng()``, ``n_spikes_poisson_fast`` (Knuth), ``n_steps_until_next`` (von Neumann
  exponential) and ``faster_spike_source_get_num_spikes`` (Gaussian approximation).
* ``sPyNNaker: neural_modelling/src/common/maths-util.h`` (Apache version): ``EXP = expk``,
  ``SQRT = sqrtk``, ``HALF = 0.5k``, ``UFRACT_CONST(x) = x##ulr``, ``REAL_COMPARE`` on bits.
* ``spinn_common: src/sqrt.c`` (``sqrtk``: Newton iteration on the reciprocal root),
  ``spinn_common: src/normal.c`` + ``include/normal.h`` (``norminv_urt``, table/polynomial
  inverse normal CDF), ``include/polynomial.h`` (``__horner_int_b`` with ARM ``smlawb``),
  ``include/stdfix-full-iso.h`` (``roundk`` = ``__stdfix_round_s32``, ``__stdfix_smul_ulr``,
  ``bitsulk`` etc.), and the spec's Appendix A for ``expk`` (``spinn_common: src/stdfix-exp.c``).
* ``sPyNNaker: spynnaker/pyNN/models/spike_source/spike_source_poisson_machine_vertex.py``
  (7.x): the host writes ``seconds_per_tick`` as U0.32, ``ticks_per_ms`` as U16.16,
  ``SLOW_RATE_PER_TICK_CUTOFF = 0.01`` and ``FAST_RATE_PER_TICK_CUTOFF = 10`` as S16.15, the
  4-word KISS seed, and rates/starts/durations as U32.32 (``numpy.round(x * 2**32)``).
* ``sPyNNaker: spynnaker/pyNN/models/spike_source/spike_source_poisson_vertex.py`` (7.x):
  ``DURATION_FOREVER = 0xFFFFFFFF``, one ``RandomState(seed)`` per population, one seed
  quadruple per slice (``kiss_seed``); ``spynnaker/pyNN/utilities/utility_calls.py``
  ``create_mars_kiss_seeds`` (see :mod:`neuroemu.engine.kiss64`).
* ``spinn_front_end_common ... ds/data_type.py``: scalar ``DataType.encode_as_int`` is
  ``int(round(Decimal(str(value)) * scale))`` (half-even); ``FecDataView`` timings:
  ``time_step_s = us / 1e6``, ``time_step_per_ms = 1000 / us``.

What the machine does, and what this module reproduces bit for bit
-----------------------------------------------------------------
Per source the chip turns the U32.32 rate into U16.16 (fixed-point conversion, truncating;
rates >= 65536 Hz wrap), then
``rate_per_tick = (rate_u1616 * seconds_per_tick_u032) >> 33`` (s16.15 bits) and chooses:

* **slow** (``rate_per_tick < 0.01``, i.e. bits < 328): ``mean_isi_ticks =
  ts_per_second / rate`` (integer division of the fixed-point bits, ``ts_per_second =
  1000 * ticks_per_ms``). ``time_to_spike`` counts in units of 1/``ISI_SCALE_FACTOR`` (1000)
  ticks. Each new interval is ``uint32(roundk(E * 1000, 15)) * mean_isi_ticks`` where ``E``
  is the von Neumann exponential variate (s16.15). A zero rate is a slow source with
  ``mean_isi_ticks = 0``: it never spikes, but still draws its initial interval.
  Per active tick: ``while tts < 1000: count += 1; tts += next_interval``; then
  ``tts -= 1000``. Several spikes per tick are possible.
* **fast** (``0.01 <= rate_per_tick < 10``): ``exp_minus_lambda = (u0.32) expk(-rpt)``;
  Knuth: ``p = 1.0ulr`` (0xFFFFFFFF), ``p = (p * rng()) >> 32`` until ``p <=
  exp_minus_lambda``; count = draws - 1.
* **faster** (``rate_per_tick >= 10``): ``sqrt_lambda = sqrtk(rpt)``;
  ``x = norminv_urt(rng()) * 0.5k + sqrt_lambda``; count = ``uint32(roundk(x * x, 15))``
  (``roundk(., 15)`` rounds an accum to the nearest integer, halves up).

Initialisation (load, and again after ``reset()`` since the C re-reads the seed from
SDRAM): the KISS state is set from the seed quadruple and every *slow* source, in atom
order, draws its first ``time_to_spike``. Each tick (``time`` = 0, 1, ...) the sources of a
core are processed in atom order, a source being active while
``start_ticks <= time < end_ticks`` with ``ms_to_ticks(ms) = uint32(ms * ticks_per_ms +
0.5k)`` and ``end = start + ms_to_ticks(duration)`` (``0xFFFFFFFF`` = forever). A run split
in two continues the same streams (no re-draw on resume when nothing changed).

Not reproduced / assumptions (see also the report):
* one rate per source (``SpikeSourcePoisson``); the multi-rate ``SpikeSourcePoissonVariable``
  schedule (``next_ticks``) and live rate changes are not modelled; with one rate
  ``next_ticks = END_OF_TIME`` so the rate-schedule loop of the C timer is a no-op.
* ``ulk * ulk`` in ``ms_to_ticks`` is taken as the truncated 128-bit product (libgcc); it
  only matters when ``ticks_per_ms`` is not an integer *and* the product falls within
  2^-32 of a half tick.
* finite durations >= 4294967295 ms (PyNN's default 1e10 included) are treated as
  "forever"; the real host would overflow its U32.32 encoding.
* the simulation time step in microseconds is taken as ``round(dt_ms * 1000)``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from numba import njit, types
from numba.extending import overload

from neuroemu.engine.fixedpoint import expk
from neuroemu.engine.kiss64 import kiss64_next, kiss64_step, kiss_seeds_for_slices

__all__ = [
    "FIELD_NAMES",
    "ISI_SCALE_FACTOR",
    "PoissonProgram",
    "build_poisson_program",
    "eml_kind",
    "knuth_core_tick",
    "knuth_windows",
    "n_spiking",
    "norminv_urt",
    "poisson_core_tick",
    "poisson_run",
    "poisson_tick_all",
    "reset_poisson_program",
    "run_poisson_program",
    "sqrtk_bits",
]

# ----------------------------------------------------------------------------------------
# constants of the machine
# ----------------------------------------------------------------------------------------

ISI_SCALE_FACTOR = 1000
END_OF_TIME = 0xFFFFFFFF
DURATION_FOREVER_MS = 0xFFFFFFFF
SLOW_RATE_PER_TICK_CUTOFF = 0.01
FAST_RATE_PER_TICK_CUTOFF = 10
MAX_RATE_HZ = 2.0**32  # U32.32 integer part; beyond this the host encoding overflows
WRAP_RATE_HZ = 65536.0  # the C converts the rate to U16.16: wraps from here on

_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF

REGIME_SLOW = 0
REGIME_FAST = 1
REGIME_FASTER = 2

#: order of the arrays returned by :meth:`PoissonProgram.fields` (and taken by the kernels)
FIELD_NAMES = (
    "slice_bounds",
    "start_ticks",
    "end_ticks",
    "is_fast",
    "exp_minus_lambda",
    "sqrt_lambda",
    "mean_isi_ticks",
    "time_to_spike",
    "kiss_state",
)


# ----------------------------------------------------------------------------------------
# host-side fixed-point helpers (pure Python integers, run once per distinct value)
# ----------------------------------------------------------------------------------------

def _encode_scalar(value: float, scale: int) -> int:
    """``DataType.encode_as_int`` for a scalar: Decimal(str(v)) * scale, rounded half-even."""
    return round(Decimal(str(value)) * scale)


def _u3232_array(values: np.ndarray) -> np.ndarray:
    """Host ``_u3232_to_uint64``: ``numpy.round(values * 2**32).astype(uint64)``."""
    return np.round(np.asarray(values, dtype=np.float64) * 4294967296.0).astype(np.uint64)


def _to_int32(v: int) -> int:
    v &= _M32
    return v - (1 << 32) if v & 0x80000000 else v


# sqrtk (spinn_common src/sqrt.c) -----------------------------------------------------------

_SQRT_HALF = 3037000500


def _signed64(u: int) -> int:
    u &= _M64
    return u - (1 << 64) if u >> 63 else u


def _x_u64_ulr(x: int, y: int) -> int:
    r = (x & _M32) * y
    r = (r >> 32) + ((r & 0x80000000) >> 31)
    return (r + (x >> 32) * y) & _M64


def _newton_xr(x: int, r: int) -> int:
    t = x * r
    return ((x << 32) - (t >> 1)) & _M64


def _newton_xlr(x: int, r: int) -> int:
    t = _x_u64_ulr(r, x)
    return ((x << 32) - (t >> 1)) & _M64


def _newton_lxr(x: int, r: int) -> int:
    return (x - _x_u64_ulr(x, r >> 1)) & _M64


def _newton_lxlr(x: int, r: int) -> int:
    r >>= 1
    res = (x & _M32) * (r & _M32)
    res = ((x >> 32) * (r & _M32) + ((res & 0x80000000) >> 31)) & _M64
    tmp = ((x & _M32) * (r >> 32) + (res & _M32)) & _M64
    res = ((res >> 32) + (tmp >> 32) + ((tmp & 0x80000000) >> 31)) & _M64
    res = (res + (x >> 32) * (r >> 32)) & _M64
    return (x - res) & _M64


def _newton_xr2(x: int, r: int) -> int:
    t = _newton_xr(x, r)
    t = _newton_lxr(t, r)
    return (t - (1 << 63)) & _M64


def _newton_xlr2(x: int, r: int) -> int:
    t = _newton_xlr(x, r)
    t = _newton_lxlr(t, r)
    return (t - (1 << 63)) & _M64


def _neg64(u: int) -> int:
    return (-_signed64(u)) & _M64


def _square_root_improve(x: int, r: int) -> int:
    u = _newton_xr2(x, r)
    neg = _signed64(u) < 0
    if neg:
        u = _neg64(u)
    t = _x_u64_ulr(u, r >> 1)
    u = (u - t) & _M64
    if neg:
        u = _neg64(u)
    u = (u << 1) & _M64
    return (u + (r << 32)) & _M64


def _square_root_ximprove(x: int, r: int) -> int:
    u = _newton_xlr2(x, r)
    neg = _signed64(u) < 0
    if neg:
        u = _neg64(u)
    t = _x_u64_ulr(u, (r >> 33) & _M32)
    t = (t + (_x_u64_ulr(u, (r >> 1) & _M32) >> 32)) & _M64
    u = (u - t) & _M64
    if neg:
        u = _neg64(u)
    u = (u << 1) & _M64
    return (u + r) & _M64


def _recip_normalized_root(x: int) -> int:
    res = _square_root_improve(x, (x & 0x7FFFFFFF) >> 1)
    res = _square_root_improve(x, res >> 32)
    res = _square_root_improve(x, res >> 32)
    res = _square_root_ximprove(x, res)
    return _square_root_ximprove(x, res)


def sqrtk_bits(x: int) -> int:
    """spinn_common ``sqrtk`` on raw s16.15 bits (negative -> 0); returns s16.15 bits."""
    x = int(x)
    x = max(x, 0)
    if x == 0 or x == 32768:
        return x
    n = 32 - x.bit_length()  # __builtin_clz
    ru = (x << n) & _M32
    tmp = _recip_normalized_root(ru)
    tmp = _newton_xlr(ru, tmp)
    tmp >>= 16 + ((n - 16) >> 1)
    if n & 1:
        tmp = _x_u64_ulr(tmp, _SQRT_HALF)
    return _to_int32(tmp >> 32)


# ----------------------------------------------------------------------------------------
# on-chip helpers, jitted (int64 arithmetic with explicit 32-bit wrap)
# ----------------------------------------------------------------------------------------

# spinn_common normal.c tables
_NORM_LOW = np.array([
    229376, 136628, 131359, 128187, 125892, 124086, 122593, 121318, 120204, 119213,
    118321, 117508, 116762, 116072, 115430, 114830, 114265, 113733, 113229, 112751,
    112295, 111860, 111444, 111045, 110662, 110294, 109939, 109596, 109265, 108945,
    108635, 108334, 108042,
], dtype=np.int64)
_NORM_OFFSET = np.array([7200, 6272, 4608, 2048, 0, 0], dtype=np.int64)
_NORM_MULT = np.array([32, 16, 8, 6, 6, 0], dtype=np.int64)
_NORM_LEADING = np.array(
    [98304, 98304, 65536, 65536, 65536, 16, 14, 13, 11, 10, 0], dtype=np.int64)
_NORM_POLY = np.array([
    [489693536, -966086639, 1048652819, -1202555181, 638185482],
    [510971994, -1008958387, 1097593202, -1269255408, 208850025],
    [535062308, -1057614622, 1153468280, -1347876992, 1901851228],
    [562587223, -1113360216, 1217886707, -1442344496, 1417447081],
    [594357355, -1177895230, 1292890733, -1558625637, 896662126],
    [1364524482, 4157352, 893590920, 482307216, -56131990],
    [1594011413, 34197350, 980366094, 540913971, 14157698],
    [2059946197, 130876674, 1126841309, 628910107, -391651081],
    [669410721, 151375990, 657881394, 208981697, -111730420],
    [135763632, 134215538, 347443147, -134393924, 14235314],
    [0, 0, 0, 0, 0],
], dtype=np.int64)


@njit(cache=True)
def _wrap32(v):
    """Two's-complement wrap of an int64 to the int32 range."""
    return ((v + np.int64(0x80000000)) & np.int64(0xFFFFFFFF)) - np.int64(0x80000000)


@njit(cache=True)
def _sext16(v):
    """Bottom 16 bits of ``v`` read as a signed int16."""
    b = v & np.int64(0xFFFF)
    if b >= 32768:
        b -= 65536
    return b


@njit(cache=True)
def _horner_b(row, x):
    """``__horner_int_b`` (ARM DSP path): r = a_i + ((r * x[15:0]) >> 16), 32-bit wrap."""
    xs = _sext16(x)
    r = _NORM_POLY[row, 0]
    for i in range(1, 5):
        r = _wrap32(_NORM_POLY[row, i] + ((r * xs) >> 16))
    return r


@njit(cache=True)
def _lo_approx(approx, x):
    r = _horner_b(approx, x)
    c = (r >> 14) & 1
    r = _wrap32(((r >> 15) + c) << 15)
    return _wrap32(_NORM_LEADING[approx] + (r >> 16))


@njit(cache=True)
def _mid_approx(approx, x):
    r = _horner_b(approx + 5, x)
    return _wrap32(r + _wrap32(x << 14))


@njit(cache=True)
def _tail_approx(approx, p):
    p = p - (np.int64(1) << (14 - approx))
    p = p << (approx + 1)
    return _lo_approx(9 - approx, p)


@njit(cache=True)
def _central_approx(approx, p):
    ps = _sext16(p)
    z = (ps * ps) >> 17
    z -= _NORM_OFFSET[5 - approx]
    z *= _NORM_MULT[5 - approx]
    z = _wrap32(z << 1)
    r = _mid_approx(5 - approx, z)
    r = r >> 16
    r = _wrap32(r + (_NORM_LEADING[10 - approx] << 13))
    return _wrap32((r * ps) >> 16)


@njit(cache=True)
def _clz32(v):
    n = 0
    while v > 0:
        v >>= 1
        n += 1
    return 32 - n


@njit(cache=True)
def _norminv_rbits(x):
    """spinn_common ``__norminv_rbits``: x = p - 0.5 in s0.16 -> s16.15 bits."""
    neg = x < 0
    if x + 32768 <= 31:
        r = _NORM_LOW[x + 32768]
    elif 32768 - x <= 31:
        r = _NORM_LOW[32768 - x]
    else:
        if x < 0:
            x = -x
        shift = _clz32(32768 - x) - 17
        if shift > 4:
            r = _tail_approx(shift, 32768 - x)
        else:
            r = _central_approx(shift + 1, x)
    if neg:
        r = -r
    return r


@njit(cache=True)
def norminv_urt(u):
    """``norminv_urt``: inverse normal CDF of the top 16 bits of a uint32 -> s16.15 bits."""
    top = np.int64(u) >> 16
    if top >= 32768:
        top -= 65536
    return _norminv_rbits(top)


@njit(cache=True)
def _n_steps_until_next_bits(state):
    """von Neumann exponential variate as on chip; returns s16.15 bits."""
    a = np.int64(0)
    while True:
        u = np.int64(kiss64_next(state))
        u0 = u
        while True:
            ustar = np.int64(kiss64_next(state))
            if u < ustar:
                # A + (REAL) ulrbits(U0): u0.32 -> s16.15 truncates 17 bits
                return _wrap32(a + (u0 >> 17))
            u = np.int64(kiss64_next(state))
            if not (u < ustar):
                break
        a = _wrap32(a + 32768)


@njit(cache=True)
def _slow_time_to_spike(mean_isi, state):
    """``slow_spike_source_get_time_to_spike``: uint32(roundk(E*1000, 15)) * mean_isi."""
    e = _n_steps_until_next_bits(state)
    v = _wrap32(e * 1000)
    c = (v >> 14) & 1
    r = _wrap32(((v >> 15) + c) << 15)
    value = (r >> 15) & np.int64(0xFFFFFFFF)
    return (value * mean_isi) & np.int64(0xFFFFFFFF)


@njit(cache=True, inline="always")
def _fast_num_spikes(exp_minus_lambda, x, y, z, c):
    """Knuth's method on u0.32 products; exp_minus_lambda is a uint64 holding u0.32 bits.
    The KISS state words are passed and returned in registers: ``(count, x, y, z, c)``."""
    if exp_minus_lambda == np.uint64(0):
        return np.int64(0), x, y, z, c
    p = np.uint64(0xFFFFFFFF)  # UFRACT_CONST(1.0): the largest u0.32
    k = np.int64(-1)
    while True:
        k += 1
        x, y, z, c, u = kiss64_step(x, y, z, c)
        p = (p * u) >> np.uint64(32)
        if not (p > exp_minus_lambda):
            return k, x, y, z, c


@njit(cache=True, inline="always")
def _load_kiss(state):
    return np.uint64(state[0]), np.uint64(state[1]), np.uint64(state[2]), np.uint64(state[3])


@njit(cache=True, inline="always")
def _store_kiss(state, x, y, z, c):
    state[0] = np.uint32(x)
    state[1] = np.uint32(y)
    state[2] = np.uint32(z)
    state[3] = np.uint32(c)


@njit(cache=True)
def _faster_num_spikes(sqrt_lambda, state):
    """Gaussian approximation: uint32(roundk((norminv(U) * 0.5k + sqrt_lambda)^2, 15))."""
    u = kiss64_next(state)
    n = norminv_urt(u)
    x = _wrap32(((n * 16384) >> 15) + sqrt_lambda)
    sq = _wrap32((x * x) >> 15)
    c = (sq >> 14) & 1
    r = _wrap32(((sq >> 15) + c) << 15)
    return (r >> 15) & np.int64(0xFFFFFFFF)


# ----------------------------------------------------------------------------------------
# kernels
# ----------------------------------------------------------------------------------------

@njit(cache=True)
def poisson_core_tick(tick, core, slice_bounds, start_ticks, end_ticks, is_fast,
                      exp_minus_lambda, sqrt_lambda, mean_isi_ticks, time_to_spike,
                      kiss_state, counts_out):
    """Advance every source of ``core`` by one timer tick (machine ``time == tick``).

    Writes the spike count of each source of the slice into ``counts_out[atom]`` (0 when
    silent; may exceed 1) and returns the number of sources that spiked (the core's
    packets). Mutates ``time_to_spike`` and ``kiss_state[core]``.
    """
    state = kiss_state[core]
    lo = slice_bounds[core]
    hi = slice_bounds[core + 1]
    t = np.int64(tick)
    # the KISS words stay in registers through the fast (Knuth) sources, the common case;
    # the rarer slow and Gaussian sources draw through the array
    x, y, z, c = _load_kiss(state)
    n_spiking = 0
    for i in range(lo, hi):
        n = np.int64(0)
        if t >= start_ticks[i] and t < end_ticks[i]:
            if is_fast[i] != 0:
                sl = np.int64(sqrt_lambda[i])
                if sl > 0:
                    _store_kiss(state, x, y, z, c)
                    n = _faster_num_spikes(sl, state)
                    x, y, z, c = _load_kiss(state)
                else:
                    n, x, y, z, c = _fast_num_spikes(np.uint64(exp_minus_lambda[i]), x, y, z, c)
            else:
                isi = np.int64(mean_isi_ticks[i])
                if isi != 0:
                    _store_kiss(state, x, y, z, c)
                    tts = np.int64(time_to_spike[i])
                    while tts < ISI_SCALE_FACTOR:
                        n += 1
                        tts = (tts + _slow_time_to_spike(isi, state)) & np.int64(0xFFFFFFFF)
                    tts -= ISI_SCALE_FACTOR
                    time_to_spike[i] = np.uint32(tts)
                    x, y, z, c = _load_kiss(state)
        counts_out[i] = n
        n_spiking += n > 0
    _store_kiss(state, x, y, z, c)
    return n_spiking


@njit(cache=True)
def knuth_windows(slice_bounds, start_ticks, end_ticks, is_fast, sqrt_lambda):
    """Per core, the ticks [lo, hi) in which every source of the core is active and draws
    by Knuth's method (fast regime): then :func:`knuth_core_tick` gives the same counts
    without the per-source checks. An empty window (0, 0) when some source is slow or
    Gaussian."""
    n_cores = slice_bounds.shape[0] - 1
    lo = np.zeros(n_cores, dtype=np.int64)
    hi = np.zeros(n_cores, dtype=np.int64)
    for core in range(n_cores):
        first, end = np.int64(0), np.int64(END_OF_TIME)
        knuth = True
        for i in range(slice_bounds[core], slice_bounds[core + 1]):
            knuth = knuth and is_fast[i] != 0 and sqrt_lambda[i] <= 0
            first = max(first, np.int64(start_ticks[i]))
            end = min(end, np.int64(end_ticks[i]))
        if knuth and first < end:
            lo[core], hi[core] = first, end
    return lo, hi


_P_ONE = np.uint64(0xFFFFFFFF)  # UFRACT_CONST(1.0), Knuth's starting product
_S32 = np.uint64(32)

# The Knuth path below runs one loop trip per KISS draw instead of one loop per source: the
# per-source loop's exit branch mispredicts about once per source (the number of draws is
# random), which cost about as much as the draws. Sources are indexed from 0 in a view of
# the core's slice with an unsigned index (no negative-index fix-up in the loop).


@njit(cache=True, inline="always")
def _knuth_draw(p, eml, x, y, z, c):
    """One draw of Knuth's loop as a state machine: ``p`` is the running u0.32 product
    (``_P_ONE`` at a source's first draw). Returns ``(stop, p, x, y, z, c)``: ``stop`` when
    this draw ends the source, ``p`` reset to ``_P_ONE`` for the next source then."""
    x, y, z, c, u = kiss64_step(x, y, z, c)
    p = (p * u) >> _S32
    stop = p <= eml
    return stop, _P_ONE if stop else p, x, y, z, c


def _eml_at(eml, i):
    """``eml[i]`` (uint64) for per-source thresholds, ``eml`` itself for one shared by all
    sources (kept in a register: no load in the loop's source-index -> compare chain)."""
    return np.uint64(eml[i] if np.ndim(eml) else eml)


@overload(_eml_at, inline="always")
def _eml_at_jit(eml, i):
    if isinstance(eml, types.Array):
        return lambda eml, i: np.uint64(eml[i])
    return lambda eml, i: eml


@njit(cache=True, inline="always")
def _knuth_trips(i, k, p, eml, x, y, z, c, out):
    """Counts ``out[i:]`` (``i`` a uint64) continuing a source at draw ``k`` with product
    ``p`` (``0, _P_ONE`` at its start); ``eml``: nonzero, one per source or one shared
    uint64. No data-dependent branch: the source index and count advance by selects."""
    n = np.uint64(out.shape[0])
    while i < n:
        stop, p, x, y, z, c = _knuth_draw(p, _eml_at(eml, i), x, y, z, c)
        out[i] = k
        i += np.uint64(stop)
        k = np.int64(0) if stop else k + 1
    return x, y, z, c


@njit(cache=True, inline="always")
def eml_kind(eml):
    """0: some source has ``eml == 0`` (it draws nothing) or no source, 1: all share one
    nonzero value, 2: nonzero, mixed. (min/max: a loop the compiler vectorises.)"""
    if eml.shape[0] == 0:
        return 0
    smallest = largest = eml[0]
    for i in range(eml.shape[0]):
        smallest = min(smallest, eml[i])
        largest = max(largest, eml[i])
    return 0 if smallest == 0 else (1 if smallest == largest else 2)


@njit(cache=True, inline="always")
def n_spiking(out):
    """The number of sources with a nonzero count (the core's packets)."""
    n = 0
    for i in range(out.shape[0]):
        n += out[i] > 0
    return n


@njit(cache=True, inline="always")
def _knuth_slice(kind, eml, x, y, z, c, out):
    """Counts ``out`` of one core's sources (``eml`` its slice, ``kind`` its
    :func:`eml_kind`); returns the advanced KISS words."""
    if kind == 1:
        return _knuth_trips(np.uint64(0), np.int64(0), _P_ONE, np.uint64(eml[0]),
                            x, y, z, c, out)
    if kind == 2:
        return _knuth_trips(np.uint64(0), np.int64(0), _P_ONE, eml, x, y, z, c, out)
    for i in range(out.shape[0]):
        out[i], x, y, z, c = _fast_num_spikes(np.uint64(eml[i]), x, y, z, c)
    return x, y, z, c


@njit(cache=True, _nrt=False)
def knuth_core_tick(core, slice_bounds, exp_minus_lambda, kiss_state, counts_out):
    """:func:`poisson_core_tick` of a core inside its :func:`knuth_windows` window.

    Bit-identical to one :func:`_fast_num_spikes` loop per source (counts, return value,
    KISS state), but one loop trip per KISS draw. A core with an ``eml == 0`` source
    (no draw) takes the per-source loop."""
    lo, hi = slice_bounds[core], slice_bounds[core + 1]
    eml = exp_minus_lambda[lo:hi]
    out = counts_out[lo:hi]
    state = kiss_state[core]
    x, y, z, c = _load_kiss(state)
    x, y, z, c = _knuth_slice(eml_kind(eml), eml, x, y, z, c, out)
    _store_kiss(state, x, y, z, c)
    return n_spiking(out)


@njit(cache=True)
def poisson_tick_all(tick, slice_bounds, start_ticks, end_ticks, is_fast, exp_minus_lambda,
                     sqrt_lambda, mean_isi_ticks, time_to_spike, kiss_state, counts_out):
    """One tick of every core (cores are independent: each has its own KISS state)."""
    for core in range(slice_bounds.shape[0] - 1):
        poisson_core_tick(tick, core, slice_bounds, start_ticks, end_ticks, is_fast,
                          exp_minus_lambda, sqrt_lambda, mean_isi_ticks, time_to_spike,
                          kiss_state, counts_out)


@njit(cache=True)
def poisson_run(first_tick, slice_bounds, start_ticks, end_ticks, is_fast, exp_minus_lambda,
                sqrt_lambda, mean_isi_ticks, time_to_spike, kiss_state, counts_out):
    """Ticks ``first_tick .. first_tick + counts_out.shape[0] - 1``; counts_out[k, atom]."""
    for k in range(counts_out.shape[0]):
        poisson_tick_all(first_tick + k, slice_bounds, start_ticks, end_ticks, is_fast,
                         exp_minus_lambda, sqrt_lambda, mean_isi_ticks, time_to_spike,
                         kiss_state, counts_out[k])


@njit(cache=True)
def _initialise_sources(slice_bounds, is_fast, mean_isi_ticks, time_to_spike, kiss_state):
    """What ``read_rates`` does at load/reset: slow sources draw their first interval."""
    for core in range(slice_bounds.shape[0] - 1):
        state = kiss_state[core]
        for i in range(slice_bounds[core], slice_bounds[core + 1]):
            if is_fast[i] != 0:
                time_to_spike[i] = np.uint32(0)
            else:
                time_to_spike[i] = np.uint32(
                    _slow_time_to_spike(np.int64(mean_isi_ticks[i]), state))


# ----------------------------------------------------------------------------------------
# the machine program (host side)
# ----------------------------------------------------------------------------------------

@dataclass
class PoissonProgram:
    """Flat arrays of a SpikeSourcePoisson population mapped onto SpiNNaker cores.

    Per atom (length n_atoms): ``start_ticks``/``end_ticks`` (int64 holding the uint32
    tick values; end is exclusive, 0xFFFFFFFF = forever), ``is_fast`` (uint8),
    ``exp_minus_lambda`` (uint32, u0.32 bits), ``sqrt_lambda`` (int32, s16.15 bits),
    ``mean_isi_ticks`` (uint32), ``time_to_spike`` (uint32 state, in 1/1000 ticks), and
    for inspection ``rate_per_tick`` (int32 s16.15 bits) and ``regime`` (int8: 0 slow,
    1 fast, 2 faster). Per core: ``slice_bounds`` (int64, n_cores + 1), ``kiss_state``
    (uint32 (n_cores, 4), mutable x, y, z, c) and ``kiss_seed`` (the initial words).
    """

    slice_bounds: np.ndarray
    start_ticks: np.ndarray
    end_ticks: np.ndarray
    is_fast: np.ndarray
    exp_minus_lambda: np.ndarray
    sqrt_lambda: np.ndarray
    mean_isi_ticks: np.ndarray
    time_to_spike: np.ndarray
    kiss_state: np.ndarray
    kiss_seed: np.ndarray
    rate_per_tick: np.ndarray
    regime: np.ndarray

    @property
    def n_atoms(self) -> int:
        return int(self.start_ticks.shape[0])

    @property
    def n_cores(self) -> int:
        return int(self.slice_bounds.shape[0] - 1)

    def fields(self) -> tuple:
        """Arrays in the order of :data:`FIELD_NAMES` (the kernels' positional order)::

            (slice_bounds, start_ticks, end_ticks, is_fast, exp_minus_lambda,
             sqrt_lambda, mean_isi_ticks, time_to_spike, kiss_state)
        """
        return tuple(getattr(self, name) for name in FIELD_NAMES)


def _per_atom(name: str, values, n_atoms: int) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(n_atoms, float(arr))
    arr = arr.reshape(-1)
    if arr.shape[0] != n_atoms:
        raise ValueError(
            f"{name}: expected {n_atoms} values (one per source), got {arr.shape[0]}")
    return arr


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _validate(rates: np.ndarray, starts: np.ndarray, durations: np.ndarray) -> None:
    bad = ~(np.isfinite(rates) & (rates >= 0.0) & (rates < MAX_RATE_HZ))
    if bad.any():
        i = _first_bad(bad)
        raise ValueError(
            f"rate={float(rates[i])!r} Hz (source {i}) is out of range: allowed range is "
            f"0 <= rate < {MAX_RATE_HZ:.0f} Hz")
    bad = ~(np.isfinite(starts) & (starts >= 0.0) & (starts < 2.0**32))
    if bad.any():
        i = _first_bad(bad)
        raise ValueError(
            f"start={float(starts[i])!r} ms (source {i}) is out of range: allowed range is "
            f"0 <= start < 4294967296 ms")
    bad = np.isnan(durations) | (durations < 0.0)
    if bad.any():
        i = _first_bad(bad)
        raise ValueError(
            f"duration={float(durations[i])!r} ms (source {i}) is out of range: allowed range "
            f"is 0 <= duration (inf or >= 4294967295 ms means forever)")


def _ms_to_ticks(ms_u3232: int, ticks_per_ms_u1616: int) -> int:
    """``(uint32)(ms * ticks_per_ms + 0.5k)`` with ms U32.32 and ticks_per_ms U16.16."""
    prod = ((ms_u3232 * ticks_per_ms_u1616) >> 16) & _M64  # ulk * ulk, truncated
    return (((prod + (1 << 31)) & _M64) >> 32) & _M32


def build_poisson_program(rates_hz, starts_ms, durations_ms, dt_ms: float, slice_bounds,
                          seed: int | None) -> PoissonProgram:
    """Convert per-source parameters exactly as sPyNNaker 7.4.1's host and chip do.

    ``rates_hz``, ``starts_ms``, ``durations_ms``: one value per source (or a scalar);
    a duration of ``inf`` (or >= 4294967295 ms) means forever. ``slice_bounds``: core
    boundaries ``[0, ..., n_atoms]``; one KISS seed quadruple is drawn per core, in order,
    from ``numpy.random.RandomState(seed)``.
    """
    bounds = np.asarray(slice_bounds, dtype=np.int64).reshape(-1)
    if bounds.shape[0] < 1 or bounds[0] != 0 or np.any(np.diff(bounds) <= 0):
        raise ValueError(
            f"slice_bounds must start at 0 and strictly increase, got {bounds.tolist()}")
    n_atoms = int(bounds[-1])
    n_cores = int(bounds.shape[0] - 1)

    rates = _per_atom("rate", rates_hz, n_atoms)
    starts = _per_atom("start", starts_ms, n_atoms)
    durations = _per_atom("duration", durations_ms, n_atoms)
    _validate(rates, starts, durations)

    dt_ms = float(dt_ms)
    timestep_us = round(dt_ms * 1000.0)
    if not (math.isfinite(dt_ms) and 1 <= timestep_us < 1_000_000):
        raise ValueError(
            f"dt={dt_ms!r} ms is out of range: allowed range is 0.001 <= dt < 1000 ms")

    # --- global parameters as the host encodes them -----------------------------------
    seconds_per_tick = _encode_scalar(timestep_us / 1_000_000.0, 1 << 32)  # U0.32
    ticks_per_ms = _encode_scalar(1000.0 / timestep_us, 1 << 16)  # U16.16
    slow_cut = _encode_scalar(SLOW_RATE_PER_TICK_CUTOFF, 1 << 15)  # S16.15 (= 328)
    fast_cut = _encode_scalar(FAST_RATE_PER_TICK_CUTOFF, 1 << 15)  # S16.15 (= 327680)
    ts_per_second = (1000 * ticks_per_ms) & _M32  # ukbits(1000 * bitsuk(ticks_per_ms))

    if np.any(rates >= WRAP_RATE_HZ):
        i = _first_bad(rates >= WRAP_RATE_HZ)
        warnings.warn(
            f"rate={float(rates[i])!r} Hz (source {i}) is >= 65536 Hz: the SpiNNaker Poisson "
            "source holds rates as U16.16, so the rate wraps modulo 65536 Hz as on the "
            "machine", RuntimeWarning, stacklevel=2)

    # --- per-source rate constants (computed once per distinct rate) --------------------
    rate_u3232 = _u3232_array(rates)
    uniq_rates, rate_inv = np.unique(rate_u3232, return_inverse=True)
    u_rpt = np.zeros(uniq_rates.shape[0], dtype=np.int32)
    u_regime = np.zeros(uniq_rates.shape[0], dtype=np.int8)
    u_eml = np.zeros(uniq_rates.shape[0], dtype=np.uint32)
    u_sqrt = np.zeros(uniq_rates.shape[0], dtype=np.int32)
    u_isi = np.zeros(uniq_rates.shape[0], dtype=np.uint32)
    for k, r3232 in enumerate(uniq_rates.tolist()):
        rate = (r3232 >> 16) & _M32  # U32.32 -> UREAL (U16.16), truncating conversion
        rpt = _to_int32((rate * seconds_per_tick) >> 33)  # s16.15
        u_rpt[k] = rpt
        if rpt >= slow_cut:
            if rpt >= fast_cut:
                u_regime[k] = REGIME_FASTER
                u_sqrt[k] = sqrtk_bits(rpt)
            else:
                u_regime[k] = REGIME_FAST
                # (UFRACT) EXP(-rate_per_tick): s16.15 -> u0.32 keeps the fraction bits
                u_eml[k] = (int(expk(-rpt)) << 17) & _M32
        else:
            u_regime[k] = REGIME_SLOW
            if rate > 0:
                # bitsulk((ulk) ts_per_second) / bitsulk(rate): both shifted by 16
                u_isi[k] = ((ts_per_second << 16) // (rate << 16)) & _M32
    rate_inv = rate_inv.reshape(-1)

    # --- start / end ticks ----------------------------------------------------------------
    start_u3232 = _u3232_array(starts)
    uniq_s, s_inv = np.unique(start_u3232, return_inverse=True)
    s_ticks = np.array([_ms_to_ticks(v, ticks_per_ms) for v in uniq_s.tolist()],
                       dtype=np.int64).reshape(-1)
    start_ticks = s_ticks[s_inv.reshape(-1)] if n_atoms else np.zeros(0, np.int64)

    forever = durations >= float(DURATION_FOREVER_MS)
    dur_u3232 = _u3232_array(np.where(forever, 0.0, durations))
    uniq_d, d_inv = np.unique(dur_u3232, return_inverse=True)
    d_ticks = np.array([_ms_to_ticks(v, ticks_per_ms) for v in uniq_d.tolist()],
                       dtype=np.int64).reshape(-1)
    dur_ticks = d_ticks[d_inv.reshape(-1)] if n_atoms else np.zeros(0, np.int64)
    end_ticks = np.where(forever, np.int64(END_OF_TIME),
                         (start_ticks + dur_ticks) & np.int64(_M32)).astype(np.int64)

    regime = u_regime[rate_inv].astype(np.int8)
    kiss_seed = kiss_seeds_for_slices(seed, n_cores)
    program = PoissonProgram(
        slice_bounds=bounds,
        start_ticks=np.ascontiguousarray(start_ticks, dtype=np.int64),
        end_ticks=np.ascontiguousarray(end_ticks, dtype=np.int64),
        is_fast=(regime != REGIME_SLOW).astype(np.uint8),
        exp_minus_lambda=u_eml[rate_inv].astype(np.uint32),
        sqrt_lambda=u_sqrt[rate_inv].astype(np.int32),
        mean_isi_ticks=u_isi[rate_inv].astype(np.uint32),
        time_to_spike=np.zeros(n_atoms, dtype=np.uint32),
        kiss_state=kiss_seed.copy(),
        kiss_seed=kiss_seed,
        rate_per_tick=u_rpt[rate_inv].astype(np.int32),
        regime=regime,
    )
    reset_poisson_program(program)
    return program


def reset_poisson_program(program: PoissonProgram) -> None:
    """Back to the state after loading: seeds re-read, slow sources re-draw their ISI."""
    program.kiss_state[:] = program.kiss_seed
    _initialise_sources(program.slice_bounds, program.is_fast, program.mean_isi_ticks,
                        program.time_to_spike, program.kiss_state)


def run_poisson_program(program: PoissonProgram, first_tick: int, n_ticks: int) -> np.ndarray:
    """Run ticks ``first_tick .. first_tick + n_ticks - 1``; returns int32 (n_ticks, n_atoms)."""
    counts = np.zeros((int(n_ticks), program.n_atoms), dtype=np.int32)
    poisson_run(np.int64(first_tick), *program.fields(), counts)
    return counts
