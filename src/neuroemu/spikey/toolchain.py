"""The Spikey toolchain: validates the description, maps it onto the chip, runs the kernel,
reads back spikes, the monitored membrane, input-link losses and the STDP-changed weights.

A run covers the time window [t, t + simtime): input spikes in it are delivered (a spike at
t = 0 is dropped), output spikes are stamped in (t, t + simtime]. Weights live on the chip:
STDP changes persist into later runs (and across ``reset()``) until the connectivity is
re-sent, i.e. until populations or connections change.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from neuroemu.errors import NeuroemuWarning
from neuroemu.pynn.populations import spike_trains
from neuroemu.spikey import (
    cells,
    config_file,
    kernel,
    mapping,
    neuron,
    noise,
    program,
    readback,
    report,
    stdp,
    stp,
    topology,
    validation,
    weights,
)
from neuroemu.spikey.kernel import BINS_PER_MS, STEP_MS
from neuroemu.spikey.settings import SpikeySettings

MACHINE = cells.MACHINE
#: ADC: 96 MHz sampling at 10^4 speed-up -> 1/9.6 ms bio (spec §4.3)
MEMBRANE_STEP_MS = 1e4 / 96e6 * 1e3
SPIKE_BUFFER = 200_000


class SpikeyToolchain:
    """Per-``setup`` toolchain; see the module docstring."""

    def __init__(self, state) -> None:
        self.state = state
        self.settings = SpikeySettings()
        self.factors: dict[int, dict[str, np.ndarray]] = {}
        self.membrane: tuple | None = None          # (population, index)
        self._pins: dict[int, int] = {}             # output pin -> hardware neuron
        self.input_spikes = (0, 0)                  # (lost, sent) of the last run
        self.last_run: dict = {}                    # figures of the last run (report)
        self._mapping: mapping.ChipMapping | None = None
        self._chip: program.ChipState | None = None
        self._pattern: noise.FixedPattern | None = None
        self.recordings = readback.Recordings()
        self._run_index = 0
        self._poisson_rng = np.random.default_rng(np.random.SeedSequence([0, 2]))

    # -- configuration ------------------------------------------------------------------
    def configure(self, settings: SpikeySettings) -> None:
        self.settings = settings
        self._poisson_rng = np.random.default_rng(np.random.SeedSequence([settings.seed, 2]))

    @property
    def pattern(self) -> noise.FixedPattern:
        if self._pattern is None:
            s = self.settings
            self._pattern = noise.fixed_pattern(s.chip_seed, s.noise, s.calib_tau_mem,
                                                s.calib_syn_drivers)
        return self._pattern

    # -- notifications from the PyNN layer ----------------------------------------------
    def network_changed(self, what: str, label) -> None:
        self._mapping = None

    def parameters_changed(self, population) -> None:
        """Neuron constants are rebuilt at every run; nothing to invalidate."""

    def connections_changed(self, projection) -> None:
        self._mapping = None

    def recording_changed(self, population) -> None:
        """Recording is laid out at each run."""

    # -- validation (before anything runs) ----------------------------------------------
    def check_population(self, pop) -> None:
        validation.check_population(pop, self.state.populations)

    def check_projection(self, projection) -> None:
        validation.check_projection(projection, self.state.populations)

    # -- mapping ------------------------------------------------------------------------
    @property
    def mapping(self) -> mapping.ChipMapping:
        if self._mapping is None:
            rng = np.random.default_rng(np.random.SeedSequence([self.settings.seed, 1,
                                                                self._run_index]))
            self._mapping = mapping.build(self.state.populations, self.state.projections,
                                          self.settings.order, rng, self.factors)
        return self._mapping

    def report(self) -> dict:
        """Mapping report: chip usage of the current mapping and figures of the last run."""
        return dict(report.mapping_summary(self.mapping), last_run=dict(self.last_run))

    def hardware_neuron(self, population, index: int) -> int:
        """Hardware neuron of cell ``index`` of ``population`` (creation order + offset)."""
        n = 0
        for p in self.state.populations:
            if p is population:
                return int(self.settings.order[n + index])
            if isinstance(p.celltype, cells.IF_facets_hardware1):
                n += p.size
        raise KeyError(population.label)

    def monitor_membrane(self, population, index: int):
        """Connect a neuron's membrane to its output pin and the ADC; returns the replaced
        (pop, index) if another neuron was being recorded.

        Each of the 8 pins carries one membrane: a second neuron on a used pin raises
        (spec §4.3). The ADC records one membrane per run: the newest replaces the previous
        one with a warning (spec §1.6).
        """
        h_new = self.hardware_neuron(population, index)
        pin = topology.membrane_pin(h_new)
        holder = self._pins.get(pin)
        if holder is not None and holder != h_new:
            raise ValueError(f"You are trying to connect two membrane potentials to readout "
                             f"pin {pin} (hardware neurons {holder} and {h_new}); each pin "
                             "carries one neuron")
        self._pins[pin] = h_new
        previous = self.membrane
        if previous is not None and (previous[0] is not population or previous[1] != index):
            warnings.warn(f"Spikey records one membrane per run: hardware neuron {h_new} "
                          f"replaces {self.hardware_neuron(*previous)}", NeuroemuWarning,
                          stacklevel=5)
            self.recordings.clear_membrane()
        else:
            previous = None
        self.membrane = (population, index)
        return previous

    def connection_values(self, projection, name: str) -> np.ndarray:
        """What the chip holds: weights as 4-bit values read from the chip (µS)."""
        if name == "weight":
            m = self.mapping
            pl = m.placements[id(projection)]
            return weights.to_conductance(m.weights[pl.driver, pl.column], pl.receptor)
        if name == "delay":
            return np.full(len(projection), self.state.min_delay)
        return np.asarray(projection._values[name], dtype=float)

    def configured_weights(self, projection) -> np.ndarray:
        """Weights (µS) as discretised at mapping, before any on-chip change."""
        pl = self.mapping.placements[id(projection)]
        return weights.to_conductance(pl.digital, pl.receptor)

    def set_driver_factors(self, projection, name: str, values) -> None:
        arr = mapping.check_factor(name, values)
        if arr.size not in (1, len(projection)):
            raise ValueError(f"set{name.capitalize()}Factors: one factor per connection "
                             f"({len(projection)}) or a single value, got {arr.size}")
        self.factors.setdefault(id(projection), {})[name] = np.broadcast_to(
            arr, (len(projection),)).copy()

    def driver_factors(self, projection, name: str) -> np.ndarray:
        return self.factors.get(id(projection), {}).get(name, np.ones(len(projection)))

    # -- running ------------------------------------------------------------------------
    def _source_spikes(self, t0: float, t_end: float) -> dict[int, np.ndarray]:
        """Time bins of every source's spikes (Poisson drawn for this window)."""
        out = {}
        n = 0
        for pop in self.state.populations:
            if not isinstance(pop.celltype, cells.SOURCE_CELLS):
                continue
            p = pop._parameters
            trains = spike_trains(pop) if isinstance(pop.celltype, cells.SpikeSourceArray) \
                else None
            for i in range(pop.size):
                if trains is not None:
                    times = trains[i]
                else:
                    lo = max(float(p["start"][i]), t0)
                    hi = min(float(p["start"][i]) + float(p["duration"][i]), t_end)
                    count = self._poisson_rng.poisson(float(p["rate"][i]) * max(hi - lo, 0)
                                                      / 1000.0) if hi > lo else 0
                    times = np.sort(self._poisson_rng.uniform(lo, hi, count))
                out[n + i] = program.quantise(times)
            n += pop.size
        return out

    def run(self, n_ticks: int) -> None:
        simtime = n_ticks * self.state.dt
        t0 = self.state.t
        t_end = t0 + simtime
        if t_end > program.MAX_TIME_MS:
            raise ValueError(f"run until {t_end} ms: maximum runtime (due to 32-bit time "
                             f"stamps) is approx. 6600s ({program.MAX_TIME_MS:.1f} ms)")
        wall = time.perf_counter()
        m = self.mapping
        s = self.settings
        neu_f, neu_i, v0, i_leak = program.neuron_arrays(self.state.populations, m, s,
                                                         self.pattern)
        if self._chip is None:
            self._chip = program.ChipState(v=v0)
        chip = self._chip
        chip.allocate(neu_i[:, 0] == 1, v0)
        factors = mapping.driver_factors(m, self.state.projections, self.factors)
        drv_f, drv_i, group_tau = program.driver_arrays(m, factors, s, self.pattern,
                                                        stp.LAMBDA, stp.BETA)
        chip.regroup(group_tau)
        t0_bin = round(t0 * BINS_PER_MS)
        n_bins = round(t_end * BINS_PER_MS) - t0_bin
        n_steps = -(-n_bins // kernel.STEP_BINS)
        events = program.input_events(self._source_spikes(t0, t_end), m, t0_bin, n_bins)
        self.input_spikes = (events.lost, events.sent)
        if events.lost:
            warnings.warn(f"{events.lost} of {events.sent} input events exceeded the input "
                          "link capacity and were dropped", NeuroemuWarning, stacklevel=3)
        fb = program.feedback_table(m)
        plastic = program.STDPProgram.start(m, s.stdp.row_period_ms)
        cols = np.zeros((topology.N_DRIVERS, topology.NEURONS_PER_BLOCK), np.int64)
        ncols = np.zeros(topology.N_DRIVERS, np.int64)
        kernel.rebuild_rows(m.weights, cols, ncols)
        mon = -1
        if self.membrane is not None:
            mon = self.hardware_neuron(*self.membrane)
        k0 = int(np.ceil(t0 / MEMBRANE_STEP_MS - 1e-9))
        n_samples = max(int(np.ceil(t_end / MEMBRANE_STEP_MS - 1e-9)) - k0, 0) \
            if mon >= 0 else 0
        v_out = np.zeros(n_samples)
        sigma = noise.temporal_sigma(s.noise)
        out_step = np.zeros(SPIKE_BUFFER, np.int64)
        out_neuron = np.zeros(SPIKE_BUFFER, np.int64)
        steps, neurons = [], []
        step, ev, done_samples = 0, 0, 0
        base_seed = int(np.random.SeedSequence([s.seed, 3, self._run_index]).generate_state(1)[0])
        while step < n_steps:
            seed = (base_seed + step) % 2 ** 31
            step, n_out, ev, n_s = kernel.run_experiment(
                t0, step, n_steps, neu_f, neu_i, chip.v, chip.ref_left,
                self.e_rev_exc, neuron.C_M_NF, sigma, seed, drv_f, drv_i,
                chip.group_decay(), chip.psc_a, chip.psc_b, chip.stp_I, chip.stp_last,
                m.weights, cols, ncols,
                events.step, events.driver, ev, fb, plastic.row, plastic.drivers,
                plastic.causal, plastic.acausal, chip.last_pre, chip.last_post, stdp.TAU_MS,
                s.stdp.threshold, s.stdp.causal_lut, s.stdp.acausal_lut, plastic.local_rows,
                plastic.controller, plastic.period, out_step, out_neuron, mon, MEMBRANE_STEP_MS,
                k0 + done_samples, v_out[done_samples:])
            steps.append(out_step[:n_out].copy())
            neurons.append(out_neuron[:n_out].copy())
            done_samples += n_s
        self._run_index += 1
        self.last_run = {"input_events_sent": events.sent, "input_events_lost": events.lost,
                         "output_spikes": int(sum(x.size for x in steps)),
                         "duration_ms": simtime, "wall_clock_s": time.perf_counter() - wall}
        self.recordings.store_spikes(
            self.state.populations, m, t0 + (np.concatenate(steps) + 1) * STEP_MS,
            np.concatenate(neurons), events.applied, s.minimum_isi)
        if mon >= 0:
            self.recordings.store_membrane(v_out[:done_samples])
        if s.write_config:
            config_file.write_all(".", m, neu_f, neu_i, i_leak, factors, s, events, t0_bin,
                                  n_bins, self._spike_recording_neurons(m), mon,
                                  self.e_rev_exc)

    def _spike_recording_neurons(self, m) -> np.ndarray:
        out = []
        for pop in self.state.populations:
            if id(pop) in m.hw_neuron:
                idx = pop.recorder.recorded_indices("spikes")
                out.append(m.hw_neuron[id(pop)][idx])
        return np.concatenate(out) if out else np.zeros(0, np.int64)

    @property
    def e_rev_exc(self) -> float:
        return neuron.e_rev_exc_mv(self.settings.ratio_superthresh)

    def spikes(self, population, index: np.ndarray):
        """(neuron index, time ms) of the recorded spikes of the current segment."""
        return self.recordings.spikes(population, index)

    def signal(self, population, name: str, index: np.ndarray) -> np.ndarray:
        """Membrane samples (mV) of the monitored neuron; the only recordable signal."""
        if name != "v" or self.membrane is None:
            return np.zeros((0, index.size))
        return self.recordings.membrane_columns(population, index, *self.membrane)

    def membrane_output(self) -> tuple[np.ndarray, np.ndarray]:
        """(times ms, values mV) of the monitored membrane in the current segment."""
        data = self.recordings.membrane()
        return np.arange(data.size) * MEMBRANE_STEP_MS, data

    def clear_recordings(self, population) -> None:
        self.recordings.clear(population,
                              self.membrane is not None and self.membrane[0] is population)

    def reset(self) -> None:
        """Back to t = 0: analogue state re-initialised; chip weights stay (spec §1.1)."""
        self._chip = None
        self.recordings = readback.Recordings()
