"""Brunel (2000) sparse balanced network of integrate-and-fire neurons, model A.

    python run_brunel.py neuroemu_spinnaker

10,000 neurons (80 % excitatory), fixed in-degree C_E = 0.1 N_E and C_I = 0.1 N_I,
(``--quick``: 2000 neurons, 200 ms, the same in-degrees 800 and 200 so the balance holds)
J = 0.1 mV, relative inhibition g = 5, external drive eta = nu_ext / nu_thr = 2
(asynchronous irregular state, Brunel 2000 Fig. 8C), delay D = 1.5 ms, tau_m = 20 ms,
threshold 20 mV and reset 10 mV above rest, refractory 2 ms; 1 s at dt 0.1 ms. The C_E
external Poisson inputs of a neuron, each at nu_ext, are one SpikeSourcePoisson of rate
C_E nu_ext = eta theta / (J tau_m) per neuron, connected one-to-one with weight J.

Synapses are delta (``IF_curr_delta``, a jump of J in v) where the backend has that cell
type. Otherwise ``IF_curr_exp`` with tau_syn = 0.5 ms, the current weight chosen so that
the closed-form PSP peak of the current-based LIF equals J; ``configuration["synapse"]``
says which ran.

Quality: rate and CV of ISI of each population. Performance: as every task, with the
recurrent synaptic events counted from the recorded spikes and the external ones from the
Poisson rates.
"""

from __future__ import annotations

import math

from lif_theory import exp_psp_peak_per_nA
from pyNN.random import NumpyRNG, RandomDistribution

from neuroemu.bench.measures import spike_statistics, synaptic_events
from neuroemu.bench.seeds import setup_seed_kwargs, source_seed_kwargs
from neuroemu.bench.task import quick, start_task

DT = 0.1            # ms
SEED = 20000
J = 0.1             # mV, excitatory PSP
G = 5.0             # inhibitory / excitatory weight
ETA = 2.0           # external rate relative to the threshold rate
DELAY = 1.5         # ms
C_EXC, C_INH = 800, 200   # in-degrees, 10 % of 8000 and 2000 (kept by --quick)
TAU_SYN_EXP = 0.5   # ms, only for the IF_curr_exp stand-in
CELL = {"cm": 0.25, "tau_m": 20.0, "v_rest": -70.0, "v_thresh": -50.0, "v_reset": -60.0,
        "tau_refrac": 2.0}


def cell_type(sim):
    """``(celltype, weight of J, synapse description)``: delta synapses if available."""
    try:
        celltype = sim.IF_curr_delta(**CELL)
        if getattr(celltype, "charge_delta_weights", False):
            # sPyNNaker's IF_curr_delta: a weight w (nA·ms) is a current w/dt for one tick,
            # a jump of (w/dt)·(tau_m/cm)·(1 − e^(−dt/tau_m)) mV
            tau, cm = CELL["tau_m"], CELL["cm"]
            weight = J / ((tau / cm / DT) * (1 - math.exp(-DT / tau)))
            return celltype, weight, (f"delta (IF_curr_delta, SpiNNaker: weight {weight:.6g} "
                                      f"nA·ms = jump {J} mV)")
        return celltype, J, "delta (IF_curr_delta)"
    except NotImplementedError:
        weight = J / exp_psp_peak_per_nA(CELL["cm"], CELL["tau_m"], TAU_SYN_EXP)
        celltype = sim.IF_curr_exp(**CELL, tau_syn_E=TAU_SYN_EXP, tau_syn_I=TAU_SYN_EXP)
        return celltype, weight, (f"IF_curr_exp, tau_syn {TAU_SYN_EXP} ms, weight "
                                  f"{weight:.6g} nA = PSP peak {J} mV")


def main() -> None:
    sim, args, run = start_task("Brunel2000", "AI")
    n_total, duration = (2000, 200.0) if quick() else (10000, 1000.0)
    n_exc = n_total * 4 // 5
    n_inh = n_total - n_exc
    c_exc, c_inh = C_EXC, C_INH
    ext_rate = ETA * (CELL["v_thresh"] - CELL["v_rest"]) / (J * CELL["tau_m"]) * 1000.0  # Hz

    with run.timed("setup_time"):
        sim.setup(timestep=DT, min_delay=DT, max_delay=DELAY,
                  **setup_seed_kwargs(args.simulator, SEED))
        celltype, w, synapse = cell_type(sim)
        exc = sim.Population(n_exc, celltype, label="E")
        inh = sim.Population(n_inh, celltype, label="I")
        ext = sim.Population(n_total, sim.SpikeSourcePoisson(rate=ext_rate), label="ext",
                             **source_seed_kwargs(args.simulator, SEED + 1))
        rng = NumpyRNG(seed=SEED, parallel_safe=True)
        v_init = RandomDistribution("uniform", low=CELL["v_rest"], high=CELL["v_thresh"],
                                    rng=rng)
        exc.initialize(v=v_init)
        inh.initialize(v=v_init)
        syn = {"exc": sim.StaticSynapse(weight=w, delay=DELAY),
               "inh": sim.StaticSynapse(weight=-G * w, delay=DELAY)}
        pops = {"exc": exc, "inh": inh}
        indegree = {"exc": c_exc, "inh": c_inh}
        prj = {}
        for pre, receptor in (("exc", "excitatory"), ("inh", "inhibitory")):
            for post in ("exc", "inh"):
                prj[pre, post] = sim.Projection(
                    pops[pre], pops[post], sim.FixedNumberPreConnector(indegree[pre], rng=rng),
                    syn[pre], receptor_type=receptor)
        ext_syn = sim.StaticSynapse(weight=w, delay=DT)
        prj["ext", "exc"] = sim.Projection(ext[:n_exc], exc, sim.OneToOneConnector(), ext_syn,
                                           receptor_type="excitatory")
        prj["ext", "inh"] = sim.Projection(ext[n_exc:], inh, sim.OneToOneConnector(), ext_syn,
                                           receptor_type="excitatory")
        exc.record("spikes")
        inh.record("spikes")
    run.configuration.update(n_exc=n_exc, n_inh=n_inh, c_exc=c_exc, c_inh=c_inh, J_mV=J,
                             g=G, eta=ETA, delay_ms=DELAY, ext_rate_Hz=ext_rate, dt=DT,
                             duration_ms=duration, cell_parameters=CELL, synapse=synapse,
                             weight=w)
    with run.timed("run_time"):
        sim.run(duration)
    with run.timed("readback_time"):
        trains = {"exc": exc.get_data("spikes").segments[0].spiketrains,
                  "inh": inh.get_data("spikes").segments[0].spiketrains}

    stats = {k: spike_statistics(v, duration) for k, v in trains.items()}
    for pop, s in stats.items():
        run.quality(f"rate_{pop}", s["rate"], "rate", "Hz")
        if s["n_cv_cells"]:
            run.quality(f"cv_isi_{pop}", s["cv"], "cv")
    spikes = {"exc": stats["exc"]["n_spikes"], "inh": stats["inh"]["n_spikes"]}
    sizes = {"exc": n_exc, "inh": n_inh}
    ext_spikes_per_source = ext_rate * duration / 1000.0
    keys = list(prj)
    run.add_run_performance(duration, synaptic_events(
        [spikes[pre] if pre != "ext" else ext_spikes_per_source * sizes[post]
         for pre, post in keys],
        [prj[k].size() for k in keys],
        [sizes[pre] if pre != "ext" else sizes[post] for pre, post in keys]))
    sim.end()
    print(f"wrote {run.write()}")


if __name__ == "__main__":
    main()
