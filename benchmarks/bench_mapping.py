"""Mapping time of a Brunel-like network on the SpiNNaker machine model (mapping only).

For each size N (default 10k and 100k; 1M on request) a fresh Python process builds
N neurons (80 % excitatory, 20 % inhibitory IF_curr_exp), 100 incoming synapses per neuron
(80 from the excitatory, 20 from the inhibitory population, FixedNumberPreConnector,
delay 1.5 ms) plus one Poisson source per neuron (one-to-one, one source population per
cell population), records all spikes, and calls
``sim.run(1000)`` with ``setup(mapping_only=True, machine=None)``: the smallest machine that
fits is chosen, everything is placed and routed, the report is written, nothing simulated.

Measured (wall clock, seconds): ``build`` (populations + projections), ``map`` (the whole
``run``), the report's stage times, and the peak resident memory; plus cores, chips, boards
and the largest router table.

    python benchmarks/bench_mapping.py                   # 10k, 100k
    python benchmarks/bench_mapping.py --sizes 1000000 --json bench_mapping.json
    python benchmarks/bench_mapping.py --sizes 1000000 --synapses 10   # less memory
    python benchmarks/bench_mapping.py --sizes 1000000 --connector probability

With FixedNumberPre at 1M neurons sPyNNaker 7.4.1's own row bound
(``get_probable_maximum_selected``: ``1 - 1e-5 / (n_pre * n_post)`` rounds to 1.0 in double
precision, so the bound becomes the whole 164 connections of a source) reserves 556 MB of
SDRAM for one core: the network is refused, as sPyNNaker would refuse it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SYNAPSES_PER_NEURON = 100


def _peak_rss_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _connector(sim, kind: str, n_in: int, n_pre: int, rng):
    """``n_in`` incoming synapses per neuron from ``n_pre`` sources: exactly
    (FixedNumberPre) or on average (FixedProbability, p = n_in / n_pre)."""
    if kind == "probability":
        return sim.FixedProbabilityConnector(n_in / n_pre, rng=rng)
    return sim.FixedNumberPreConnector(n_in, rng=rng)


def build_network(sim, n: int, k: int, kind: str, connector_rng: bool = True) -> None:
    """The benchmark network (module doc) on the PyNN backend ``sim``; sPyNNaker refuses
    an ``rng`` on the connectors (``connector_rng=False``: seeded populations instead)."""
    n_exc = int(0.8 * n)
    seeded = {} if connector_rng else {"additional_parameters": {"seed": 42}}
    exc = sim.Population(n_exc, sim.IF_curr_exp(), label="exc", **seeded)
    inh = sim.Population(n - n_exc, sim.IF_curr_exp(), label="inh", **seeded)
    rng = sim.NumpyRNG(seed=42) if connector_rng else None
    ce = int(0.8 * k)
    for i, post in enumerate((exc, inh)):
        noise = sim.Population(post.size, sim.SpikeSourcePoisson(rate=10.0),
                               label=f"noise_{post.label}", additional_parameters={"seed": i})
        sim.Projection(exc, post, _connector(sim, kind, ce, exc.size, rng),
                       sim.StaticSynapse(weight=0.1, delay=1.5), receptor_type="excitatory")
        sim.Projection(inh, post, _connector(sim, kind, k - ce, inh.size, rng),
                       sim.StaticSynapse(weight=-0.5, delay=1.5), receptor_type="inhibitory")
        sim.Projection(noise, post, sim.OneToOneConnector(),
                       sim.StaticSynapse(weight=0.2, delay=1.0))
        post.record("spikes")


def spynnaker_worker(n: int, k: int, out: str, kind: str) -> None:
    """The same network under sPyNNaker 7.4.1 in virtual-board mode (its venv's python,
    a private config written by :func:`run_spynnaker`): build and map times."""
    import pyNN.spiNNaker as sim

    t0 = time.perf_counter()
    sim.setup(timestep=1.0)
    build_network(sim, n, k, kind, connector_rng=False)
    t1 = time.perf_counter()
    sim.run(1000.0)
    t2 = time.perf_counter()
    sim.end()
    Path(out).write_text(json.dumps({"neurons": n, "connector": kind, "build_s": t1 - t0,
                                     "map_s": t2 - t1, "peak_rss_mib": _peak_rss_mib()}))


def run_spynnaker(python: str, n: int, k: int, kind: str) -> dict:
    """Run :func:`spynnaker_worker` with sPyNNaker's python on a virtual 48-chip board."""
    with tempfile.TemporaryDirectory(prefix="neuroemu-bench-spynnaker-") as home:
        Path(home, ".spynnaker.cfg").write_text(
            "[Machine]\nversion = 5\nvirtual_board = True\n[Reports]\n"
            f"default_report_file_path = {home}/reports\nwrite_network_graph = False\n")
        env = {key: v for key, v in os.environ.items() if key != "PYTHONPATH"}
        env["HOME"] = home
        result = Path(home, "result.json")
        subprocess.run([python, os.path.abspath(__file__), "--spynnaker-worker", str(n),
                        str(k), str(result), kind], cwd=home, env=env, check=True)
        return json.loads(result.read_text())


