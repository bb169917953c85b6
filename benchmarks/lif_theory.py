"""Closed-form results for the leaky integrate-and-fire neuron with current input, used by
the benchmark tasks to set weights and to judge results (independent of any simulator)."""

from __future__ import annotations

import math

import numpy as np


def lif_rate(current: np.ndarray, cm: float, tau_m: float, v_rest: float, v_reset: float,
             v_thresh: float, tau_refrac: float) -> np.ndarray:
    """Firing rate (Hz) for constant currents (nA), PyNN units (nF, ms, mV):

    f = 1 / (tau_refrac + tau_m ln((R I + v_rest - v_reset) / (R I + v_rest - v_thresh)))

    for R I > v_thresh - v_rest (R = tau_m / cm), else 0.
    """
    current = np.asarray(current, dtype=float)
    r_i = current * tau_m / cm                                 # mV
    above = r_i > v_thresh - v_rest
    rate = np.zeros_like(current)
    num = r_i[above] + v_rest - v_reset
    den = r_i[above] + v_rest - v_thresh
    rate[above] = 1000.0 / (tau_refrac + tau_m * np.log(num / den))
    return rate


def exp_psp_peak_per_nA(cm: float, tau_m: float, tau_syn: float) -> float:
    """Peak (mV) of the PSP that a 1 nA exponentially decaying current (tau_syn) causes in a
    LIF (cm, tau_m): v(t) = tau_m tau_s / (cm (tau_m - tau_s)) (exp(-t/tau_m) - exp(-t/tau_s)),
    maximal at t* = tau_m tau_s ln(tau_m / tau_s) / (tau_m - tau_s)."""
    if not tau_m > tau_syn > 0:
        raise ValueError(f"need tau_m > tau_syn > 0, got tau_m={tau_m}, tau_syn={tau_syn}")
    t_peak = tau_m * tau_syn * math.log(tau_m / tau_syn) / (tau_m - tau_syn)
    scale = tau_m * tau_syn / (cm * (tau_m - tau_syn))
    return scale * (math.exp(-t_peak / tau_m) - math.exp(-t_peak / tau_syn))
