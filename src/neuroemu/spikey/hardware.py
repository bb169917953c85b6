"""The ``hardware.hwa`` handle of the Spikey PyNN module: chip-wide knobs used by demos.

``sim.hardware.hwa.setIcb(0.02)`` (refractory bias of all neurons, µA), ``setLUT(causal,
acausal)``, ``setSTDPParams(...)`` and the ``autoSTDPFrequency`` attribute (ms bio per STDP
row). Settings belong to the current ``setup()``.
"""

from __future__ import annotations

from neuroemu.spikey import neuron


class HardwareAccess:
    """Chip-wide settings of the current setup (``pynn.hardware.hwa``)."""

    def __init__(self, simulator) -> None:
        self._simulator = simulator

    @property
    def _settings(self):
        return self._simulator.state.toolchain.settings

    def setIcb(self, icb: float) -> None:
        """Comparator bias of every neuron (µA, [0, 2.5]); lower = longer refractoriness."""
        if not 0.0 <= float(icb) <= neuron.MAX_CURRENT_UA:
            raise ValueError(f"setIcb({icb}): allowed range [0, {neuron.MAX_CURRENT_UA}] µA")
        self._settings.icb = float(icb)
        self._simulator.state.toolchain.parameters_changed(None)

    def setLUT(self, causalLUT, acausalLUT) -> None:
        """STDP look-up tables: 16 new weights for causal and for acausal evaluations."""
        self._settings.stdp.set_lut(causalLUT, acausalLUT)

    def setSTDPParams(self, **params) -> None:
        """Analogue STDP knobs (vm, tpcsec, tpcorperiod, vclra, vclrc, vcthigh, vctlow, adjdel)."""
        self._settings.stdp.set_params(**params)

    @property
    def autoSTDPFrequency(self) -> float:
        """Bio ms the STDP controller spends per synapse row (default 15)."""
        return self._settings.stdp.row_period_ms

    @autoSTDPFrequency.setter
    def autoSTDPFrequency(self, ms: float) -> None:
        self._settings.stdp.set_row_period(ms)


class Hardware:
    """``pynn.hardware``: holds ``hwa``."""

    def __init__(self, simulator) -> None:
        self.hwa = HardwareAccess(simulator)
