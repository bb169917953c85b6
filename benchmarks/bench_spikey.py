"""Benchmark the Spikey backend on two networks of the Spikey demos.

* ``decorr``: 192 neurons, v_rest -40 mV, K = 15 random inhibitory inputs each, no external
  input, 10 s bio (the HAL test ``runDecorrNetwork`` expects > 19200 spikes in 10 s);
* ``poisson``: lesson 1: 32 neurons, 64 Poisson sources at 10 Hz, 16 inputs each, 10 s bio;
* ``synfire``: lesson 3: closed synfire chain of 9 links (10 exc + 10 inh each, feedforward
  inhibition), one stimulus volley at 100 ms, weights of ``examples/spikey/lesson3``.

The equivalent hardware time is the biological time / 10^4 (Spikey's speed-up).

Prints wall-clock seconds for build, run (mapping included) and read-back, the number of
spikes and the real-time factor; ``--json out.json`` writes the records.

    python benchmarks/bench_spikey.py [--duration 10000] [--json bench_spikey.json]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import pyNN.neuroemu_spikey as sim


def build(name: str):
    sim.setup(rng_seeds=[1])
    if name == "decorr":
        pop = sim.Population(192, sim.IF_facets_hardware1(v_rest=-40.0))
        sim.Projection(pop, pop, sim.FixedNumberPreConnector(15, rng=sim.NumpyRNG(seed=2)),
                       sim.StaticSynapse(weight=7 * sim.minInhWeight()),
                       receptor_type="inhibitory")
    elif name == "synfire":
        sim.hardware.hwa.setIcb(0.02)
        stim = sim.Population(10, sim.SpikeSourceArray(spike_times=[100.0]))
        exc = [sim.Population(10, sim.IF_facets_hardware1()) for _ in range(9)]
        inh = [sim.Population(10, sim.IF_facets_hardware1()) for _ in range(9)]
        w_e, w_i, conn = sim.minExcWeight(), sim.minInhWeight(), sim.AllToAllConnector()
        sim.Projection(stim, exc[0], conn, sim.StaticSynapse(weight=10 * w_e))
        sim.Projection(stim, inh[0], conn, sim.StaticSynapse(weight=10 * w_e))
        for i in range(9):
            j = (i + 1) % 9
            sim.Projection(exc[i], exc[j], conn, sim.StaticSynapse(weight=8 * w_e))
            sim.Projection(exc[i], inh[j], conn, sim.StaticSynapse(weight=8 * w_e))
            sim.Projection(inh[i], exc[i], conn, sim.StaticSynapse(weight=4 * w_i),
                           receptor_type="inhibitory")
        pop = sim.Assembly(*exc, *inh)
    else:
        src = sim.Population(64, sim.SpikeSourcePoisson(rate=10.0))
        pop = sim.Population(32, sim.IF_facets_hardware1())
        sim.Projection(src, pop, sim.FixedNumberPreConnector(16, rng=sim.NumpyRNG(seed=2)),
                       sim.StaticSynapse(weight=7 * sim.minExcWeight()))
    pop.record("spikes")
    return pop


def bench(name: str, duration: float) -> dict:
    t0 = time.perf_counter()
    pop = build(name)
    t1 = time.perf_counter()
    sim.run(duration)
    t2 = time.perf_counter()
    n_spikes = sum(len(st) for st in pop.get_data().segments[0].spiketrains)
    t3 = time.perf_counter()
    sim.end()
    return {"network": name, "duration_ms": duration, "build_s": t1 - t0, "run_s": t2 - t1,
            "readback_s": t3 - t2, "spikes": n_spikes,
            "real_time_factor": (t2 - t1) / (duration / 1000.0),
            "hardware_time_s": duration / 1000.0 / 1e4}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10000.0)
    parser.add_argument("--json")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    bench("poisson", 100.0)                       # compile the engine once
    records = [bench(name, args.duration) for name in ("decorr", "poisson", "synfire")]
    for r in records:
        print(f"{r['network']:8s} build {r['build_s']:.2f} s  run {r['run_s']:.2f} s  "
              f"readback {r['readback_s']:.2f} s  spikes {r['spikes']}  "
              f"wall s per bio s {r['real_time_factor']:.2f}  "
              f"(hardware: {r['hardware_time_s'] * 1e3:.1f} ms)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(records, f, indent=2)


if __name__ == "__main__":
    main()
