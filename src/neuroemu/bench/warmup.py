"""Warm a neuroemu machine's Numba cache before benchmark tasks are timed.

The first run after ``pip install`` compiles every jitted kernel (the VA CUBA run phase took
13.9 s instead of 0.88 s). The issue's targets are for a warm cache, so ``neuroemu bench``
first runs this module in a subprocess for each neuroemu system:

    python -m neuroemu.bench.warmup neuroemu_spinnaker

It builds one tiny network with what the suite's tasks use: an excitatory and an inhibitory
population of each cell type of :data:`CELL_TYPES` the machine offers (a type it lacks
raises ``NotImplementedError`` and is listed as skipped), driven by a slow and a fast SpikeSourcePoisson (seeded as the tasks seed
them) and a SpikeSourceArray, excitatory and inhibitory synapses through the connectors the
tasks use (one-to-one, all-to-all, fixed probability, fixed total number, fixed number
pre), recurrent connections with random delays up to :data:`MAX_DELAY_MS` (long enough for
SpiNNaker's delay extensions), spikes recorded everywhere and ``v`` of two cells, run, read back. Numba's on-disk cache
(``cache=True``) keeps the compiled kernels for the task processes that follow. On a machine
whose toolchain expands large projections from seeds (SpiNNaker), one projection is large
enough to be expanded, with random weights and delays as the microcircuit's: its encoding
kernels take other types (single-precision weights, delay bytes) and would otherwise be
compiled inside the first microcircuit task.

Its last output line is a JSON object ``{"system", "cell_types", "skipped",
"generated_projection"}``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys

import numpy as np

from neuroemu.bench.seeds import setup_seed_kwargs, source_seed_kwargs

#: cell types of the suite's tasks (VA CUBA/COBA, Brunel, microcircuit, I-f curve) and
#: Spikey's only neuron; per type: excitatory and inhibitory weight (nA, or uS if cond)
CELL_TYPES: dict[str, tuple[float, float]] = {
    "IF_curr_exp": (0.1, -0.1),
    "IF_cond_exp": (0.01, 0.02),
    "IF_curr_delta": (0.1, -0.1),
    "IF_facets_hardware1": (0.003, 0.003),
}
DT = 0.1             # ms, the suite's time step
DURATION = 50.0      # ms
MAX_DELAY_MS = 10.0  # ms, the microcircuit's largest delay
N_CELLS = 10         # per population
SEED = 7
RATES_HZ = (20.0, 20000.0)  # a slow and a fast Poisson source (the microcircuit's ~20 kHz)
GENERATED_CELLS = 1100  # per population of the expanded projection (1.2 M possible pairs)


def build_and_run(sim, system: str) -> dict[str, list[str]]:
    """Build the warm-up network on ``sim`` (a PyNN backend module), run and read it back.
    Returns the cell types that ran and those the machine does not offer."""
    from pyNN.random import NumpyRNG, RandomDistribution

    sim.setup(timestep=DT, min_delay=DT, **setup_seed_kwargs(system, SEED))
    rng = NumpyRNG(seed=SEED)
    poisson = [sim.Population(N_CELLS, sim.SpikeSourcePoisson(rate=rate), label=f"p{rate:g}",
                              **source_seed_kwargs(system, SEED + i))
               for i, rate in enumerate(RATES_HZ)]
    array = sim.Population(N_CELLS, sim.SpikeSourceArray(spike_times=[1.0, 5.0, 9.5]),
                           label="array")
    recorded = [*poisson, array]
    for source in recorded:
        source.record("spikes")
    ran, skipped = [], []
    slow, fast = poisson
    for name, (w_exc, w_inh) in CELL_TYPES.items():
        try:
            exc, inh = (sim.Population(N_CELLS, getattr(sim, name)(), label=f"{name}_{kind}")
                        for kind in ("E", "I"))
        except NotImplementedError:
            skipped.append(name)
            continue
        ran.append(name)
        for cells in (exc, inh):
            recorded.append(cells)
            cells.record("spikes")
        exc[0:2].record("v")
        delay = RandomDistribution("normal_clipped", mu=1.5, sigma=2.0, low=DT,
                                   high=MAX_DELAY_MS, rng=rng)
        # random weights and delays on one stored projection (the microcircuit's smaller
        # projections are stored so: other array types for the row encoder)
        random_w_exc = RandomDistribution("uniform", low=0.5 * w_exc, high=w_exc, rng=rng)
        for pre, post, connector, weight, d, receptor in (
                (fast, exc, sim.OneToOneConnector(), w_exc, DT, "excitatory"),
                (slow, inh, sim.FixedProbabilityConnector(0.5, rng=rng), w_exc, 1.0,
                 "excitatory"),
                (array, exc, sim.AllToAllConnector(), w_inh, 1.0, "inhibitory"),
                (exc, inh, sim.FixedTotalNumberConnector(4 * N_CELLS, with_replacement=True,
                                                         rng=rng), random_w_exc, delay,
                 "excitatory"),
                (inh, exc, sim.FixedNumberPreConnector(3, rng=rng), w_inh, delay,
                 "inhibitory")):
            sim.Projection(pre, post, connector, sim.StaticSynapse(weight=weight, delay=d),
                           receptor_type=receptor)
    generated = bool(getattr(sim.simulator.state.toolchain, "generates_connections", False)) \
        and _expanded_projection(sim, rng)
    sim.run(DURATION)
    for population in recorded:
        population.get_data()
    sim.end()
    return {"cell_types": ran, "skipped": skipped, "generated_projection": generated}


def _expanded_projection(sim, rng) -> bool:
    """A projection just above the size the toolchain expands from seeds
    (``GENERATE_ABOVE`` connections), weights and delays drawn per connection; whether it
    was expanded."""
    from pyNN.random import RandomDistribution

    from neuroemu.pynn.generated_connections import GENERATE_ABOVE

    pre, post = (sim.Population(GENERATED_CELLS, sim.IF_curr_exp(), label=f"expanded_{kind}")
                 for kind in ("pre", "post"))
    weight = RandomDistribution("normal_clipped", mu=0.01, sigma=0.001, low=0.0, high=np.inf,
                                rng=rng)
    delay = RandomDistribution("normal_clipped", mu=1.5, sigma=0.75, low=DT, high=MAX_DELAY_MS,
                               rng=rng)
    projection = sim.Projection(
        pre, post, sim.FixedTotalNumberConnector(GENERATE_ABOVE + 1, rng=rng),
        sim.StaticSynapse(weight=weight, delay=delay))
    return projection._generated is not None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m neuroemu.bench.warmup",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("system", help="a neuroemu PyNN backend, e.g. neuroemu_spinnaker")
    args = parser.parse_args(argv)
    if not args.system.startswith("neuroemu_"):
        parser.error(f"system {args.system!r}: only neuroemu_<machine> backends have a "
                     f"Numba cache to warm")
    sim = importlib.import_module(f"pyNN.{args.system}")
    result = build_and_run(sim, args.system)
    print(json.dumps({"system": args.system, **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
