"""I-f curve: a population of IF_cond_exp neurons, each driven by a different constant
current (``i_offset``), no synaptic input. Guidebook chapter 7 example task.

    python run_I_f_curve.py neuroemu_spinnaker        # or nest, brian2, ...

Quality: the firing rates against the closed-form rate of a leaky integrate-and-fire
neuron with a constant current (``lif_theory.lif_rate``; for IF_cond_exp without synaptic
input the conductances stay zero, so it is that LIF). The measured rate of a cell is
(n - 1) / (last - first spike) with two or more spikes (the first interval starts from
the initial v, not from reset), else n / duration.
"""

from __future__ import annotations

import numpy as np
from lif_theory import lif_rate

from neuroemu.bench.measures import spike_times_ms
from neuroemu.bench.task import quick, start_task

CELL = {"cm": 1.0, "tau_m": 20.0, "v_rest": -65.0, "v_reset": -65.0, "v_thresh": -50.0,
        "tau_refrac": 2.0, "tau_syn_E": 5.0, "tau_syn_I": 5.0, "e_rev_E": 0.0,
        "e_rev_I": -70.0}
I_MAX = 2.0     # nA; rheobase is (v_thresh - v_rest) cm / tau_m = 0.75 nA
DT = 0.1        # ms
LIF_KEYS = ("cm", "tau_m", "v_rest", "v_reset", "v_thresh", "tau_refrac")


def measured_rate(times: np.ndarray, duration: float) -> float:
    if times.size >= 2:
        return 1000.0 * (times.size - 1) / (times[-1] - times[0])
    return 1000.0 * times.size / duration


def main() -> None:
    sim, args, run = start_task("IF_cond_exp", "I_f_curve")
    n_cells, duration = (20, 500.0) if quick() else (100, 1000.0)
    currents = np.linspace(0.0, I_MAX, n_cells)
    run.configuration.update(cell_type="IF_cond_exp", cell_parameters=CELL, dt=DT,
                             duration_ms=duration, n_cells=n_cells, i_offset_nA=[0.0, I_MAX])

    with run.timed("setup_time"):
        sim.setup(timestep=DT)
        cells = sim.Population(n_cells, sim.IF_cond_exp(**CELL, i_offset=currents),
                               initial_values={"v": CELL["v_rest"]})
        cells.record("spikes")
    with run.timed("run_time"):
        sim.run(duration)
    with run.timed("readback_time"):
        trains = cells.get_data().segments[0].spiketrains
    sim.end()

    rates = np.array([measured_rate(t, duration) for t in spike_times_ms(trains)])
    theory = lif_rate(currents, **{k: CELL[k] for k in LIF_KEYS})
    err = rates - theory
    run.quality("rate_rms_error", float(np.sqrt(np.mean(err**2))), "norm", "Hz")
    run.quality("rate_max_abs_error", float(np.max(np.abs(err))), "norm", "Hz")
    run.quality("max_rate", float(rates.max()), "rate", "Hz")
    run.add_run_performance(duration, synaptic_events=None)

    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(currents, theory, "k-", label="LIF closed form")
    ax.plot(currents, rates, "o", ms=3, label=args.simulator)
    ax.set_xlabel("i_offset (nA)")
    ax.set_ylabel("rate (Hz)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(run.figure_path("I_f"), dpi=100)
    print(f"wrote {run.write()}")


if __name__ == "__main__":
    main()
