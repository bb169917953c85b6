"""Neuron parameters as the chip holds them (spec §4.1): voltage map, shared groups, leak,
refractory bias.

Voltages map linearly to the chip, ``V_hw = 0.5 V + (V_bio + 80 mV) * 0.024 V/mV``; E_x is no
parameter: it sits at the upper corner ``1.1 V + 0.8 * (1.1 V - 0.5 V) = 1.58 V`` (-35 mV
bio). v_rest, v_reset, v_thresh, e_rev_I exist once per (block, parity) group. neuroemu uses
**first wins** (the mapping code's behaviour): the first created neuron of a group sets its
values, later differing values are ignored with a warning.
"""

from __future__ import annotations

import warnings

import numpy as np

from neuroemu.errors import NeuroemuWarning
from neuroemu.spikey.topology import NEURONS_PER_BLOCK

LOWER_V = 0.5          # V, hardware voltage of -80 mV bio
VOLT_PER_MV = 0.024    # V per bio mV
BIO_LOWER_MV = -80.0
THRESHOLD_CORNER_V = 1.1
C_M_NF = 0.2           # capacitance assumed by all translations
SHARED = ("v_rest", "v_reset", "v_thresh", "e_rev_I")
N_GROUPS = 4
#: currents are clipped to [0, 2.5] µA; uncalibrated iLeak = 0.01 µA/nS * g_leak
MAX_CURRENT_UA = 2.5
UA_PER_NS = 0.01
#: refractory period from the comparator bias: tau_ref = a exp(-b icb) (spec §4.1)
ICB_A_MS = 2.0
ICB_B_PER_UA = 10.0
DEFAULT_ICB_UA = 0.2
WARN_RANGE_MV = (-80.0, -55.0)
#: avoidSpikes moves the threshold to 2.0 V on the chip (spec §1.1)
AVOID_SPIKES_V = 2.0


def to_hardware(v_mv):
    """Chip voltage (V) of a biological voltage (mV)."""
    return LOWER_V + (np.asarray(v_mv, dtype=float) - BIO_LOWER_MV) * VOLT_PER_MV


def to_bio(v_hw):
    """Biological voltage (mV) of a chip voltage (V)."""
    return BIO_LOWER_MV + (np.asarray(v_hw, dtype=float) - LOWER_V) / VOLT_PER_MV


def e_rev_exc_mv(ratio_superthresh_subthresh: float = 0.8) -> float:
    """E_x (mV bio): the upper corner ``1.1 + ratio * (1.1 - 0.5)`` V."""
    upper = THRESHOLD_CORNER_V + ratio_superthresh_subthresh * (THRESHOLD_CORNER_V - LOWER_V)
    return float(to_bio(upper))


def group_of(hardware_neuron):
    """Shared-parameter group 2*block + parity of hardware neurons."""
    h = np.asarray(hardware_neuron, dtype=np.int64)
    return 2 * (h // NEURONS_PER_BLOCK) + h % 2


def shared_values(hardware_neuron: np.ndarray, values: dict[str, np.ndarray]
                  ) -> dict[str, np.ndarray]:
    """Per-neuron effective value of each shared parameter (first neuron of its group wins).

    ``hardware_neuron`` and each array are in creation order. Warns once per parameter when a
    later neuron's value differs from its group's.
    """
    groups = group_of(hardware_neuron)
    out = {}
    for name, arr in values.items():
        arr = np.asarray(arr, dtype=float)
        first = np.full(N_GROUPS, np.nan)
        for g in range(N_GROUPS):
            members = np.flatnonzero(groups == g)
            if members.size:
                first[g] = arr[members[0]]
        eff = first[groups]
        ignored = np.flatnonzero(eff != arr)
        if ignored.size:
            k = ignored[0]
            warnings.warn(f"{name}: {ignored.size} neuron(s) share their (block, parity) group "
                          f"with an earlier neuron and keep its value (e.g. created neuron {k}: "
                          f"{arr[k]} mV ignored, group uses {eff[k]} mV; first neuron of a group "
                          "wins)", NeuroemuWarning, stacklevel=4)
        out[name] = eff
    return out


def warn_voltage_range(values: dict[str, np.ndarray]) -> None:
    """Voltages outside [-80, -55] mV are allowed with a warning (spec §1.2)."""
    lo, hi = WARN_RANGE_MV
    for name, arr in values.items():
        arr = np.asarray(arr, dtype=float)
        bad = (arr < lo) | (arr > hi)
        if bad.any():
            warnings.warn(f"{name}={arr[bad][0]} mV is outside the hardware's nominal range "
                          f"[{lo}, {hi}] mV", NeuroemuWarning, stacklevel=4)


def leak_conductance(g_leak_ns) -> np.ndarray:
    """g_leak after the current clip iLeak = 0.01 µA/nS * g in [0, 2.5] µA (warns)."""
    g = np.asarray(g_leak_ns, dtype=float)
    i_leak = g * UA_PER_NS
    clipped = np.clip(i_leak, 0.0, MAX_CURRENT_UA)
    if (clipped != i_leak).any():
        warnings.warn(f"g_leak outside [0, {MAX_CURRENT_UA / UA_PER_NS:g}] nS clipped (leak "
                      f"current limited to [0, {MAX_CURRENT_UA}] µA)", NeuroemuWarning,
                      stacklevel=4)
    return clipped / UA_PER_NS


def refractory_period(tau_refrac_ms, icb_ua: float, calib_icb: bool) -> np.ndarray:
    """tau_ref = 2 ms * exp(-10/µA * icb); icb from tau_refrac only with calibIcb."""
    tau = np.asarray(tau_refrac_ms, dtype=float)
    if not calib_icb:
        return np.full(tau.shape, ICB_A_MS * np.exp(-ICB_B_PER_UA * icb_ua))
    with np.errstate(divide="ignore"):
        icb = -np.log(np.maximum(tau, 1e-300) / ICB_A_MS) / ICB_B_PER_UA
    clipped = np.clip(icb, 0.0, MAX_CURRENT_UA)
    if (clipped != icb).any():
        warnings.warn(f"tau_refrac outside [{ICB_A_MS * np.exp(-ICB_B_PER_UA * MAX_CURRENT_UA):.2g}"
                      f", {ICB_A_MS}] ms: comparator bias clipped to [0, {MAX_CURRENT_UA}] µA",
                      NeuroemuWarning, stacklevel=4)
    return ICB_A_MS * np.exp(-ICB_B_PER_UA * clipped)
