"""4-bit synaptic weights (spec §3.1): stochastic rounding of conductances to 0..15.

With the shipped calibration every chip has 1000 LSB per µS (excitatory) and 250 LSB per µS
(inhibitory), hence ``minExcWeight() = 0.001 µS`` and ``minInhWeight() = 0.004 µS``; the
largest weight is 15 LSB.
"""

from __future__ import annotations

import numpy as np

WEIGHT_BITS = 4
MAX_DIGITAL = 2 ** WEIGHT_BITS - 1                 # 15
LSB_PER_US = {"excitatory": 1000.0, "inhibitory": 250.0}
MIN_EXC_WEIGHT = 1.0 / LSB_PER_US["excitatory"]    # 0.001 µS
MIN_INH_WEIGHT = 1.0 / LSB_PER_US["inhibitory"]    # 0.004 µS


def min_weight(receptor: str) -> float:
    """Conductance (µS) of one weight LSB for ``receptor`` ('excitatory'/'inhibitory')."""
    return 1.0 / LSB_PER_US[receptor]


def discretise(weight_us, receptor: str, rng: np.random.Generator) -> np.ndarray:
    """Digital weights ``int(x + U(0,1))`` capped at 15, with ``x = |w| / LSB`` (spec §3.1).

    P(round up) = frac(x), so the mean is preserved below the cap; weight 0 = synapse off.
    """
    x = np.abs(np.asarray(weight_us, dtype=float)) * LSB_PER_US[receptor]
    u = rng.random(x.shape)
    return np.minimum(np.floor(x + u), MAX_DIGITAL).astype(np.uint8)


def to_conductance(digital, receptor: str) -> np.ndarray:
    """Conductance (µS, positive) held by digital weights."""
    return np.asarray(digital, dtype=float) * min_weight(receptor)
