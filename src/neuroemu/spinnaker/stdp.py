"""STDP as sPyNNaker 7.x runs it ("mad": deferred, pre-spike triggered), kernel side.

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
ADDITIVE, MULTIPLICATIVE = 0, 1
# per-rule weight-dependence parameters per synapse type (s16.15 bits)
W_MIN, W_MAX, A_PLUS, A_MINUS = range(4)


@njit(cache=True)
def _mul16(a, b):
    """``__smulbb(a, b) >> 11``: 16 x 16 signed product in the STDP fixed point."""
    return (np.int32(np.int16(a)) * np.int32(np.int16(b))) >> 11


@njit(cache=True)
def _lut_decay(lut, length, dt):
    """``lut[dt]`` if inside the table, else 0 (``maths_lut_exponential_decay``, shift 0)."""
    if dt < length:
        return lut[dt]
    return 0


@njit(cache=True)
def _mul_accum_fixed(a, stdp):
    """s16.15 times an STDP fixed-point value: ``(bits(a) * stdp) >> 11``."""
    return (np.int64(a) * np.int64(stdp)) >> 11


@njit(cache=True)
def add_post_event(n, t, post_n, post_t, post_tr, post_dummy, lut_minus, lut_minus_len):
    """A postsynaptic spike of neuron ``n`` at tick ``t`` enters its bounded history."""
    last = post_n[n] - 1
    trace = np.int16(_mul16(post_tr[n, last], _lut_decay(lut_minus, lut_minus_len,
                                                          t - post_t[n, last])) + STDP_ONE)
    if post_n[n] < MAX_POST_EVENTS:
        post_t[n, post_n[n]] = t
        post_tr[n, post_n[n]] = trace
        post_n[n] += 1
    else:
        for k in range(1, MAX_POST_EVENTS):
            post_t[n, k - 1] = post_t[n, k]
            post_tr[n, k - 1] = post_tr[n, k]
        post_t[n, MAX_POST_EVENTS - 1] = t
        post_tr[n, MAX_POST_EVENTS - 1] = trace
        post_dummy[n] = 0


@njit(cache=True)
def _apply(weight, decayed, potentiate, wdep, wpar):
    """One weight-dependence step on the s16.15 weight (additive clamps at each step)."""
    if wdep == ADDITIVE:
        if potentiate:
            w = weight + _mul_accum_fixed(wpar[A_PLUS], decayed)
            return min(w, wpar[W_MAX])
        w = weight - _mul_accum_fixed(wpar[A_MINUS], decayed)
        return max(w, wpar[W_MIN])
    if potentiate:
        scale = mul_s1615(np.int32(wpar[W_MAX] - weight), np.int32(wpar[A_PLUS]))
        return weight + _mul_accum_fixed(scale, decayed)
    scale = mul_s1615(np.int32(weight - wpar[W_MIN]), np.int32(wpar[A_MINUS]))
    return weight - _mul_accum_fixed(scale, decayed)


@njit(cache=True)
def plastic_synapse_update(weight, n, d, t_pre, last_pre_t, last_pre_tr, post_n, post_t,
                           post_tr, post_dummy, lut_plus, lut_plus_len, lut_minus,
                           lut_minus_len, wdep, wpar):
    """Deferred update of one synapse (s16.15 weight) for a presynaptic spike at ``t_pre``."""
    begin = last_pre_t - d if last_pre_t >= d else 0
    end = t_pre - d if t_pre >= d else 0
    j = post_n[n]
    while j > 0 and post_t[n, j - 1] > end:
        j -= 1
    i = j
    while i > 0 and post_t[n, i - 1] > begin:
        i -= 1
    prev_valid = i > 0 and not (i == 1 and post_dummy[n] == 1)
    prev_t = post_t[n, i - 1] if i > 0 else 0
    prev_tr = post_tr[n, i - 1] if i > 0 else 0
    for k in range(i, j):
        since_pre = post_t[n, k] + d - last_pre_t
        if since_pre > 0:
            decayed = _mul16(last_pre_tr, _lut_decay(lut_plus, lut_plus_len, since_pre))
            weight = _apply(weight, decayed, True, wdep, wpar)
        prev_t = post_t[n, k]
        prev_tr = post_tr[n, k]
        prev_valid = True
    if prev_valid:
        since_post = t_pre - (prev_t + d)
        if since_post > 0:
            decayed = _mul16(prev_tr, _lut_decay(lut_minus, lut_minus_len, since_post))
            weight = _apply(weight, decayed, False, wdep, wpar)
    return weight


@njit(cache=True)
def pre_trace_after_spike(t_pre, last_t, last_tr, lut_plus, lut_plus_len):
    """``timing_add_pre_spike``: decay the row's pre trace to ``t_pre`` and add 1.0."""
    return np.int16(_mul16(last_tr, _lut_decay(lut_plus, lut_plus_len, t_pre - last_t))
                    + STDP_ONE)


def exp_lut(tau: float, dt: float) -> np.ndarray:
    """Host LUT (spec §8): ``floor(exp(-k·dt/tau)·2048)`` for
    ``2·ceil(ln(2048)·tau/dt/2)`` entries (shift 0)."""
    size = 2 * int(np.ceil(np.log(STDP_ONE) * tau / dt / 2))
    k = np.arange(size)
    return np.floor(np.exp(-k * dt / tau) * STDP_ONE).astype(np.int16)
