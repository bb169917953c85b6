"""Compare neuroemu's host-side mapping numbers with sPyNNaker 7.4.1's virtual mode.

    python benchmarks/oracle_spynnaker.py /path/to/spynnaker-venv/bin/python

For every case network below, both tools build the same PyNN script; neuroemu reports the
ring-buffer left shifts of each post population (``Mapping.layout(pop).shifts``) and the
``max_spikes_per_ts`` of each Poisson source (``mapping.poisson_max_spikes_per_tick``);
sPyNNaker (``virtual_board = True``, run in a child process with that venv's python and a
private HOME) reports ``pop._vertex.get_ring_buffer_shifts()`` and
``pop._vertex.max_spikes_per_ts()``. Prints one line per number and exits 1 on any
difference. The same file is the child script (``--child``), so it only imports neuroemu
in the parent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

POISSON_RATES = (0.5, 5.0, 10.0, 50.0, 100.0, 1000.0, 5000.0)


def _uniform(sim, low, high):
    # sPyNNaker 7.4.1 refuses rng= here (ConfigurationException: seed the Population instead)
    return sim.RandomDistribution("uniform", (low, high))


def case_one_to_one(sim):
    src = sim.Population(5, sim.SpikeSourceArray(spike_times=[0.0]), label="src")
    post = sim.Population(5, sim.IF_curr_exp(), label="post")
    sim.Projection(src, post, sim.OneToOneConnector(), sim.StaticSynapse(weight=2.0, delay=1))
    return {"post": post}, {}


def case_all_to_all(sim):
    src = sim.Population(10, sim.SpikeSourceArray(spike_times=[0.0]), label="src")
    a = sim.Population(20, sim.IF_curr_exp(), label="w2")
    b = sim.Population(20, sim.IF_curr_exp(), label="w07")
    sim.Projection(src, a, sim.AllToAllConnector(), sim.StaticSynapse(weight=2.0, delay=1))
    sim.Projection(src, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.7, delay=1))
    sim.Projection(src, b, sim.AllToAllConnector(), sim.StaticSynapse(weight=-0.3, delay=4),
                   receptor_type="inhibitory")
    return {"w2": a, "w07": b}, {}


def case_cond_exp(sim):
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[0.0]), label="src")
    post = sim.Population(4, sim.IF_cond_exp(), label="post")
    sim.Projection(src, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.01, delay=1))
    return {"post": post}, {}


def case_poisson_rates(sim):
    posts, sources = {}, {}
    for rate in POISSON_RATES:
        src = sim.Population(10, sim.SpikeSourcePoisson(rate=rate), label=f"poisson{rate:g}")
        post = sim.Population(20, sim.IF_curr_exp(), label=f"post{rate:g}")
        sim.Projection(src, post, sim.AllToAllConnector(),
                       sim.StaticSynapse(weight=0.5, delay=1.0))
        posts[post.label] = post
        sources[src.label] = src
    return posts, sources


def case_fixed_probability_constant_delay(sim):
    pre = sim.Population(100, sim.IF_curr_exp(), label="pre")
    post = sim.Population(100, sim.IF_curr_exp(), label="post")
    edge = sim.Population(100, sim.IF_curr_exp(), label="edge")
    sim.Projection(pre, post, sim.FixedProbabilityConnector(0.3),
                   sim.StaticSynapse(weight=1.0, delay=3.0))
    # max in-degree 57 (chance 1e-4) vs 53 (1e-2): 1.15 * 57 >= 64 > 1.15 * 53
    sim.Projection(pre, edge, sim.FixedProbabilityConnector(0.3),
                   sim.StaticSynapse(weight=1.15, delay=3.0))
    return {"post": post, "edge": edge}, {}


def case_fixed_probability_random_delays(sim):
    pre = sim.Population(100, sim.IF_curr_exp(), label="pre")
    exc = sim.Population(100, sim.IF_curr_exp(), label="exc")
    mixed = sim.Population(50, sim.IF_curr_exp(), label="mixed")
    sim.Projection(pre, exc, sim.FixedProbabilityConnector(0.1),
                   sim.StaticSynapse(weight=0.5, delay=_uniform(sim, 1.0, 12.0)))
    sim.Projection(pre, mixed, sim.FixedProbabilityConnector(0.2),
                   sim.StaticSynapse(weight=_uniform(sim, 0.1, 0.9),
                                     delay=_uniform(sim, 1.0, 20.0)))
    sim.Projection(pre, mixed, sim.FixedProbabilityConnector(0.05),
                   sim.StaticSynapse(weight=-0.3, delay=_uniform(sim, 1.0, 8.0)),
                   receptor_type="inhibitory")
    return {"exc": exc, "mixed": mixed}, {}


def case_poisson_random_delays(sim):
    src = sim.Population(200, sim.SpikeSourcePoisson(rate=20.0), label="noise")
    post = sim.Population(50, sim.IF_curr_exp(), label="post")
    dense = sim.Population(30, sim.IF_curr_exp(), label="dense",
                           additional_parameters={"spikes_per_second": 100.0,
                                                  "ring_buffer_sigma": 3.0})
    sim.Projection(src, post, sim.FixedProbabilityConnector(0.5),
                   sim.StaticSynapse(weight=0.2, delay=_uniform(sim, 1.0, 8.0)))
    sim.Projection(src, dense, sim.FixedProbabilityConnector(0.5),
                   sim.StaticSynapse(weight=0.2, delay=_uniform(sim, 1.0, 8.0)))
    return {"post": post, "dense": dense}, {"noise": src}


CASES = {name[5:]: fn for name, fn in sorted(globals().items()) if name.startswith("case_")}


def _measure(sim, shifts_of, max_spikes_of) -> dict:
    out = {}
    for name, build in CASES.items():
        sim.setup(timestep=1.0)
        posts, sources = build(sim)
        sim.run(1.0)
        for label, pop in posts.items():
            out[f"{name}/{label}/shifts"] = [int(x) for x in shifts_of(pop)]
        for label, pop in sources.items():
            out[f"{name}/{label}/max_spikes_per_ts"] = float(max_spikes_of(pop))
        sim.end()
    return out


def measure_spynnaker() -> dict:
    """In sPyNNaker's venv: the numbers its host code computes (virtual board)."""
    import pyNN.spiNNaker as sim
    return _measure(sim, lambda p: p._vertex.get_ring_buffer_shifts(),
                    lambda p: p._vertex.max_spikes_per_ts())


