"""Potjans-Diesmann cortical microcircuit (``microcircuit.py``), 1 s at dt 0.1 ms.

    python run_microcircuit.py neuroemu_spinnaker --scale 0.1

``--quick`` runs 200 ms of the given scale with a tenth of the in-degrees (``k_scale``
0.1, compensated by weights and DC as in the NEST/PyNN microcircuit examples, see
``microcircuit.py``): a tenth of the synapses, as many neurons. (Shrinking the neuron
numbers instead, with full in-degrees, gives up to ~37 multapses per neuron pair at
scale 0.01 and a bursting high-activity state on every simulator.) Quality: firing rate and mean CV of
ISI of each of the eight populations (the runner correlates the rates with the baseline
system's). Performance: import, setup (network construction), run, read-back time,
real-time factor, peak memory, synaptic events per second (recurrent events from the
recorded spikes and the mean out-degree, background events from the Poisson rates).
"""

from __future__ import annotations

import microcircuit as mc
import numpy as np

from neuroemu.bench.measures import spike_statistics, synaptic_events
from neuroemu.bench.task import quick, start_task

DT = 0.1  # ms
QUICK_K_SCALE = 0.1  # --quick: in-degree factor (the NEST example's default K_scaling)


def main() -> None:
    sim, args, run = start_task(
        "PotjansDiesmann2014", lambda a: f"scale{a.scale:g}" if a.scale != 1 else "scale1.0",
        ("--scale", "fraction of the full-scale neuron numbers (default 0.1)",
         {"type": float, "default": 0.1}),
        ("--k-scale", "fraction of the full-scale in-degrees, with weight and DC compensation",
         {"type": float, "default": 1.0}))
    scale = args.scale
    k_scale, duration = (args.k_scale * QUICK_K_SCALE, 200.0) if quick() else (
        args.k_scale, 1000.0)

    with run.timed("setup_time"):
        net = mc.build(sim, scale, DT, system=args.simulator, k_scale=k_scale)
    run.configuration.update(net.configuration(), scale=scale, dt=DT, duration_ms=duration)
    with run.timed("run_time"):
        sim.run(duration)
    with run.timed("readback_time"):
        trains = {name: pop.get_data("spikes").segments[0].spiketrains
                  for name, pop in net.populations.items()}

    stats = {name: spike_statistics(t, duration) for name, t in trains.items()}
    for name, s in stats.items():
        run.quality(f"rate_{name}", s["rate"], "rate", "Hz")
    for name, s in stats.items():
        if s["n_cv_cells"]:
            run.quality(f"cv_isi_{name}", s["cv"], "cv")
    keys = list(net.projections)
    recurrent = synaptic_events([stats[src]["n_spikes"] for src, _ in keys],
                                [net.projections[k].size() for k in keys],
                                [net.populations[src].size for src, _ in keys])
    background = float(np.sum(net.sizes * mc.K_EXT * net.k_scale * mc.BG_RATE)
                       * duration / 1000.0)
    run.add_run_performance(duration, recurrent + background)
    sim.end()

    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.bar(mc.POPULATIONS, [stats[n]["rate"] for n in mc.POPULATIONS])
    ax.set_ylabel("rate (Hz)")
    ax.set_title(f"{args.simulator}, scale {scale:g}, in-degrees x {k_scale:g}")
    fig.tight_layout()
    fig.savefig(run.figure_path("rates"), dpi=100)
    print(f"wrote {run.write()}")


if __name__ == "__main__":
    main()
