"""Translate LIF / exponential-synapse parameters into the chip's fixed-point constants.

Two rules (spec §1.2, Appendix A, and the hardware-data README):

* ``"7.4.1"`` (default): the host writes raw parameters as s16.15 (round half even) and the
  chip derives ``exp_TC = expk(-kdivk(ts, tau_m))``, ``R = kdivk(tau_m, cm)``,
  ``T_refract = ceil(kdivk(tau_refrac, ts))``, ``decay = expulr(-kdivk(ts, tau))`` and
  ``init = decay_s1615_to_u032(kdivk(tau, ts), 1.0ulr - decay)``.
* ``"legacy"`` (sPyNNaker <= 6): the host computes the decays in floating point and
  truncates them: ``exp_TC = floor(e^(-dt/tau_m) 2^15)``, ``decay = floor(e^(-dt/tau) 2^32)``,
  ``init = floor(tau/dt (1 - e^(-dt/tau)) 2^32)``; ``R`` and ``T_refract`` as above.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from neuroemu.engine.fixedpoint import (
    decay_s1615_to_u032,
    encode_s1615,
    expk,
    expulr,
    kdivk,
    kdivui,
)

CONSTANT_MODES = ("7.4.1", "legacy")
_ULR_ONE = np.uint32(0xFFFFFFFF)  # 1.0ulr saturates to the largest u0.32


@njit(cache=True)
def _chip_membrane(ts, tau_m, cm, tau_refrac):
    n = tau_m.size
    exp_tc = np.empty(n, np.int64)
    r_mem = np.empty(n, np.int64)
    t_ref = np.empty(n, np.int64)
    for i in range(n):
        exp_tc[i] = expk(-kdivk(ts, tau_m[i]))
        r_mem[i] = kdivk(tau_m[i], cm[i])
        q = kdivk(tau_refrac[i], ts)
        t_ref[i] = (q + 32767) >> 15  # lif_ceil_accum
    return exp_tc, r_mem, t_ref


@njit(cache=True)
def _chip_synapse(ts, tau):
    n = tau.size
    decay = np.empty(n, np.int64)
    init = np.empty(n, np.int64)
    for i in range(n):
        d = expulr(-kdivk(ts, tau[i]))
        decay[i] = d
        init[i] = decay_s1615_to_u032(kdivk(tau[i], ts), np.uint32(_ULR_ONE - d))
    return decay, init


def membrane_constants(mode: str, dt: float, tau_m, cm, tau_refrac):
    """(exp_TC s16.15, R s16.15, T_refract ticks) as int64 arrays, per neuron."""
    tau_m, cm, tau_refrac = (np.asarray(x, dtype=float) for x in (tau_m, cm, tau_refrac))
    ts = int(kdivui(int(encode_s1615(dt)), 1))
    tau_bits, cm_bits = encode_s1615(tau_m), encode_s1615(cm)
    exp_tc, r_mem, t_ref = _chip_membrane(ts, tau_bits.astype(np.int64),
                                          cm_bits.astype(np.int64),
                                          encode_s1615(tau_refrac).astype(np.int64))
    if mode == "legacy":
        exp_tc = np.floor(np.exp(-dt / tau_m) * 2**15).astype(np.int64)
    return exp_tc, r_mem, t_ref


def synapse_constants(mode: str, dt: float, tau):
    """(decay u0.32, init u0.32) as int64 arrays, per neuron, for one synapse type."""
    tau = np.asarray(tau, dtype=float)
    if mode == "legacy":
        decay = np.floor(np.exp(-dt / tau) * 2.0**32).astype(np.int64)
        init = np.floor(tau / dt * (1.0 - np.exp(-dt / tau)) * 2.0**32).astype(np.int64)
        return decay, init
    ts = int(kdivui(int(encode_s1615(dt)), 1))
    return _chip_synapse(ts, encode_s1615(tau).astype(np.int64))
