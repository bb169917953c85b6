"""STDP as sPyNNaker 7.x runs it ("mad": deferred, pre-spike triggered), kernel side.

Timing rules: the pair rule (traces r1/o1) and Pfister's triplet rule (also r2/o2, sampled
before each spike; its depression adds A3−·o1·r2, its potentiation A3+·r1·o2).

Traces and look-up tables are int16 with 11 fractional bits (1.0 = 2048). When a
presynaptic spike's row is processed, every plastic synapse in it first catches up with the
postsynaptic spikes seen since the previous presynaptic spike (potentiation with the decayed
pre trace), then takes the depression of the new presynaptic spike (decayed post trace of
the latest postsynaptic spike), and its new weight goes into the ring buffer and back into
the row. Postsynaptic spikes are kept in a bounded per-neuron history (16 entries, the first
one a dummy at time 0; the oldest is dropped when full). With ``backprop_delay`` (default)
the synapse sees a postsynaptic spike ``d`` ticks late, d being the synapse's delay.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from neuroemu.engine.fixedpoint import mul_s1615

STDP_ONE = 2048  # 1.0 in the STDP fixed point (11 fractional bits)
MAX_POST_EVENTS = 16
# timing rules
PAIR, TRIPLET = 0, 1
# weight dependences
ADDITIVE, MULTIPLICATIVE, ADDITIVE_TRIPLET = 0, 1, 2
# per-rule weight-dependence parameters per synapse type (s16.15 bits)
W_MIN, W_MAX, A_PLUS, A_MINUS, A3_PLUS, A3_MINUS = range(6)
N_WPAR = 6
# look-up tables of a rule: tau_plus (r1), tau_minus (o1), tau_x (r2), tau_y (o2)
LUT_PLUS, LUT_MINUS, LUT_X, LUT_Y = range(4)


@njit(cache=True)
def _mul16(a, b):
    """``__smulbb(a, b) >> 11``: 16 x 16 signed product in the STDP fixed point."""
    return (np.int32(np.int16(a)) * np.int32(np.int16(b))) >> 11


@njit(cache=True)
def _decay(luts, lut_len, lut_shift, which, dt):
    """``maths_lut_exponential_decay``: ``lut[dt >> shift]`` inside the table, else 0."""
    k = dt >> lut_shift[which]
    if k < lut_len[which]:
        return luts[which, k]
    return 0


@njit(cache=True)
def _mul_accum_fixed(a, stdp):
    """s16.15 times an STDP fixed-point value: ``(bits(a) * stdp) >> 11``."""
    return (np.int64(a) * np.int64(stdp)) >> 11


@njit(cache=True)
def _next_trace(timing, last_t, last_one, last_two, t, luts, lut_len, lut_shift, first,
                second):
    """Traces after a spike at ``t`` (``timing_add_pre_spike`` / ``timing_add_post_spike``):
    the first decays with its LUT and gains 1.0; the triplet's second is sampled before the
    spike (0 for the first spike, ``last_time == 0``)."""
    dt = t - last_t
    one = np.int16(_mul16(last_one, _decay(luts, lut_len, lut_shift, first, dt))
                   + STDP_ONE)
    two = np.int16(0)
    if timing == TRIPLET and last_t != 0:
        two = np.int16(_mul16(last_two + STDP_ONE, _decay(luts, lut_len, lut_shift,
                                                             second, dt)))
    return one, two


@njit(cache=True)
def add_post_event(n, t, timing, post_n, post_t, post_tr, post_dummy, luts, lut_len,
                   lut_shift):
    """A postsynaptic spike of neuron ``n`` at tick ``t`` enters its bounded history."""
    last = post_n[n] - 1
    o1, o2 = _next_trace(timing, post_t[n, last], post_tr[n, last, 0], post_tr[n, last, 1], t,
                         luts, lut_len,
                         lut_shift, LUT_MINUS, LUT_Y)
    if post_n[n] < MAX_POST_EVENTS:
        k = post_n[n]
        post_n[n] += 1
    else:
        for k in range(1, MAX_POST_EVENTS):
            post_t[n, k - 1] = post_t[n, k]
            post_tr[n, k - 1, 0] = post_tr[n, k, 0]
            post_tr[n, k - 1, 1] = post_tr[n, k, 1]
        k = MAX_POST_EVENTS - 1
        post_dummy[n] = 0
    post_t[n, k] = t
    post_tr[n, k, 0] = o1
    post_tr[n, k, 1] = o2


@njit(cache=True)
def pre_trace_after_spike(timing, t_pre, last_t, last_r1, last_r2, luts, lut_len, lut_shift,
                          out):
    """``timing_add_pre_spike``: the row's (r1, r2) after a presynaptic spike at ``t_pre``."""
    r1, r2 = _next_trace(timing, last_t, last_r1, last_r2, t_pre, luts, lut_len, lut_shift,
                         LUT_PLUS, LUT_X)
    out[0] = r1
    out[1] = r2


