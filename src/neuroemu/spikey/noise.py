"""Analogue noise of the chip (spec §4.4): fixed pattern per chip, temporal per run.

Fixed pattern, drawn once per chip from the chip seed:
- membrane time constant: uncalibrated, the measured tau_m is a chip gain (median 16-29 ms at
  nominal 10 ms, so gain uniform in [1.6, 2.9]) times a per-neuron log-normal factor with
  CV 0.35 (measured 0.20-0.43); with ``calibTauMem`` the gain is 1 and the residual CV 0.05;
- line-driver efficacy: log-normal factor per driver, CV 0.4 uncalibrated (calibration factors
  span 0.01-2.5), 0.05 with ``calibSynDrivers``.
Temporal noise: white noise on the membrane with a free-membrane standard deviation of
``TEMPORAL_SIGMA_MV``, from a per-run stream. ``noise=False`` turns all of it off.
The CVs after calibration and the temporal amplitude are neuroemu's choices (the spec has no
figure for them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neuroemu.spikey.topology import N_DRIVERS, N_NEURONS

TAU_GAIN_RANGE = (1.6, 2.9)
TAU_CV_UNCALIBRATED = 0.35
TAU_CV_CALIBRATED = 0.05
DRIVER_CV_UNCALIBRATED = 0.4
DRIVER_CV_CALIBRATED = 0.05
TEMPORAL_SIGMA_MV = 0.3


def _lognormal(rng: np.random.Generator, cv: float, n: int) -> np.ndarray:
    """Factors with median 1 and coefficient of variation ``cv``."""
    sigma = np.sqrt(np.log1p(cv * cv))
    return np.exp(rng.normal(0.0, sigma, n))


@dataclass
class FixedPattern:
    """Per-chip multiplicative factors: tau_m per neuron, efficacy per line driver."""

    tau_factor: np.ndarray
    driver_factor: np.ndarray


def fixed_pattern(chip_seed: int, enabled: bool, calib_tau_mem: bool,
                  calib_syn_drivers: bool) -> FixedPattern:
    """The chip's fixed-pattern factors (all ones when noise is off)."""
    if not enabled:
        return FixedPattern(np.ones(N_NEURONS), np.ones(N_DRIVERS))
    rng = np.random.default_rng(np.random.SeedSequence([int(chip_seed), 0x5B1CE7]))
    gain = rng.uniform(*TAU_GAIN_RANGE)
    tau_spread = _lognormal(rng, TAU_CV_UNCALIBRATED, N_NEURONS)
    driver_spread = _lognormal(rng, DRIVER_CV_UNCALIBRATED, N_DRIVERS)
    residual_tau = _lognormal(rng, TAU_CV_CALIBRATED, N_NEURONS)
    residual_drv = _lognormal(rng, DRIVER_CV_CALIBRATED, N_DRIVERS)
    tau = residual_tau if calib_tau_mem else gain * tau_spread
    drv = residual_drv if calib_syn_drivers else driver_spread
    return FixedPattern(tau, drv)


def temporal_sigma(enabled: bool) -> float:
    """Free-membrane standard deviation (mV) of the temporal noise."""
    return TEMPORAL_SIGMA_MV if enabled else 0.0
