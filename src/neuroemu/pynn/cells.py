"""Resolve PyNN populations, views and assemblies to (population, index) pairs."""

from __future__ import annotations

import numpy as np
from pyNN import common


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