@njit(cache=True)
def _apply(weight, pair_term, triplet_term, potentiate, wdep, wpar):
    """One weight-dependence step on the s16.15 weight (additive rules clamp each step)."""
    if wdep == MULTIPLICATIVE:
        if potentiate:
            scale = mul_s1615(np.int32(wpar[W_MAX] - weight), np.int32(wpar[A_PLUS]))
            return weight + _mul_accum_fixed(scale, pair_term)
        scale = mul_s1615(np.int32(weight - wpar[W_MIN]), np.int32(wpar[A_MINUS]))
        return weight - _mul_accum_fixed(scale, pair_term)
    if potentiate:
        w = weight + _mul_accum_fixed(wpar[A_PLUS], pair_term)
        if wdep == ADDITIVE_TRIPLET:
            w += _mul_accum_fixed(wpar[A3_PLUS], triplet_term)
        return min(w, wpar[W_MAX])
    w = weight - _mul_accum_fixed(wpar[A_MINUS], pair_term)
    if wdep == ADDITIVE_TRIPLET:
        w -= _mul_accum_fixed(wpar[A3_MINUS], triplet_term)
    return max(w, wpar[W_MIN])


@njit(cache=True)
def plastic_synapse_update(weight, n, d, t_pre, last_pre_t, last_pre_r1, new_pre_r2, post_n,
                           post_t, post_tr, post_dummy, timing, luts, lut_len, lut_shift,
                           wdep, wpar):
    """Deferred update of one synapse (s16.15 weight) for a presynaptic spike at ``t_pre``:
    potentiation for each post spike in (last pre − d, t_pre − d], then depression."""
    begin = last_pre_t - d if last_pre_t >= d else 0
    end = t_pre - d if t_pre >= d else 0
    j = post_n[n]
    while j > 0 and post_t[n, j - 1] > end:
        j -= 1
    i = j
    while i > 0 and post_t[n, i - 1] > begin:
        i -= 1
    prev_valid = i > 0 and not (i == 1 and post_dummy[n] == 1)
    prev = i - 1
    for k in range(i, j):
        since_pre = post_t[n, k] + d - last_pre_t
        if since_pre > 0:
            r1 = _mul16(last_pre_r1, _decay(luts, lut_len, lut_shift, LUT_PLUS, since_pre))
            triplet = _mul16(r1, post_tr[n, k, 1]) if timing == TRIPLET else 0
            weight = _apply(weight, r1, triplet, True, wdep, wpar)
        prev = k
        prev_valid = True
    if prev_valid:
        since_post = t_pre - (post_t[n, prev] + d)
        if since_post > 0:
            o1 = _mul16(post_tr[n, prev, 0], _decay(luts, lut_len, lut_shift, LUT_MINUS,
                                                    since_post))
            triplet = _mul16(o1, new_pre_r2) if timing == TRIPLET else 0
            weight = _apply(weight, o1, triplet, False, wdep, wpar)
    return weight


def exp_lut(tau: float, dt: float, shift: int = 0) -> np.ndarray:
    """Host LUT (sPyNNaker 7.4.1 ``get_exp_lut_array``): ``floor(exp(-(k << shift)·dt/tau)
    ·2048)`` for ``ln(2048)·tau/dt / 2^shift`` entries rounded up to an even number."""
    size, extra = divmod(np.log(STDP_ONE) * tau / dt / (1 << shift), 2)
    size = (int(size) + (extra > 0)) * 2
    k = np.arange(size) << shift
    return np.floor(np.exp(-k * dt / tau) * STDP_ONE).astype(np.int16)
