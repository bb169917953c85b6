"""Factory for the module namespace of a machine backend (``pyNN.neuroemu_<machine>``).

Every machine exposes the same PyNN 0.13 functions and classes; only the simulator state
(with its toolchain), the static synapse class and the ``setup`` keywords differ. A machine
package calls :func:`build_backend` and puts the result in its globals, then adds its own
extensions, so no backend copies another's PyNN glue.

The toolchain a machine hands to :class:`neuroemu.pynn.simulator.EmulatorState` is called by
the shared layer through these methods: ``network_changed(what, label)``,
``check_population(pop)``, ``parameters_changed(pop)``, ``check_projection(proj)``,
``connections_changed(proj)``, ``connection_values(proj, name)``,
``recording_changed(pop)``, ``clear_recordings(pop)``, ``run(n_ticks)``, ``reset()``,
``spikes(pop, index) -> (neuron, times)``, ``signal(pop, name, index) -> 2-D array``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyNN import common
from pyNN.connectors import FixedProbabilityConnector

from neuroemu.pynn import populations as _pops
from neuroemu.pynn import projections as _projs
from neuroemu.pynn import recording as _rec
from neuroemu.pynn.control import build_end, build_setup


def build_backend(simulator, static_synapse_class: type, configure: Callable[..., None],
                  default_timestep: float, population_mixin: type | None = None,
                  projection_mixin: type | None = None, recorder_mixin: type | None = None,
                  ) -> dict[str, Any]:
    """The PyNN names of one machine backend, bound to ``simulator`` (its state module).

    ``configure(state, max_delay=..., **setup_keywords)`` receives the machine keywords of
    ``setup()``; ``population_mixin``, ``projection_mixin`` and ``recorder_mixin`` add machine
    methods to ``Population``, ``Projection`` and ``Recorder``.
    """

    def bases(mixin, base):
        return (mixin, base) if mixin else (base,)

    class Recorder(*bases(recorder_mixin, _rec.Recorder)):
        _simulator = simulator

    class Assembly(_pops.Assembly):
        _simulator = simulator

    class PopulationView(_pops.PopulationView):
        _simulator = simulator
        _assembly_class = Assembly

    class Population(*bases(population_mixin, _pops.Population)):
        __doc__ = _pops.Population.__doc__
        _simulator = simulator
        _recorder_class = Recorder
        _assembly_class = Assembly
        _view_class = PopulationView

    class Projection(*bases(projection_mixin, _projs.Projection)):
        __doc__ = _projs.Projection.__doc__
        _simulator = simulator
        _static_synapse_class = static_synapse_class

    run, run_until = common.build_run(simulator)
    get_current_time, get_time_step, get_min_delay, get_max_delay, num_processes, rank = \
        common.build_state_queries(simulator)
    record = common.build_record(simulator)

    def record_v(source, filename):
        """PyNN 0.7 style: record the membrane potential of ``source`` to ``filename``."""
        return record(["v"], source, filename)

    def record_gsyn(source, filename):
        """PyNN 0.7 style: record both synaptic conductances of ``source``."""
        return record(["gsyn_exc", "gsyn_inh"], source, filename)

    return {
        "Recorder": Recorder, "Assembly": Assembly, "PopulationView": PopulationView,
        "Population": Population, "Projection": Projection,
        "setup": build_setup(simulator, configure, default_timestep=default_timestep),
        "end": build_end(simulator), "run": run, "run_until": run_until, "run_for": run,
        "reset": common.build_reset(simulator), "initialize": common.initialize,
        "get_current_time": get_current_time, "get_time_step": get_time_step,
        "get_min_delay": get_min_delay, "get_max_delay": get_max_delay,
        "num_processes": num_processes, "rank": rank,
        "create": common.build_create(Population),
        "connect": common.build_connect(Projection, FixedProbabilityConnector,
                                         static_synapse_class),
        "record": record, "record_v": record_v, "record_gsyn": record_gsyn,
    }
