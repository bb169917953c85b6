"""The microcircuit of ``microcircuit.py`` built with NEST's own connection rules (PyNEST).

PyNN's NEST backend builds ``FixedTotalNumberConnector`` connection by connection in Python
(about 20 minutes at scale 0.1, hours at full scale), so the suite's PyNN script cannot give
NEST's full-scale figures. This script builds the same network (same sizes, synapse
numbers, weight and delay distributions, background, initial voltages; parameters taken
from ``microcircuit.py``) with ``fixed_total_number`` inside NEST, simulates it and prints
one JSON line: build and simulation time, peak memory, rates per population::

    python benchmarks/nest_microcircuit.py --scale 1.0 --threads 2

Needs NEST 3 (``pip install nest-simulator``, the ``reference`` extra).
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import microcircuit as mc
import numpy as np

DT = 0.1
BIG = 1e9  # stands for an infinite clipping bound (NEST's redraw needs finite numbers)


def build_and_run(scale: float, duration: float, threads: int, seed: int) -> dict:
    import nest

    t0 = time.perf_counter()
    nest.ResetKernel()
    nest.verbosity = nest.VerbosityLevel.ERROR
    nest.SetKernelStatus({"resolution": DT, "local_num_threads": threads, "rng_seed": seed})
    sizes = mc.population_sizes(scale)
    n_syn = mc.synapse_numbers(scale)
    weights = mc.weight_matrix() * 1000.0  # nA -> pA
    cell = {"C_m": mc.CELL["cm"] * 1000.0, "tau_m": mc.CELL["tau_m"],
            "t_ref": mc.CELL["tau_refrac"], "tau_syn_ex": mc.CELL["tau_syn_E"],
            "tau_syn_in": mc.CELL["tau_syn_I"], "E_L": mc.CELL["v_rest"],
            "V_reset": mc.CELL["v_reset"], "V_th": mc.CELL["v_thresh"], "I_e": 0.0}
    pops, recorders = [], []
    for i in range(len(mc.POPULATIONS)):
        pop = nest.Create("iaf_psc_exp", int(sizes[i]), params=cell)
        pop.V_m = nest.random.normal(mean=mc.V0_MEAN, std=mc.V0_SD)
        background = nest.Create("poisson_generator",
                                 params={"rate": mc.BG_RATE * float(mc.K_EXT[i])})
        nest.Connect(background, pop, "all_to_all",
                     {"weight": mc.mean_weight() * 1000.0, "delay": DT})
        recorder = nest.Create("spike_recorder")
        nest.Connect(pop, recorder)
        pops.append(pop)
        recorders.append(recorder)
    # NEST keeps at most 2^27 - 2 connections per thread and synapse model: one model per
    # source population keeps the full-scale network within it on 2 threads
    for source in mc.POPULATIONS:
        nest.CopyModel("static_synapse", f"static_from_{source}")
    for t in range(8):
        for s in range(8):
            if n_syn[t, s] == 0:
                continue
            w = float(weights[t, s])
            mean_delay = mc.DELAY_E if s % 2 == 0 else mc.DELAY_I
            weight = nest.math.redraw(nest.random.normal(mean=w, std=abs(w) * mc.W_REL_SD),
                                      min=0.0 if w > 0 else -BIG, max=BIG if w > 0 else 0.0)
            delay = nest.math.redraw(
                nest.random.normal(mean=mean_delay, std=mean_delay * mc.DELAY_REL_SD),
                min=DT, max=mc.MAX_DELAY)
            nest.Connect(pops[s], pops[t],
                         {"rule": "fixed_total_number", "N": int(n_syn[t, s]),
                          "allow_autapses": True, "allow_multapses": True},
                         {"synapse_model": f"static_from_{mc.POPULATIONS[s]}",
                          "weight": weight,
                          "delay": delay})
    nest.Prepare()
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    nest.Run(duration)
    nest.Cleanup()
    simulate = time.perf_counter() - t0
    rates = [recorders[i].n_events / (sizes[i] * duration / 1000.0) for i in range(8)]
    return {"scale": scale, "threads": threads, "duration_ms": duration,
            "n_synapses": int(n_syn.sum()), "build_s": build, "simulate_s": simulate,
            "real_time_factor": simulate / (duration / 1000.0),
            "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "rates_hz": dict(zip(mc.POPULATIONS, np.round(rates, 3).tolist())),
            "nest_version": nest.__version__}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--duration", type=float, default=1000.0, help="ms (default 1000)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=mc.SEED)
    args = parser.parse_args()
    print(json.dumps(build_and_run(args.scale, args.duration, args.threads, args.seed)))


if __name__ == "__main__":
    main()
