"""Poisson "fast regime" (Knuth) tick of the full-scale microcircuit's background sources.

The workload of the SpiNNaker kernel's Knuth path at full scale: one SpikeSourcePoisson per
population of the Potjans & Diesmann microcircuit (rate 8 Hz x K_ext, dt 0.1 ms, so lambda =
1.28 ... 2.32 spikes per tick), mapped as the machine maps it (slices of at most 500 sources:
157 cores, 77,169 sources). The rate constants come from :func:`build_poisson_program`, the
host + chip parameter translation. Times per source-tick, median of ``--repeats`` runs of
``--ticks`` ticks over all cores, for

* ``per-source loop``: the straightforward loop over :func:`_fast_num_spikes` (one Knuth loop
  per source; the implementation of ``knuth_core_tick`` before the branchless version),
* ``knuth_core_tick``: the kernel's scalar function (one core at a time, branch-free),
* ``knuth_lanes``: the kernel's path for cores sharing one rate: ``LANES`` cores at a time
  in SIMD lanes (:mod:`neuroemu.spinnaker.knuth_lanes`).

Every variant runs from the same KISS states and must end in the same states with the same
counts (checked). Cycles assume a 2.6 GHz clock (not measured).

    PYTHONPATH=src python3 benchmarks/bench_poisson_knuth.py [--ticks 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from microcircuit import BG_RATE, K_EXT, N_FULL
from numba import njit

from neuroemu.spinnaker.knuth_lanes import LANE_ROWS, LANES, add_lane, draw_lanes
from neuroemu.spinnaker.mapping import DEFAULT_POISSON_PER_CORE, slice_bounds
from neuroemu.spinnaker.poisson import (
    _fast_num_spikes,
    _load_kiss,
    _store_kiss,
    build_poisson_program,
    knuth_core_tick,
    n_spiking,
)

DT_MS = 0.1
ASSUMED_GHZ = 2.6


def microcircuit_background() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(slice_bounds, exp_minus_lambda, kiss_state) of the 8 background populations."""
    bounds = [0]
    rates = []
    for n, k_ext in zip(N_FULL.tolist(), K_EXT.tolist()):
        pop_bounds = slice_bounds(n, DEFAULT_POISSON_PER_CORE)
        bounds.extend((bounds[-1] + pop_bounds[1:]).tolist())
        rates.extend([BG_RATE * k_ext] * n)
    prog = build_poisson_program(rates, 0.0, np.inf, DT_MS, bounds, 12345)
    assert np.all(prog.regime == 1), "every background source draws by Knuth's method"
    return prog.slice_bounds, prog.exp_minus_lambda, prog.kiss_state


@njit(cache=True, _nrt=False)
def per_source_core_tick(core, bounds, eml, kiss_state, counts_out):
    """One Knuth loop per source (the reference reading of the chip's loop)."""
    state = kiss_state[core]
    x, y, z, c = _load_kiss(state)
    n_spiking = 0
    for i in range(bounds[core], bounds[core + 1]):
        n, x, y, z, c = _fast_num_spikes(np.uint64(eml[i]), x, y, z, c)
        counts_out[i] = n
        n_spiking += n > 0
    _store_kiss(state, x, y, z, c)
    return n_spiking


@njit
def run_ticks(core_tick, n_ticks, bounds, eml, kiss_state, counts):
    """``n_ticks`` ticks of every core by ``core_tick``; the summed packets."""
    total = 0
    for _ in range(n_ticks):
        for core in range(bounds.shape[0] - 1):
            total += core_tick(core, bounds, eml, kiss_state, counts)
    return total


@njit
def run_lane_ticks(n_ticks, bounds, eml, kiss_state, counts):
    """``n_ticks`` ticks of every core, LANES cores at a time; the summed packets."""
    lanes = np.zeros(LANE_ROWS * LANES, dtype=np.uint64)
    n_cores = bounds.shape[0] - 1
    total = 0
    for _ in range(n_ticks):
        n_used = 0
        for core in range(n_cores):
            n_used = add_lane(lanes, n_used, core, bounds[core], bounds[core + 1] - bounds[core],
                              eml[bounds[core]], kiss_state)
            if n_used == LANES or core == n_cores - 1:
                draw_lanes(lanes, n_used, counts, kiss_state)
                n_used = 0
        total += n_spiking(counts)
    return total


def per_source_loop(n_ticks, bounds, eml, kiss_state, counts):
    return run_ticks(per_source_core_tick, n_ticks, bounds, eml, kiss_state, counts)


def scalar_kernel(n_ticks, bounds, eml, kiss_state, counts):
    return run_ticks(knuth_core_tick, n_ticks, bounds, eml, kiss_state, counts)


VARIANTS = {"per-source loop": per_source_loop, "knuth_core_tick": scalar_kernel,
            "knuth_lanes": run_lane_ticks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    bounds, eml, seed_state = microcircuit_background()
    n_sources = int(bounds[-1])
    print(f"{bounds.shape[0] - 1} cores, {n_sources} sources, {args.ticks} ticks, "
          f"cycles at an assumed {ASSUMED_GHZ} GHz")
    reference = None
    for name, run in VARIANTS.items():
        counts = np.zeros(n_sources, dtype=np.int32)
        run(1, bounds, eml, seed_state.copy(), counts)  # compile
        times = []
        for _ in range(args.repeats):
            state = seed_state.copy()
            t0 = time.perf_counter()
            total = run(args.ticks, bounds, eml, state, counts)
            times.append(time.perf_counter() - t0)
        result = (total, state.tobytes(), counts.tobytes())
        if reference is None:
            reference = result
        elif result != reference:
            raise AssertionError(f"{name}: counts or KISS states differ from the reference")
        ns = float(np.median(times)) / (args.ticks * n_sources) * 1e9
        print(f"{name:22s} {ns:6.2f} ns/source-tick  {ns * ASSUMED_GHZ:6.1f} cycles  "
              f"(runs: {', '.join(f'{t:.3f}' for t in times)} s; "
              f"{total / (args.ticks * n_sources):.4f} spiking sources per source-tick)")


if __name__ == "__main__":
    main()
