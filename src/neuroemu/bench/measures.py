"""Analysis shared by the benchmark tasks: spike-train statistics and synaptic event counts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def spike_times_ms(spiketrains) -> list[np.ndarray]:
    """Sorted spike times (ms, float64) of each neo SpikeTrain."""
    return [np.sort(np.asarray(st.rescale("ms").magnitude, dtype=float)) for st in spiketrains]


def isi_cv(times: np.ndarray) -> float:
    """Coefficient of variation of the inter-spike intervals (nan with < 2 intervals)."""
    if times.size < 3:
        return float("nan")
    isi = np.diff(times)
    mean = isi.mean()
    return float(isi.std() / mean) if mean > 0 else float("nan")


def spike_statistics(spiketrains, t_stop: float, min_spikes: int = 3) -> dict[str, float]:
    """Population statistics of a list of neo SpikeTrains over ``[0, t_stop]`` ms.

    ``rate``: mean firing rate over all cells (Hz); ``cv``: mean coefficient of variation
    of the inter-spike intervals over cells with at least ``min_spikes`` spikes (nan if
    none); ``n_spikes``; ``n_cells``; ``n_cv_cells``.
    """
    times = spike_times_ms(spiketrains)
    n_spikes = int(sum(t.size for t in times))
    cvs = [isi_cv(t) for t in times if t.size >= min_spikes]
    cvs = [c for c in cvs if np.isfinite(c)]
    n_cells = len(times)
    return {
        "rate": n_spikes / (n_cells * t_stop / 1000.0) if n_cells else float("nan"),
        "cv": float(np.mean(cvs)) if cvs else float("nan"),
        "n_spikes": n_spikes,
        "n_cells": n_cells,
        "n_cv_cells": len(cvs),
    }


def synaptic_events(spike_counts: Sequence[float], n_connections: Sequence[float],
                    n_sources: Sequence[float]) -> float:
    """Spike deliveries: for each projection, spikes of its source population times the
    mean out-degree (connections / source size). Exact when out-degrees are equal; an
    estimate for random connectors (the per-cell out-degree is not read back, as that would
    cost as much as the network)."""
    total = 0.0
    for spikes, conns, size in zip(spike_counts, n_connections, n_sources, strict=True):
        if size:
            total += spikes * conns / size
    return total
