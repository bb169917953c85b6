"""Vogels-Abbott balanced network (Brette et al. 2007), CUBA or COBA, 4000 cells, 1 s at
dt 0.1 ms (``va_network.py``: PyNN's VAbenchmarks.py parameters and random-number use).

    python run_va.py neuroemu_spinnaker CUBA

Quality: mean rate and mean CV of ISI of the excitatory and inhibitory cells. Performance:
import, setup (network construction), run, read-back time, real-time factor, peak memory,
synaptic events per second of run time.
"""

from __future__ import annotations

from va_network import build_va

from neuroemu.bench.measures import spike_statistics, synaptic_events
from neuroemu.bench.seeds import setup_seed_kwargs, source_seed_kwargs
from neuroemu.bench.task import quick, start_task

DT = 0.1  # ms
SEED = 4000  # of the backend's Poisson stimulus (COBA)


def main() -> None:
    sim, args, run = start_task(
        "VogelsAbbott", lambda a: a.benchmark,
        ("benchmark", "CUBA or COBA", {"choices": ["CUBA", "COBA"]}))
    n_cells, duration = (4000, 200.0) if quick() else (4000, 1000.0)

    with run.timed("setup_time"):
        net = build_va(sim, args.benchmark, n_cells=n_cells, dt=DT,
                       setup_kwargs=setup_seed_kwargs(args.simulator, SEED),
                       source_kwargs=source_seed_kwargs(args.simulator, SEED))
    run.configuration.update(n_cells=n_cells, duration_ms=duration, dt=DT, delay_ms=net.delay,
                             cell_type="IF_cond_exp" if args.benchmark == "COBA"
                             else "IF_curr_exp", parameters=net.params)
    with run.timed("run_time"):
        sim.run(duration)
    with run.timed("readback_time"):
        trains = {"exc": net.exc.get_data("spikes").segments[0].spiketrains,
                  "inh": net.inh.get_data("spikes").segments[0].spiketrains}

    stats = {k: spike_statistics(v, duration) for k, v in trains.items()}
    for pop, s in stats.items():
        run.quality(f"rate_{pop}", s["rate"], "rate", "Hz")
        if s["n_cv_cells"]:
            run.quality(f"cv_isi_{pop}", s["cv"], "cv")
    p = net.params
    spikes = {"e2e": stats["exc"]["n_spikes"], "e2i": stats["exc"]["n_spikes"],
              "i2e": stats["inh"]["n_spikes"], "i2i": stats["inh"]["n_spikes"]}
    sizes = {"e2e": p["n_exc"], "e2i": p["n_exc"], "i2e": p["n_inh"], "i2i": p["n_inh"]}
    if net.ext is not None:  # Poisson stimulus, not recorded: its expected spike count
        expected = p["n_stim"] * p["stim_rate"] * min(p["stim_dur"], duration) / 1000.0
        spikes.update(ext2e=expected, ext2i=expected)
        sizes.update(ext2e=p["n_stim"], ext2i=p["n_stim"])
    conns = {k: prj.size() for k, prj in net.projections.items()}
    run.configuration["n_connections"] = conns
    names = list(conns)
    run.add_run_performance(duration, synaptic_events(
        [spikes[k] for k in names], [conns[k] for k in names], [sizes[k] for k in names]))
    sim.end()
    print(f"wrote {run.write()}")


if __name__ == "__main__":
    main()
