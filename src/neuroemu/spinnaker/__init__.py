"""``pyNN.neuroemu_spinnaker``: PyNN 0.13 on an emulated SpiNNaker (sPyNNaker 7.4.1 rules).

Scripts written for ``pyNN.spiNNaker`` run after changing only the import; the sPyNNaker
extensions (``set_number_of_neurons_per_core``, ``additional_parameters``, ...) are accepted.
Machine keywords of ``setup()`` (``machine``, ``mapping_only``, ``report_dir``,
``packet_loss``, ``n_boards_required``, ``n_chips_required``): see
:mod:`neuroemu.spinnaker.machine_stage`.
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
from neuroemu.pynn.connectors import NativeRNG  # noqa: F401
from neuroemu.spinnaker import extra_models, simulator  # noqa: F401
from neuroemu.spinnaker.cells import (  # noqa: F401
    MACHINE,
    STANDARD_CELLS,
    UNSUPPORTED_MODELS,
    AdditiveWeightDependence,
    IF_cond_exp,
    IF_curr_delta,
    IF_curr_exp,
    Izhikevich,
    MultiplicativeWeightDependence,
    SpikePairRule,
    SpikeSourceArray,
    SpikeSourcePoisson,
    StaticSynapse,
    STDPMechanism,
)
from neuroemu.spinnaker.current_sources import (  # noqa: F401
    ACSource,
    DCSource,
    NoisyCurrentSource,
    StepCurrentSource,
)

drop_stale_kernels()  # Numba checks only a kernel's own file (engine/kernel_cache.py)

globals().update(UNSUPPORTED_MODELS)


class _SpiNNakerPopulation:
    """sPyNNaker's extra Population methods."""

    def set_max_atoms_per_core(self, n) -> None:
        """sPyNNaker extension: atoms of this population per core."""
        simulator.state.toolchain.network_changed("core size change", self.label)
        self.additional_parameters["neurons_per_core"] = int(n)

    def spinnaker_get_data(self, variable, as_matrix: bool = False,
                           view_indexes=None) -> np.ndarray:
        """sPyNNaker extension (spec §8): the current segment's recording as a numpy array.

        Spikes: rows ``[neuron_index, time_ms]`` sorted by neuron then time. A state
        variable: rows ``[neuron_index, time_ms, value]`` neuron-major (PyNN 0.7 layout),
        or with ``as_matrix`` the samples x neurons matrix. An unrecorded variable gives an
        empty (0, 0) array, as in sPyNNaker."""
        if not isinstance(variable, str):
            if len(variable) != 1:
                raise ValueError(f"spinnaker_get_data(variable={variable!r}): only one "
                                 "variable at a time is supported")
            variable = variable[0]
        index = self.recorder.recorded_indices(variable)
        if view_indexes is not None:
            index = index[np.isin(index, np.asarray(view_indexes, dtype=np.int64))]
        if index.size == 0:
            return np.empty((0, 0), dtype=float)
        toolchain = simulator.state.toolchain
        if variable == "spikes":
            neuron, times = toolchain.spikes(self, index)
            return np.column_stack([neuron.astype(float), times])
        data = toolchain.signal(self, variable, index)
        if as_matrix:
            return data
        start = float(self.recorder._recording_start_time.rescale("ms").magnitude)
        times = start + np.arange(data.shape[0]) * self.recorder.sampling_interval_of(variable)
        return np.column_stack([np.repeat(index, data.shape[0]).astype(float),
                                np.tile(times, index.size), data.T.reshape(-1)])


def _configure(state, max_delay=None, constants="7.4.1", machine=None, mapping_only=False,
               report_dir=None, packet_loss=None, n_boards_required=None,
               n_chips_required=None, **extra):
    if max_delay is not None:
        warnings.warn("setup(max_delay=...) is ignored on SpiNNaker: the maximum delay "
                      "follows from the ring buffer and delay extensions", NeuroemuWarning,
                      stacklevel=3)
    state.max_delay = float("inf")
    state.toolchain.configure(constants=constants, machine=machine, mapping_only=mapping_only,
                              report_dir=report_dir, packet_loss=packet_loss,
                              n_boards_required=n_boards_required,
                              n_chips_required=n_chips_required)
    unknown = set(extra) - {"database_socket_addresses",
                            "time_scale_factor", "graph_label", "n_synapse_cores", "rank",
                            "num_processes"}
    if unknown:
        warnings.warn(f"setup(): keyword(s) {sorted(unknown)} have no meaning on {MACHINE} "
                      "and are ignored", NeuroemuWarning, stacklevel=3)


globals().update(build_backend(simulator, StaticSynapse, _configure, default_timestep=1.0,
                               population_mixin=_SpiNNakerPopulation))


def get_max_delay():
    """As sPyNNaker: the maximum delay depends on the mapping, so it is not a constant."""
    raise UnsupportedFeatureError("get_max_delay()", MACHINE,
                                  "the limit depends on neurons per core (spec §3.2)")


def set_number_of_neurons_per_core(neuron_type, max_permitted) -> None:
    """sPyNNaker extension: cap the atoms per core of every population of ``neuron_type``."""
    if isinstance(neuron_type, str) or not isinstance(neuron_type, type):
        raise TypeError("set_number_of_neurons_per_core expects a cell type class, e.g. "
                        f"sim.IF_curr_exp, not {neuron_type!r}")
    if max_permitted is not None:
        if isinstance(max_permitted, tuple):
            from math import prod
            max_permitted = prod(max_permitted)
        if int(max_permitted) < 1:
            raise ValueError(f"max_permitted={max_permitted}: must be >= 1")
    simulator.state.toolchain.neurons_per_core[neuron_type] = max_permitted
    simulator.state.toolchain.network_changed("core size change", neuron_type.__name__)


def set_allow_delay_extensions(neuron_type, allow: bool) -> None:
    """sPyNNaker extension: forbid delay-extension cores for sources of ``neuron_type``."""
    simulator.state.toolchain.allow_delay_extensions[neuron_type] = bool(allow)


def set_number_of_synapse_cores(neuron_type, n) -> None:
    """sPyNNaker extension; split synapse cores change timing only, not results here."""
    if n is not None and int(n) < 0:
        raise ValueError(f"number of synapse cores must be >= 0, got {n}")


def list_standard_models():
    """The standard cell types this machine supports."""
    return [c.__name__ for c in STANDARD_CELLS]
