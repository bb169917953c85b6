"""``pyNN.neuroemu_spikey``: PyNN 0.13 on an emulated Spikey chip (the PyNN 0.6 Spikey rules).

Scripts written for ``pyNN.hardware.spikey`` run with the PyNN 0.13 API after changing the
import; the Spikey extensions (``minExcWeight``, driver factors, ``getWeightsHW``,
``getInputSpikes``, ``hardware.hwa``) are provided. See README "Spikey".
"""

from __future__ import annotations

import warnings

import numpy as np
from pyNN import common, errors, random, space  # noqa: F401
from pyNN.connectors import *
from pyNN.network import Network  # noqa: F401
from pyNN.random import NumpyRNG, RandomDistribution  # noqa: F401
from pyNN.recording import *
from pyNN.space import Space  # noqa: F401

from neuroemu.engine.kernel_cache import drop_stale_kernels
from neuroemu.errors import NeuroemuWarning, UnsupportedFeatureError
from neuroemu.pynn.backend import build_backend
from neuroemu.spikey import report, simulator, weights
from neuroemu.spikey import settings as _settings
from neuroemu.spikey.cells import (
    MACHINE,
    UNSUPPORTED_MODELS,
    AdditiveWeightDependence,  # noqa: F401
    IF_facets_hardware1,
    SpikePairRule,  # noqa: F401
    SpikeSourceArray,
    SpikeSourcePoisson,
    StaticSynapse,
    STDPMechanism,  # noqa: F401
    TsodyksMarkramSynapse,  # noqa: F401
)
from neuroemu.spikey.hardware import Hardware
from neuroemu.spikey.mapping import DRIVER_FACTOR_RANGE, check_factor
from neuroemu.spikey.toolchain import MEMBRANE_STEP_MS

drop_stale_kernels()  # Numba checks only a kernel's own file (engine/kernel_cache.py)

globals().update(UNSUPPORTED_MODELS)

#: set after every run (Spikey module globals, spec §1.1)
membraneOutput = np.zeros(0)
timeMembraneOutput = np.zeros(0)
numLostInputSpikes = 0
numInputSpikes = 0
hardware = Hardware(simulator)


def _toolchain():
    return simulator.state.toolchain


class _SpikeyProjection:
    """The Spikey fork's extra Projection methods (spec §1.3)."""

    def getWeights(self, format="list"):
        """The requested (continuous) weights in µS, before discretisation."""
        w = np.abs(np.asarray(self._values["weight"], dtype=float))
        return w.tolist() if format == "list" else self._as_array(w)

    def getWeightsHW(self, format="list", readHW=True):
        """4-bit weights in µS: read from the chip (after STDP when read after a run), or
        with ``readHW=False`` as configured at mapping."""
        w = _toolchain().connection_values(self, "weight") if readHW else \
            _toolchain().configured_weights(self)
        return w.tolist() if format == "list" else self._as_array(w)

    def _as_array(self, values):
        arr = np.full((self.pre.size, self.post.size), np.nan)
        arr[self._pre_idx, self._post_idx] = values
        return arr

    def _factor_methods(name):
        label = name.capitalize()

        def get(self):
            return _toolchain().driver_factors(self, name).tolist()

        def set_(self, factors):
            _toolchain().set_driver_factors(self, name, factors)

        def scale(self, factor):
            _toolchain().set_driver_factors(
                self, name, _toolchain().driver_factors(self, name) * float(factor))

        def range_(self, target=None):
            return list(DRIVER_FACTOR_RANGE[name])

        get.__doc__ = f"{label} factor of each connection's line driver."
        set_.__doc__ = (f"Set the {label.lower()} factor per connection (list) or for all; "
                        f"allowed range {DRIVER_FACTOR_RANGE[name]}.")
        scale.__doc__ = f"Multiply every {label.lower()} factor of this projection."
        range_.__doc__ = f"Allowed {label.lower()} factor range [min, max]."
        return get, set_, scale, range_

    getDrvifallFactors, setDrvifallFactors, scaleDrvifallFactors, getDrvifallFactorsRange = \
        _factor_methods("drvifall")
    getDrvioutFactors, setDrvioutFactors, scaleDrvioutFactors, getDrvioutFactorsRange = \
        _factor_methods("drviout")
    del _factor_methods

    def getDrviriseFactor(self):
        """Chip-wide drvirise factor (PSC rise speed)."""
        return _toolchain().settings.drvirise_factor

    def setDrviriseFactor(self, value):
        """Chip-wide drvirise factor, allowed [0.02, 2.5]."""
        _toolchain().settings.drvirise_factor = float(check_factor("drvirise", value)[0])

    def scaleDrviriseFactor(self, factor):
        """Multiply the chip-wide drvirise factor."""
        self.setDrviriseFactor(self.getDrviriseFactor() * float(factor))

    def setDelays(self, d):
        """Delays are not configurable on Spikey; ignored with a warning (the original is a
        silent no-op)."""
        warnings.warn("Projection.setDelays: synaptic delays are not configurable on Spikey; "
                      "ignored", NeuroemuWarning, stacklevel=2)

    def randomizeDelays(self, rand_distr):
        raise UnsupportedFeatureError("randomizeDelays", MACHINE,
                                      "delays are not configurable on the chip")


