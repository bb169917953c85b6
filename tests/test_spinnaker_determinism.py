"""Determinism of the SpiNNaker backend.

Rules (spec /work/shared/spec/spinnaker.md §4.2, §1.4, kernel design): given the Poisson
seed (``additional_parameters={"seed": s}``) and the connector RNG seed, a run is
reproducible bit for bit
* whatever the number of worker threads (cores own their state; the serial steps run in a
  fixed order) -- checked in two fresh interpreters, the cores of a tick run one after the
  other (NUMBA_NUM_THREADS = 1, the kernel's serial loop for small networks) and in
  parallel threads (NUMBA_NUM_THREADS = 2, the loop used from ``PARALLEL_MIN_NEURONS``
  neurons, forced here by passing the kernel a threshold of 0);
* whether the time is covered by one run(100) or by run(50) twice (machine state, ring
  buffers and the Poisson RNG carry over between runs; §4.1 "keeps RNG use identical
  between one run and split runs");
* with one-to-one Poisson sources delivered directly to their target cores (no router,
  ``neuroemu.spinnaker.direct_delivery``) in all of the above;
* after reset(): the state returns to the initial values, ring buffers are flushed and the
  Poisson cores re-read their seeds (§1.4, §4.2), so the first run is reproduced.
The expected value of each comparison is the other run, not a number from the code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyNN.neuroemu_spinnaker as sim

import neuroemu

NETWORK = textwrap.dedent("""
    def build(sim):
        from pyNN.random import NumpyRNG
        sim.setup(timestep=1.0)
        noise = sim.Population(120, sim.SpikeSourcePoisson(rate=40.0), label="noise",
                               additional_parameters={"seed": 1, "neurons_per_core": 40})
        exc = sim.Population(60, sim.IF_curr_exp(tau_refrac=2.0), label="exc",
                             additional_parameters={"neurons_per_core": 20})
        inh = sim.Population(20, sim.IF_curr_exp(), label="inh")
        sim.Projection(noise, exc, sim.FixedProbabilityConnector(0.2, rng=NumpyRNG(seed=2)),
                       sim.StaticSynapse(weight=0.6, delay=1.0))
        # one-to-one Poisson drive: delivered directly (kernel, direct_delivery.py)
        drive = sim.Population(60, sim.SpikeSourcePoisson(rate=30.0), label="drive",
                               additional_parameters={"seed": 7, "neurons_per_core": 30})
        sim.Projection(drive, exc, sim.OneToOneConnector(),
                       sim.StaticSynapse(weight=0.3, delay=1.0))
        sim.Projection(noise, inh, sim.FixedProbabilityConnector(0.2, rng=NumpyRNG(seed=3)),
                       sim.StaticSynapse(weight=0.6, delay=2.0))
        sim.Projection(exc, exc, sim.FixedProbabilityConnector(0.1, rng=NumpyRNG(seed=4)),
                       sim.StaticSynapse(weight=0.4, delay=3.0))
        sim.Projection(exc, inh, sim.FixedProbabilityConnector(0.2, rng=NumpyRNG(seed=5)),
                       sim.StaticSynapse(weight=0.5, delay=1.0))
        sim.Projection(inh, exc, sim.FixedProbabilityConnector(0.3, rng=NumpyRNG(seed=6)),
                       sim.StaticSynapse(weight=-0.8, delay=1.0), receptor_type="inhibitory")
        exc.record(["spikes", "v"])
        inh.record("spikes")
        return exc, inh


    def trains(pop, segment=-1):
        seg = pop.get_data().segments[segment]
        return [[float(t) for t in st.magnitude] for st in seg.spiketrains]
