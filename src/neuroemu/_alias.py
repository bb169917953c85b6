"""Make ``pyNN.neuroemu_<machine>`` importable without writing into PyNN's folder.

A meta-path finder, installed at interpreter start-up by ``neuroemu_pynn_alias.pth``, maps
``pyNN.neuroemu_spinnaker`` to ``neuroemu.spinnaker`` (and likewise for every machine in
``neuroemu.MACHINES``). The alias is the very same module object, so ``sim.Population`` and
``neuroemu.spinnaker.Population`` are one class.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys

from neuroemu import MACHINES

ALIASES = {f"pyNN.neuroemu_{name}": target for name, target in MACHINES.items()}


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec):
        return importlib.import_module(self.target)

    def exec_module(self, module) -> None:
        """The target module is already executed by ``import_module``."""


class PyNNAliasFinder(importlib.abc.MetaPathFinder):
    """Answers only for the ``pyNN.neuroemu_*`` names; every other import passes through."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in ALIASES:
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(ALIASES[fullname]))


def install() -> None:
    """Register the finder once (idempotent)."""
    if not any(isinstance(f, PyNNAliasFinder) for f in sys.meta_path):
        sys.meta_path.append(PyNNAliasFinder())
