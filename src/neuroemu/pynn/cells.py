"""Cells and cell types shared by the machines: resolving populations, views and assemblies
to (population, index) pairs, and stand-ins for the PyNN models a machine lacks."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from pyNN import common
from pyNN.standardmodels import build_translations
from pyNN.standardmodels import cells as std


def identity_translations(cls) -> dict:
    """PyNN translations that keep every parameter's PyNN name (the toolchains read PyNN
    names and units and translate them to the machine's encoding themselves)."""
    return build_translations(*[(name, name) for name in cls.default_parameters])


class SpikeSourceArray(std.SpikeSourceArray):
    __doc__ = std.SpikeSourceArray.__doc__
    translations = identity_translations(std.SpikeSourceArray)


class SpikeSourcePoisson(std.SpikeSourcePoisson):
    __doc__ = std.SpikeSourcePoisson.__doc__
    translations = identity_translations(std.SpikeSourcePoisson)


def resolve(cells) -> list[tuple[object, np.ndarray, np.ndarray]]:
    """Split ``cells`` into [(root population, indices in it, positions in ``cells``)]."""
    if isinstance(cells, common.Assembly):
        out, offset = [], 0
        for part in cells.populations:
            for pop, idx, pos in resolve(part):
                out.append((pop, idx, pos + offset))
            offset += part.size
        return out
    if isinstance(cells, common.PopulationView):
        root = cells.grandparent
        idx = np.asarray(cells.index_in_grandparent(np.arange(cells.size)), dtype=np.int64)
        return [(root, idx, np.arange(cells.size, dtype=np.int64))]
    return [(cells, np.arange(cells.size, dtype=np.int64), np.arange(cells.size, dtype=np.int64))]


def unsupported_standard_models(supported: set[str], machine: str,
                                hint: Callable[[str], str]) -> dict[str, type]:
    """Stand-ins for every PyNN standard model a machine does not offer.

    Each is a subclass of the PyNN class that raises ``UnsupportedFeatureError`` naming the
    model, the machine and ``hint(name)`` when instantiated, so scripts fail at the line that
    asks for it.
    """
    from pyNN.standardmodels import (
        StandardCurrentSource,
        StandardSynapseType,
        STDPTimingDependence,
        STDPWeightDependence,
        electrodes,
    )
    from pyNN.standardmodels import cells as std
    from pyNN.standardmodels import synapses as std_syn

    from neuroemu.errors import UnsupportedFeatureError

    def stand_in(name: str, base: type) -> type:
        reason = hint(name)

        def __init__(self, *args, **kwargs):
            raise UnsupportedFeatureError(name, machine, reason)
        return type(name, (base,), {"__init__": __init__, "__doc__": f"Not available: {reason}."})

    out: dict[str, type] = {}
    for module, root in ((std, std.StandardCellType), (electrodes, StandardCurrentSource),
                         (std_syn, StandardSynapseType), (std_syn, STDPWeightDependence),
                         (std_syn, STDPTimingDependence)):
        for name in dir(module):
            cls = getattr(module, name)
            if (isinstance(cls, type) and issubclass(cls, root) and cls is not root
                    and not name.startswith("_") and name not in supported
                    and name not in out):
                out[name] = stand_in(name, cls)
    return out
