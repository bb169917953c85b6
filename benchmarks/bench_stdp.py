"""STDP benchmark: 1000 Poisson inputs -> 100 IF_curr_exp through plastic synapses.

SpikePairRule (tau 20 ms, A+ 0.01, A- 0.012) with additive weights in [0, 0.05] nA, inputs
at 10 Hz, all-to-all (100,000 plastic synapses), dt 1 ms, 10 s. Each simulator runs in its
own subprocess; the table gives build and run wall time, run time per biological second,
the mean output rate and the mean final weight, and the ratio to PyNN+NEST (stdp_synapse).
A 10 ms run of each simulator first warms Numba's cache (compilation is not measured).

    python benchmarks/bench_stdp.py [--simulators neuroemu_spinnaker,nest] [--duration 10000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time


def worker(simulator: str, duration: float) -> dict:
    import importlib

    import numpy as np

    t0 = time.perf_counter()
    sim = importlib.import_module(f"pyNN.{simulator}")
    sim.setup(timestep=1.0, min_delay=1.0)
    extra = {"additional_parameters": {"seed": 1}} if simulator.startswith("neuroemu") else {}
    inputs = sim.Population(1000, sim.SpikeSourcePoisson(rate=10.0), **extra)
    cells = sim.Population(100, sim.IF_curr_exp(tau_syn_E=5.0))
    stdp = sim.STDPMechanism(
        timing_dependence=sim.SpikePairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.01,
                                            A_minus=0.012),
        weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=0.05),
        weight=0.025, delay=1.0)
    proj = sim.Projection(inputs, cells, sim.AllToAllConnector(), stdp)
    cells.record("spikes")
    t1 = time.perf_counter()
    sim.run(duration)
    t2 = time.perf_counter()
    n_spikes = sum(len(st) for st in cells.get_data().segments[0].spiketrains)
    weights = np.asarray(proj.get("weight", format="list", with_address=False), dtype=float)
    sim.end()
    return {"simulator": simulator, "build_s": t1 - t0, "run_s": t2 - t1,
            "run_s_per_bio_s": (t2 - t1) / (duration / 1000.0),
            "rate_hz": n_spikes / 100 / (duration / 1000.0), "mean_weight": weights.mean()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulators", default="neuroemu_spinnaker,nest")
    parser.add_argument("--duration", type=float, default=10000.0)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print("RESULT", json.dumps(worker(args.worker, args.duration)))
        return
    results = {}
    for simulator in args.simulators.split(","):
        # a short run first fills Numba's cache, so the measured run excludes compilation
        subprocess.run([sys.executable, __file__, "--worker", simulator, "--duration", "10"],
                       capture_output=True, check=False)
        proc = subprocess.run([sys.executable, __file__, "--worker", simulator, "--duration",
                               str(args.duration)], capture_output=True, text=True,
                              check=False)
        line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
        if not line:
            print(f"{simulator}: skipped ({(proc.stderr.strip().splitlines() or ['?'])[-1]})")
            continue
        results[simulator] = json.loads(line[0][7:])
    ref = results.get("nest")
    print(f"{'simulator':22s} {'build s':>8s} {'run s':>8s} {'run s/bio s':>12s} "
          f"{'ratio':>6s} {'rate Hz':>8s} {'mean w':>8s}")
    for name, r in results.items():
        ratio = r["run_s"] / ref["run_s"] if ref else float("nan")
        print(f"{name:22s} {r['build_s']:8.2f} {r['run_s']:8.2f} {r['run_s_per_bio_s']:12.3f} "
              f"{ratio:6.2f} {r['rate_hz']:8.2f} {r['mean_weight']:8.4f}")


if __name__ == "__main__":
    main()