class _SpikeyPopulation:
    """The Spikey fork's extra Population method."""

    def getSpikes(self):
        """Recorded spikes as an N x 2 array ``[cell id, time ms]`` sorted by time."""
        index, times = _toolchain().spikes(self, np.arange(self.size))
        order = np.argsort(times, kind="stable")
        return np.column_stack([index[order] + int(self.first_id), times[order]])


class _SpikeyRecorder:
    """Membrane recording as the chip does it: one neuron, ADC step 0.1042 ms (spec §4.3)."""

    def __init__(self, population, file=None):
        super().__init__(population, file)
        self.sampling_interval = MEMBRANE_STEP_MS

    def _record(self, variable, new_ids, sampling_interval=None):
        if sampling_interval is not None and abs(sampling_interval - MEMBRANE_STEP_MS) > 1e-9:
            raise ValueError(f"sampling_interval={sampling_interval} ms: the Spikey ADC samples "
                             f"every {MEMBRANE_STEP_MS:.6f} ms bio")
        if variable.name == "v":
            first = int(self.population.first_id)
            for cell in sorted(int(i) for i in new_ids):
                previous = _toolchain().monitor_membrane(self.population, cell - first)
                if previous is not None:
                    old_pop, old_index = previous
                    for key, ids in old_pop.recorder.recorded.items():
                        if key.name == "v":
                            ids.discard(old_pop.all_cells[old_index])


def _configure(state, max_delay=None, **extra):
    state.max_delay = state.dt
    state.toolchain.configure(_settings.from_setup(**extra))


_backend = build_backend(simulator, StaticSynapse, _configure, default_timestep=0.1,
                         population_mixin=_SpikeyPopulation, projection_mixin=_SpikeyProjection,
                         recorder_mixin=_SpikeyRecorder)
globals().update(_backend)


def _after_run(result):
    global membraneOutput, timeMembraneOutput, numLostInputSpikes, numInputSpikes
    timeMembraneOutput, membraneOutput = _toolchain().membrane_output()
    numLostInputSpikes, numInputSpikes = _toolchain().input_spikes
    return result


def run(simtime, replay=False, translateToBioVoltage=True, interruptRunAfterMapping=False):
    """Run the experiment for ``simtime`` ms (bio); sets membraneOutput etc.

    ``interruptRunAfterMapping=True`` maps the network (raising configuration conflicts)
    without running it.
    """
    if replay:
        raise UnsupportedFeatureError("run(replay=True)", MACHINE,
                                      "neuroemu re-runs the emulation instead")
    if not translateToBioVoltage:
        raise UnsupportedFeatureError("run(translateToBioVoltage=False)", MACHINE,
                                      "membranes are only available in bio mV")
    if interruptRunAfterMapping:
        _toolchain().mapping  # noqa: B018 (maps and raises on conflicts, no run)
        return simulator.state.t
    return _after_run(_backend["run"](simtime))


def run_until(tstop):
    """Run until ``tstop`` ms (bio)."""
    return _after_run(_backend["run_until"](tstop))


run_for = run


def minExcWeight():
    """Conductance (µS) of one excitatory weight LSB: 0.001 (spec §3.1)."""
    return weights.MIN_EXC_WEIGHT


def minInhWeight():
    """Conductance (µS) of one inhibitory weight LSB: 0.004 (spec §3.1)."""
    return weights.MIN_INH_WEIGHT


def maxExcWeight():
    """Largest excitatory weight, 15 LSB (µS)."""
    return weights.MAX_DIGITAL * weights.MIN_EXC_WEIGHT


def maxInhWeight():
    """Largest inhibitory weight, 15 LSB (µS)."""
    return weights.MAX_DIGITAL * weights.MIN_INH_WEIGHT


def mapping_report(text: bool = False):
    """What the chip holds (neurons, drivers, synapses, weight histogram, STP/STDP) and what
    the last run did (input events sent/lost, output spikes): a dict, or text."""
    rep = _toolchain().report()
    return report.as_text(rep) if text else rep


def getInputSpikes():
    """(lost, sent) input events of the last run (link capacity, spec §2.5)."""
    return _toolchain().input_spikes


def getChipVersion():
    """The emulated chip is a Spikey v5 (both blocks usable)."""
    return 5


def get_max_delay():
    """Delays are fixed to one time step on Spikey."""
    return simulator.state.dt


def list_standard_models():
    """The standard cell types this machine supports."""
    return [c.__name__ for c in (IF_facets_hardware1, SpikeSourceArray, SpikeSourcePoisson)]