def worker(n: int, k: int, out: str, kind: str) -> None:
    import pyNN.neuroemu_spinnaker as sim

    from neuroemu.errors import MappingError

    t0 = time.perf_counter()
    sim.setup(timestep=1.0, mapping_only=True, report_dir=tempfile.mkdtemp())
    build_network(sim, n, k, kind)
    t1 = time.perf_counter()
    try:
        sim.run(1000.0)
    except MappingError as err:       # the machine (like sPyNNaker) refuses the network
        Path(out).write_text(json.dumps({
            "neurons": n, "synapses": _n_synapses(sim), "connector": kind,
            "build_s": t1 - t0, "map_s": time.perf_counter() - t1, "mapping_error": str(err),
            "peak_rss_mib": _peak_rss_mib()}))
        return
    t2 = time.perf_counter()
    rep = sim.simulator.state.toolchain.machine_stage.last_report
    result = {
        "neurons": n, "synapses": _n_synapses(sim), "connector": kind, "build_s": t1 - t0,
        "map_s": t2 - t1, "stages_s": rep["timings_s"], "cores": rep["totals"]["cores"],
        "chips": rep["totals"]["chips"], "boards": rep["machine"]["boards"],
        "machine": rep["machine"]["name"],
        "max_router_entries": max(c["router_entries"] for c in rep["chips"]),
        "max_router_entries_uncompressed": max(c["router_entries_uncompressed"]
                                               for c in rep["chips"]),
        "peak_rss_mib": _peak_rss_mib(),
    }
    sim.end()
    Path(out).write_text(json.dumps(result))


def _n_synapses(sim) -> int:
    return sum(len(p) for p in sim.simulator.state.projections)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--synapses", type=int, default=SYNAPSES_PER_NEURON,
                        help="recurrent synapses per neuron (default 100)")
    parser.add_argument("--connector", choices=("fixed_number_pre", "probability"),
                        default="fixed_number_pre",
                        help="FixedNumberPre (default) or FixedProbability with the same "
                             "mean in-degree")
    parser.add_argument("--spynnaker", metavar="PYTHON",
                        help="also map each network with sPyNNaker 7.4.1's virtual board, "
                             "using this python (of a venv with spynnaker==1!7.4.1)")
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()
    results = []
    for n in args.sizes:
        with tempfile.NamedTemporaryFile(suffix=".json") as tmp:
            subprocess.run([sys.executable, __file__, "--worker", str(n),
                            str(args.synapses), tmp.name, args.connector], check=True)
            res = json.loads(Path(tmp.name).read_text())
        results.append(res)
        if "mapping_error" in res:
            print(f"{n:>9} neurons x {args.synapses} synapses: build {res['build_s']:7.2f} s  "
                  f"refused after {res['map_s']:.2f} s: {res['mapping_error']}")
            continue
        print(f"{n:>9} neurons x {args.synapses} synapses: build {res['build_s']:7.2f} s  map {res['map_s']:7.2f} s  "
              f"{res['cores']} cores on {res['chips']} chips ({res['machine']})  router "
              f"entries max {res['max_router_entries']} "
              f"({res['max_router_entries_uncompressed']} uncompressed)  "
              f"peak {res['peak_rss_mib']:.0f} MiB")
        print("           stages: " + ", ".join(f"{k} {v:.2f}"
                                               for k, v in res["stages_s"].items()))
        if args.spynnaker:
            theirs = run_spynnaker(args.spynnaker, n, args.synapses, args.connector)
            res["spynnaker"] = theirs
            print(f"           sPyNNaker 7.4.1 virtual board: build {theirs['build_s']:.2f} s  "
                  f"map {theirs['map_s']:.2f} s  peak {theirs['peak_rss_mib']:.0f} MiB  "
                  f"(neuroemu/sPyNNaker map time {res['map_s'] / theirs['map_s']:.3f})")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] in ("--worker", "--spynnaker-worker"):
        run = worker if sys.argv[1] == "--worker" else spynnaker_worker
        run(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
    else:
        main()
