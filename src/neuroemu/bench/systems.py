"""Is a PyNN backend installed? Checked without importing it (importing NEST takes seconds).

``pyNN.<system>`` must be importable and so must the simulator it drives: PyNN's ``nest``
backend needs ``import nest``, ``brian2`` needs ``import brian2``, ``neuron`` needs
``import neuron``. The ``neuroemu_<machine>`` names are neuroemu's own machines.
"""

from __future__ import annotations

import importlib.util

#: third-party modules a PyNN backend needs besides ``pyNN.<system>`` itself
SIMULATOR_MODULES: dict[str, tuple[str, ...]] = {
    "nest": ("nest",),
    "brian2": ("brian2",),
    "neuron": ("neuron",),
}


def _module_present(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def missing_modules(system: str) -> list[str]:
    """Modules that backend ``system`` needs and that cannot be found (empty: installed)."""
    from neuroemu import MACHINES

    if system.startswith("neuroemu_"):
        machine = system.removeprefix("neuroemu_")
        return [] if machine in MACHINES else [f"pyNN.{system}"]
    needed = (f"pyNN.{system}", *SIMULATOR_MODULES.get(system, ()))
    return [m for m in needed if not _module_present(m)]
