"""On-chip STDP (spec §1.5, §3.3): correlation capacitors, threshold, LUTs, row controller.

Each synapse of an STDP row accumulates causal and acausal charge ``exp(-|dt| / tau)`` per
pair under the reduced symmetric nearest-neighbour scheme (tau = 2.5 ms bio at the default
vm/Vclra/Vclrc). A controller walks the contiguous STDP row range, one row per
``autoSTDPFrequency`` (15 ms bio); on evaluation a synapse whose causal charge exceeds the
acausal one by more than the threshold gets ``w = causal_lut[w]``, the reverse gets
``acausal_lut[w]``, and an evaluated synapse's capacitors are reset.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from neuroemu.errors import UnsupportedFeatureError

MACHINE = "Spikey"
TAU_MS = 2.5                  # vm = 0.3 V "corresponds to tau = 2.5 ms" (hwconfig)
ROW_PERIOD_MS = 15.0          # autoSTDPFrequency default (15 ms bio per row)
LUT_SIZE = 16
#: AdditiveWeightDependence LUTs (spec §1.5): causal w -> min(w+1, 15), acausal max(w-1, 0)
CAUSAL_ADDITIVE = np.minimum(np.arange(LUT_SIZE) + 1, 15).astype(np.uint8)
ACAUSAL_ADDITIVE = np.maximum(np.arange(LUT_SIZE) - 1, 0).astype(np.uint8)
#: threshold on the charge difference, in pairs-at-dt=0 units: a_tl = 2 of the Pfeil 2012
#: model demo (spec §3.3); it scales with (Vcthigh - Vctlow) relative to the default 0.15 V
THRESHOLD_PAIRS = 2.0
MIN_THRESHOLD_V = 0.04        # regression/test_007: evaluation fails below 0.04 V
MIN_TPCORPERIOD = 360         # chip minimum, clock periods

DEFAULTS = {"vm": 0.3, "tpcsec": 30, "tpcorperiod": 360, "vclra": 1.2, "vclrc": 1.2,
            "vcthigh": 1.0, "vctlow": 0.85, "adjdel": 2.5}
#: knobs whose analogue effect neuroemu does not model: any other value raises
_FIXED = ("vm", "vclra", "vclrc", "tpcsec", "adjdel")


@dataclass
class STDPSettings:
    """Chip-wide STDP configuration (the ``hardware`` handle edits it)."""

    causal_lut: np.ndarray = field(default_factory=lambda: CAUSAL_ADDITIVE.copy())
    acausal_lut: np.ndarray = field(default_factory=lambda: ACAUSAL_ADDITIVE.copy())
    custom_lut: bool = False
    params: dict = field(default_factory=lambda: dict(DEFAULTS))
    row_period_ms: float = ROW_PERIOD_MS

    @property
    def threshold(self) -> float:
        """Charge-difference threshold in pair units (2 pairs at the default 0.15 V)."""
        span = self.params["vcthigh"] - self.params["vctlow"]
        return THRESHOLD_PAIRS * span / (DEFAULTS["vcthigh"] - DEFAULTS["vctlow"])

    def set_lut(self, causal, acausal) -> None:
        """``setLUT``: 2 x 16 integers in [0, 15] (spec §1.5 messages)."""
        c = np.asarray(causal)
        a = np.asarray(acausal)
        if c.shape != (LUT_SIZE,) or a.shape != (LUT_SIZE,):
            raise ValueError(f"ERROR: setLUT: 2*16 values required. (got {c.size} causal, "
                             f"{a.size} acausal)")
        if (c < 0).any() or (c > 15).any() or (a < 0).any() or (a > 15).any() or \
                (c != np.round(c)).any() or (a != np.round(a)).any():
            raise ValueError("ERROR: setLUT: 0<=value<=15. (integers)")
        self.causal_lut = c.astype(np.uint8)
        self.acausal_lut = a.astype(np.uint8)
        self.custom_lut = True

    def set_params(self, **values) -> None:
        """``setSTDPParams``: the threshold voltages and ``tpcorperiod`` are emulated."""
        unknown = set(values) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"setSTDPParams: unknown parameter(s) {sorted(unknown)}; "
                             f"allowed: {sorted(DEFAULTS)}")
        merged = dict(self.params, **{k: float(v) for k, v in values.items()})
        for name in _FIXED:
            if merged[name] != DEFAULTS[name]:
                raise UnsupportedFeatureError(
                    f"setSTDPParams({name}={merged[name]})", MACHINE,
                    f"neuroemu models the correlation circuit only at {name}="
                    f"{DEFAULTS[name]} (tau = {TAU_MS} ms)")
        if merged["vcthigh"] - merged["vctlow"] < MIN_THRESHOLD_V:
            raise ValueError(f"setSTDPParams: vcthigh - vctlow = "
                             f"{merged['vcthigh'] - merged['vctlow']:.3f} V is below "
                             f"{MIN_THRESHOLD_V} V, where the evaluation fails")
        if merged["tpcorperiod"] < MIN_TPCORPERIOD:
            raise ValueError(f"setSTDPParams: tpcorperiod={merged['tpcorperiod']} is below the "
                             f"chip minimum of {MIN_TPCORPERIOD} clock periods")
        self.params = merged

    def set_row_period(self, ms: float) -> None:
        """``autoSTDPFrequency``: bio ms per synapse row."""
        if not ms > 0:
            raise ValueError(f"autoSTDPFrequency={ms}: must be > 0 ms")
        self.row_period_ms = float(ms)


def check_mechanism(synapse_type) -> None:
    """Only SpikePairRule timing, Additive weights, no voltage dependence (spec §1.5)."""
    from neuroemu.spikey import cells

    if not isinstance(synapse_type.timing_dependence, cells.SpikePairRule):
        raise UnsupportedFeatureError(
            f"timing_dependence {type(synapse_type.timing_dependence).__name__}", MACHINE,
            "Setting timing_dependence != SpikePairRule isn't supported by Spikey.")
    if not isinstance(synapse_type.weight_dependence, cells.AdditiveWeightDependence):
        raise UnsupportedFeatureError(
            f"weight_dependence {type(synapse_type.weight_dependence).__name__}", MACHINE,
            "only AdditiveWeightDependence (a +-1 LUT) or a custom LUT via setLUT")
    if synapse_type.voltage_dependence is not None:
        raise UnsupportedFeatureError("voltage-dependent STDP", MACHINE)
    if synapse_type.dendritic_delay_fraction != 0:
        raise ValueError(f"STDPMechanism(dendritic_delay_fraction="
                         f"{synapse_type.dendritic_delay_fraction}): Spikey requires 0 "
                         "(pass dendritic_delay_fraction=0)")
