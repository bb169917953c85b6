"""Memory of the network description: building one projection, no mapping.

Each case runs in a fresh Python process which builds two populations of N cells and one
``FixedProbabilityConnector(p)`` projection between them (SpiNNaker backend, nothing
mapped or simulated) and reports:

* ``bytes_per_connection``: memory held by the projection's stored arrays (pre and post
  indices plus every synaptic parameter column) divided by the number of connections;
  a read-only broadcast view of a constant counts 0 bytes;
* ``peak_rss_mib``: the process's peak resident memory (``VmHWM``) after the build, and
  ``baseline_rss_mib``: the same just before the projection is built (imports, populations);
* ``build_s``: wall-clock time of the ``Projection`` call.

Cases: (a) constant weight and delay, (b) random weight and constant delay, (c) random
weight and random delay.

    python benchmarks/bench_projection_memory.py                 # N = 10000, p = 0.1
    python benchmarks/bench_projection_memory.py --n 2000 --p 0.5 --cases a
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

CASES = ("a", "b", "c")


def _vm_hwm_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("VmHWM not in /proc/self/status (Linux only)")


def stored_bytes(projection) -> int:
    """Bytes owned by the projection's index and parameter arrays (broadcast views: 0)."""
    arrays = [projection._pre_idx, projection._post_idx, *projection._values.values()]
    return sum(a.nbytes if all(s != 0 for s in a.strides) else 0 for a in arrays)


def worker(n: int, p: float, case: str) -> dict:
    import pyNN.neuroemu_spinnaker as sim
    from pyNN.random import NumpyRNG, RandomDistribution

    sim.setup(timestep=0.1, min_delay=0.1, mapping_only=True, machine=None)
    pre = sim.Population(n, sim.IF_curr_exp())
    post = sim.Population(n, sim.IF_curr_exp())
    rng = NumpyRNG(seed=1)
    weight = 0.1 if case == "a" else RandomDistribution("uniform", (0.05, 0.15), rng=rng)
    delay = RandomDistribution("uniform", (0.5, 2.0), rng=rng) if case == "c" else 1.0
    baseline = _vm_hwm_mib()
    t0 = time.perf_counter()
    proj = sim.Projection(pre, post, sim.FixedProbabilityConnector(p, rng=rng),
                          sim.StaticSynapse(weight=weight, delay=delay))
    build_s = time.perf_counter() - t0
    n_conn = len(proj)
    return {"case": case, "n": n, "p": p, "connections": n_conn,
            "bytes_per_connection": stored_bytes(proj) / max(1, n_conn),
            "baseline_rss_mib": baseline, "peak_rss_mib": _vm_hwm_mib(),
            "build_s": build_s}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--p", type=float, default=0.1)
    parser.add_argument("--cases", default="".join(CASES))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.n, args.p, args.cases)))
        return
    for case in args.cases:
        out = subprocess.run([sys.executable, __file__, "--worker", "--n", str(args.n),
                              "--p", str(args.p), "--cases", case],
                             check=True, capture_output=True, text=True).stdout
        print(out.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