def measure_neuroemu() -> dict:
    """The same numbers from neuroemu's mapping."""
    import pyNN.neuroemu_spinnaker as sim

    from neuroemu.spinnaker import mapping

    def shifts(pop):
        return sim.simulator.state.toolchain.mapping.layout(pop).shifts

    def max_spikes(pop):
        rate = float(max(pop.get("rate", simplify=False)))
        return mapping.poisson_max_spikes_per_tick(rate, sim.get_time_step())
    return _measure(sim, shifts, max_spikes)


def run_spynnaker(python: str) -> dict:
    """Run the child under sPyNNaker's python with a private virtual-board config."""
    with tempfile.TemporaryDirectory(prefix="neuroemu-oracle-") as home:
        with open(os.path.join(home, ".spynnaker.cfg"), "w") as cfg:
            cfg.write("[Machine]\nversion = 5\nvirtual_board = True\n[Reports]\n"
                      f"default_report_file_path = {home}/reports\n"
                      "write_network_graph = False\n")
        env = dict(os.environ, HOME=home)
        env.pop("PYTHONPATH", None)
        done = subprocess.run([python, os.path.abspath(__file__), "--child"], cwd=home,
                              env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"sPyNNaker child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    line = [x for x in done.stdout.splitlines() if x.startswith("ORACLE ")][-1]
    return json.loads(line[len("ORACLE "):])


def compare(python: str) -> list[tuple[str, object, object]]:
    """[(quantity, neuroemu, sPyNNaker)] for every measured number."""
    ours = measure_neuroemu()
    theirs = run_spynnaker(python)
    return [(key, ours.get(key), theirs.get(key)) for key in sorted(set(ours) | set(theirs))]


def main(argv: list[str]) -> int:
    if argv[1:2] == ["--child"]:
        print("ORACLE " + json.dumps(measure_spynnaker()))
        return 0
    if len(argv) != 2:
        print(__doc__)
        return 2
    rows = compare(argv[1])
    bad = 0
    for key, ours, theirs in rows:
        same = ours == theirs
        bad += not same
        print(f"{'ok  ' if same else 'DIFF'} {key:55s} neuroemu={ours} sPyNNaker={theirs}")
    print(f"{len(rows) - bad}/{len(rows)} equal")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
