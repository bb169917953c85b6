"""Spike-train statistics of SpikeSourcePoisson: a population of sources, each with a
different rate, recorded for 20 s. Guidebook chapter 7 example task ("run20s").

    python run_spike_train_statistics.py neuroemu_spinnaker

Quality, against the definition of a Poisson process (independent of any simulator):

* ``rate_rms_relative_error``: rms over sources of (measured - requested) / requested rate,
  next to ``rate_rms_relative_error_poisson`` = sqrt(mean(1 / (rate T))), its expected
  value for a Poisson process.
* ``cv_isi_mean``: mean coefficient of variation of the inter-spike intervals (1 for
  Poisson), with its standard deviation over sources.
* ``isi_ks_pvalue``: Kolmogorov-Smirnov test of all intervals, each multiplied by its
  source's requested rate, against the unit exponential distribution.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from neuroemu.bench.measures import isi_cv, spike_times_ms
from neuroemu.bench.seeds import setup_seed_kwargs, source_seed_kwargs
from neuroemu.bench.task import quick, start_task

DT = 0.1  # ms
SEED = 4242


def main() -> None:
    sim, args, run = start_task("SpikeSourcePoisson", "run20s")
    n_sources, duration = (50, 5000.0) if quick() else (100, 20000.0)
    rates = np.linspace(10.0, 100.0, n_sources)
    run.configuration.update(n_sources=n_sources, rates_Hz=[rates[0], rates[-1]], dt=DT,
                             duration_ms=duration, seed=SEED)

    with run.timed("setup_time"):
        sim.setup(timestep=DT, **setup_seed_kwargs(args.simulator, SEED))
        sources = sim.Population(n_sources, sim.SpikeSourcePoisson(rate=rates),
                                 **source_seed_kwargs(args.simulator, SEED))
        sources.record("spikes")
    with run.timed("run_time"):
        sim.run(duration)
    with run.timed("readback_time"):
        trains = sources.get_data().segments[0].spiketrains
    sim.end()

    times = spike_times_ms(trains)
    measured = np.array([t.size for t in times]) / (duration / 1000.0)
    rel = (measured - rates) / rates
    run.quality("rate_rms_relative_error", float(np.sqrt(np.mean(rel**2))), "norm")
    run.quality("rate_rms_relative_error_poisson",
                float(np.sqrt(np.mean(1.0 / (rates * duration / 1000.0)))), "norm")
    run.quality("rate_mean", float(measured.mean()), "rate", "Hz")
    cvs = np.array([isi_cv(t) for t in times])
    run.quality("cv_isi_mean", float(np.nanmean(cvs)), "cv",
                std_dev=float(np.nanstd(cvs)), min=float(np.nanmin(cvs)),
                max=float(np.nanmax(cvs)))
    scaled = np.concatenate([np.diff(t) * r / 1000.0 for t, r in zip(times, rates)])
    run.quality("isi_ks_pvalue", float(stats.kstest(scaled, "expon").pvalue), "p-value")
    run.add_run_performance(duration, synaptic_events=None)

    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(8, 3.5))
    ax[0].plot(rates, measured, "o", ms=3)
    ax[0].plot(rates, rates, "k-")
    ax[0].set_xlabel("requested rate (Hz)")
    ax[0].set_ylabel("measured rate (Hz)")
    ax[1].hist(cvs, bins=20)
    ax[1].set_xlabel("CV of ISI")
    fig.suptitle(args.simulator)
    fig.tight_layout()
    fig.savefig(run.figure_path("statistics"), dpi=100)
    print(f"wrote {run.write()}")


if __name__ == "__main__":
    main()
