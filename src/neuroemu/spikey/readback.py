"""Read-back: output spikes per population (with ``minimumISI``), applied input trains and
the monitored membrane of the current segment."""

from __future__ import annotations

import numpy as np
from numba import njit

from neuroemu.spikey import topology
from neuroemu.spikey.mapping import ChipMapping


@njit(cache=True)
def minimum_isi_mask(index: np.ndarray, times: np.ndarray, min_isi: float) -> np.ndarray:
    """Spikes to keep (input sorted by neuron, then time): drop those closer than
    ``min_isi`` to the previous kept spike of their neuron (setup(minimumISI=...))."""
    keep = np.ones(index.size, dtype=np.bool_)
    last_n, last_t = -1, -np.inf
    for k in range(index.size):
        if index[k] == last_n and times[k] - last_t < min_isi:
            keep[k] = False
        else:
            last_n, last_t = index[k], times[k]
    return keep


class Recordings:
    """Recorded data of the current segment, appended run by run."""

    def __init__(self) -> None:
        self._spikes: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
        self._membrane: list[np.ndarray] = []

    def store_spikes(self, populations, m: ChipMapping, times: np.ndarray,
                     neurons: np.ndarray, applied: dict, min_isi: float) -> None:
        """Split one run's output spikes by population; sources record their applied input."""
        for pop in populations:
            parts = self._spikes.setdefault(id(pop), [])
            if id(pop) in m.hw_neuron:
                lookup = np.full(topology.N_NEURONS, -1, np.int64)
                lookup[m.hw_neuron[id(pop)]] = np.arange(pop.size)
                idx = lookup[neurons]
                sel = idx >= 0
                idx, t = idx[sel], times[sel]
                if min_isi > 0:
                    order = np.lexsort((t, idx))
                    idx, t = idx[order], t[order]
                    keep = minimum_isi_mask(idx, t, min_isi)
                    idx, t = idx[keep], t[keep]
                parts.append((idx, t))
            else:
                trains = [(np.full(applied[int(n)].size, i), applied[int(n)])
                          for i, n in enumerate(m.source_number[id(pop)]) if int(n) in applied]
                if trains:
                    parts.append((np.concatenate([p[0] for p in trains]),
                                  np.concatenate([p[1] for p in trains])))

    def store_membrane(self, samples: np.ndarray) -> None:
        self._membrane.append(samples)

    def spikes(self, population, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(cell index, time ms) of ``population``'s spikes for the cells in ``index``."""
        parts = self._spikes.get(id(population), [])
        if not parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        neuron = np.concatenate([p[0] for p in parts]).astype(np.int64)
        times = np.concatenate([p[1] for p in parts])
        keep = np.isin(neuron, index)
        order = np.lexsort((times[keep], neuron[keep]))
        return neuron[keep][order], times[keep][order]

    def membrane(self) -> np.ndarray:
        return np.concatenate(self._membrane) if self._membrane else np.zeros(0)

    def membrane_columns(self, population, index: np.ndarray, monitored_pop,
                         monitored_index: int) -> np.ndarray:
        """Samples x cells, the monitored cell's column filled, the others NaN."""
        data = self.membrane()
        out = np.full((data.size, index.size), np.nan)
        if monitored_pop is population:
            out[:, index == monitored_index] = data[:, None]
        return out

    def clear_membrane(self) -> None:
        self._membrane = []

    def clear(self, population, membrane_too: bool) -> None:
        self._spikes.pop(id(population), None)
        if membrane_too:
            self.clear_membrane()
