"""Builders for the module-level PyNN functions of a machine backend."""

from __future__ import annotations

from pyNN import common
from pyNN.common.control import DEFAULT_MIN_DELAY, DEFAULT_TIMESTEP
from pyNN.recording import get_io


def build_setup(simulator, configure, default_timestep: float = DEFAULT_TIMESTEP):
    """``setup()`` that clears the network and passes machine keywords to ``configure``."""

    def setup(timestep=default_timestep, min_delay=DEFAULT_MIN_DELAY, **extra_params):
        """Initialise the emulated machine; any existing network is destroyed."""
        max_delay = extra_params.pop("max_delay", None)
        common.setup(timestep, min_delay, **extra_params)
        if timestep is None or timestep <= 0:
            raise ValueError(f"setup(timestep={timestep}): the time step must be > 0 ms")
        state = simulator.state
        state.dt = float(timestep)
        state.clear()
        state.min_delay = state.dt if min_delay == "auto" else float(min_delay)
        configure(state, max_delay=max_delay, **extra_params)
        return 0

    return setup


def build_end(simulator):
    def end(compatible_output=True):
        """Write data requested with ``record(..., to_file)`` and release the machine."""
        for population, variables, filename in simulator.state.write_on_end:
            population.write_data(get_io(filename), variables)
        simulator.state.write_on_end = []

    return end
