"""Line-driver short-term plasticity (spec §1.4, §3.4).

A driver is depressing XOR facilitating. ``U`` selects the capacitor ratio C2/C1 = k/8,
k in {1, 3, 5, 7}; the inactive partition I decays with the chip-wide tau and each spike does
``I += U_SE (1 - I)`` with ``U_SE = k / (8 + k)``. Efficacy is ``1 - lambda I`` (depressing)
or ``1 + lambda (I - beta)`` (facilitating). The weight is pre-scaled by U (dep.) or 1 - U
(fac.) before discretisation. One (tau, lambda, beta) per chip: the calibration-table row with
the nearest tau of the last STP projection mapped.
"""

from __future__ import annotations

import numpy as np

from neuroemu.errors import UnsupportedFeatureError

MACHINE = "Spikey"
LEVELS = (1, 3, 5, 7)

#: calibSTPglobals.py taus (ms) per (depressing, k) (spec §1.4); dep k=1 has no entry
TAU_TABLE = {
    (True, 3): (90, 130, 180, 300),
    (True, 5): (80, 100, 140, 180, 200, 220, 250, 360, 450),
    (True, 7): (40, 50, 80, 110, 150, 220, 250, 380, 900),
    (False, 1): (70, 100, 130, 150, 190),
    (False, 3): (35, 50, 90, 100, 130, 150),
    (False, 5): (90, 110, 150, 200),
    (False, 7): (90, 100, 150, 180),
}

#: strength (Vstdf) and facilitation offset (Vfac) as model factors; the spec gives only
#: voltages, so lambda = 1 (full range) and beta = 0 are neuroemu's choice
LAMBDA = 1.0
BETA = 0.0

MSG_BOTH_ZERO = "STP problems!"
MSG_BOTH_SET = ("Tsodyks-Markram-STP on hardware does allow only facilitation OR depression.")


def capacitor_level(U: float) -> int:
    """k for ``U``: U < 1/9 -> 1, < 3/11 -> 3, < 5/13 -> 5, else 7 (spec §1.4)."""
    if U < 1 / 9:
        return 1
    if U < 3 / 11:
        return 3
    if U < 5 / 13:
        return 5
    return 7


def use_fraction(k: int) -> float:
    """U_SE = C2 / (C1 + C2) = k / (8 + k)."""
    return k / (8.0 + k)


def mode(tau_rec: float, tau_facil: float) -> tuple[bool, float]:
    """(depressing, tau) of a Tsodyks-Markram synapse; both or neither set raise."""
    if tau_rec == 0 and tau_facil == 0:
        raise ValueError(f"{MSG_BOTH_ZERO} tau_rec = tau_facil = 0: set tau_rec (depression) "
                         "or tau_facil (facilitation)")
    if tau_rec != 0 and tau_facil != 0:
        raise ValueError(f"{MSG_BOTH_SET} (tau_rec={tau_rec}, tau_facil={tau_facil})")
    return (True, float(tau_rec)) if tau_facil == 0 else (False, float(tau_facil))


def stp_code(depressing: bool, k: int) -> int:
    """Driver STP code used by the topology checks: 1 + 2k + 16*dep (0 = off)."""
    return 1 + 2 * k + 16 * int(depressing)


def chip_tau(depressing: bool, k: int, tau: float) -> float:
    """The tabulated chip time constant nearest to ``tau`` (spec §1.4)."""
    taus = TAU_TABLE.get((depressing, k))
    if taus is None:
        raise UnsupportedFeatureError(
            f"depressing STP with U < 1/9 (capacitor level k={k})", MACHINE,
            "the calibration table has no depression entry for k=1; use U >= 1/9")
    arr = np.asarray(taus, dtype=float)
    return float(arr[np.argmin(np.abs(arr - tau))])


def prescale(weight, U, depressing) -> np.ndarray:
    """Weight before discretisation: w*U (depressing) or w*(1-U) (facilitating)."""
    U = np.asarray(U, dtype=float)
    return np.asarray(weight, dtype=float) * np.where(depressing, U, 1.0 - U)