""")

SCRIPT = NETWORK + textwrap.dedent("""
    import json
    import sys
    import numba
    import pyNN.neuroemu_spinnaker as sim
    from neuroemu.spinnaker import kernel
    if "parallel" in sys.argv[1:]:
        default_run_ticks = kernel.run_ticks
        kernel.run_ticks = lambda *args, **kw: default_run_ticks(*args, 0, **kw)
    exc, inh = build(sim)
    sim.run(200)
    v = exc.get_data().segments[-1].filter(name="v")[0].magnitude
    print(json.dumps({"threads": numba.config.NUMBA_NUM_THREADS,
                      "exc": trains(exc), "inh": trains(inh),
                      "v": [float(x) for x in (v * 32768).sum(axis=0)]}))
    sim.end()
""")

_ns: dict = {}
exec(NETWORK, _ns)  # noqa: S102 - the same builder in-process
build, trains = _ns["build"], _ns["trains"]


def _run_subprocess(threads: int, parallel: bool) -> dict:
    env = dict(os.environ)
    env["NUMBA_NUM_THREADS"] = str(threads)
    src = str(Path(neuroemu.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([src] + [p for p in [env.get("PYTHONPATH")] if p])
    args = [sys.executable, "-c", SCRIPT] + (["parallel"] if parallel else [])
    out = subprocess.run(args, env=env, capture_output=True,
                         text=True, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_same_result_serial_and_with_2_threads():
    one = _run_subprocess(1, parallel=False)
    two = _run_subprocess(2, parallel=True)
    assert one["threads"] == 1 and two["threads"] == 2
    n_spikes = sum(len(t) for t in one["exc"]) + sum(len(t) for t in one["inh"])
    assert n_spikes > 50  # the network is active, so the comparison means something
    assert one["exc"] == two["exc"]
    assert one["inh"] == two["inh"]
    assert one["v"] == two["v"]


def _in_process(chunks):
    exc, inh = build(sim)
    for c in chunks:
        sim.run(c)
    seg = exc.get_data().segments[-1]
    v = np.asarray(seg.filter(name="v")[0].magnitude)
    out = trains(exc), trains(inh), v
    sim.end()
    return out


def test_two_runs_equal_one_run():
    e1, i1, v1 = _in_process([100])
    e2, i2, v2 = _in_process([50, 50])
    assert sum(len(t) for t in e1) > 10
    assert e1 == e2
    assert i1 == i2
    assert v1.shape == v2.shape == (100, 60)
    assert np.array_equal(v1, v2)


def test_reset_reproduces_first_run():
    exc, inh = build(sim)
    sim.run(100)
    first_e, first_i = trains(exc, 0), trains(inh, 0)
    first_v = np.asarray(exc.get_data().segments[0].filter(name="v")[0].magnitude)
    sim.reset()
    assert sim.get_current_time() == 0.0
    sim.run(100)
    block = exc.get_data()
    assert len(block.segments) == 2
    again_v = np.asarray(block.segments[1].filter(name="v")[0].magnitude)
    again_e, again_i = trains(exc, 1), trains(inh, 1)
    sim.end()
    assert sum(len(t) for t in first_e) > 10
    assert again_e == first_e
    assert again_i == first_i
    assert np.array_equal(again_v, first_v)


def test_lanes_of_a_late_group_drawn_by_an_early_one(monkeypatch):
    """Poisson lane batches go to whichever thread is free (kernel._lane_pool): with two
    groups of cores but one worker thread, the first group draws its own batches and then
    the second group's, which finds none left; the result is the serial loop's."""
    import numba

    from neuroemu.spinnaker import kernel

    serial = _in_process([100])
    default_run_ticks = kernel.run_ticks
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    monkeypatch.setattr(kernel, "run_ticks",
                        lambda *args, **kw: default_run_ticks(*args, 0, n_threads=2))
    try:
        stolen = _in_process([100])
    finally:
        numba.set_num_threads(threads)
    assert sum(len(t) for t in serial[0]) > 10
    assert stolen[0] == serial[0]
    assert stolen[1] == serial[1]
    assert np.array_equal(stolen[2], serial[2])
