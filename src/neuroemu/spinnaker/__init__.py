"""``pyNN.neuroemu_spinnaker``: PyNN 0.13 on an emulated SpiNNaker (sPyNNaker 7.4.1 rules).

Scripts written for ``pyNN.spiNNaker`` run after changing only the import; the sPyNNaker
extensions (``set_number_of_neurons_per_core``, ``additional_parameters``, ...) are accepted.
Machine keywords of ``setup()`` (``machine``, ``mapping_only``, ``report_dir``,
``packet_loss``, ``n_boards_required``, ``n_chips_required``): see
:mod:`neuroemu.spinnaker.machine_stage`.
"""

from __future__ import annotations

import warnings

from pyNN import common, errors, random, space  # noqa: F401
from pyNN.connectors import *
from pyNN.network import Network  # noqa: F401
from pyNN.random import NumpyRNG, RandomDistribution  # noqa: F401
from pyNN.recording import *
from pyNN.space import Space  # noqa: F401

from neuroemu.errors import NeuroemuWarning, UnsupportedFeatureError
from neuroemu.pynn.backend import build_backend
from neuroemu.pynn.connectors import NativeRNG  # noqa: F401
from neuroemu.spinnaker import simulator
from neuroemu.spinnaker.cells import (
    MACHINE,
    UNSUPPORTED_MODELS,
    IF_cond_exp,
    IF_curr_exp,
    SpikeSourceArray,
    SpikeSourcePoisson,
    StaticSynapse,
)

globals().update(UNSUPPORTED_MODELS)


class _SpiNNakerPopulation:
    """sPyNNaker's extra Population methods."""

    def set_max_atoms_per_core(self, n) -> None:
        """sPyNNaker extension: atoms of this population per core."""
        simulator.state.toolchain.network_changed("core size change", self.label)
        self.additional_parameters["neurons_per_core"] = int(n)


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
    return [c.__name__ for c in (IF_curr_exp, IF_cond_exp, SpikeSourceArray,
                                 SpikeSourcePoisson)]
