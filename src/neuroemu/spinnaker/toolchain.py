"""The SpiNNaker toolchain: validates the description, maps it, runs the machine, reads back.

It owns everything between the PyNN layer and the kernel: the mapping (rebuilt when the
network changes), the machine program and its state (kept across ``run`` calls, rebuilt by
``reset``), and the recorded data of the current segment.
"""

from __future__ import annotations

import time
import warnings

import numba
import numpy as np

from neuroemu.engine.spike_bits import spike_events
from neuroemu.errors import InvalidParameterError, NeuroemuWarning, UnsupportedFeatureError
from neuroemu.pynn.populations import spike_trains
from neuroemu.spinnaker import cells, kernel
from neuroemu.spinnaker.machine_stage import MachineStage
from neuroemu.spinnaker.neuron_constants import CONSTANT_MODES
from neuroemu.spinnaker.program import MachineProgram, Mapping, _rec_layout

MACHINE = cells.MACHINE

#: sPyNNaker Population(additional_parameters=...) keys (spec §8)
ADDITIONAL_PARAMETERS = {
    "seed", "spikes_per_second", "ring_buffer_sigma", "max_expected_summed_weight",
    "incoming_spike_buffer_size", "drop_late_spikes", "splitter", "n_colour_bits",
    "neurons_per_core", "n_synapse_cores", "allow_delay_extensions", "max_rate",
}

#: recorded state variables, in the row order of the kernel's rec_interval (REC_V, ...)
_SIGNALS = ("v", "gsyn_exc", "gsyn_inh")

_POSITIVE = ("cm", "tau_m", "tau_syn_E", "tau_syn_E2", "tau_syn_I")


class SpiNNakerToolchain:
    """Per-``setup`` toolchain; see the module docstring."""

    #: large random projections are expanded from seeds, as sPyNNaker's synapse expander
    #: does on the machine (:mod:`neuroemu.pynn.generated_connections`)
    generates_connections = True

    def __init__(self, state) -> None:
        self.state = state
        self.constants = "7.4.1"
        self.neurons_per_core: dict = {}
        self.allow_delay_extensions: dict = {}
        self._mapping: Mapping | None = None
        self._program: MachineProgram | None = None
        self._params_dirty = False
        self._data: dict[int, dict] = {}
        self.current_sources: list = []
        self.provenance = {"ring_buffer_saturations": 0, "spikes_sent": 0,
                           "delay_counter_saturations": 0}
        self.machine_stage = MachineStage()

    # -- configuration ------------------------------------------------------------------
    def configure(self, constants: str = "7.4.1", **machine_settings) -> None:
        """``constants`` mode and the machine keywords of :class:`MachineStage`."""
        if constants not in CONSTANT_MODES:
            raise ValueError(f"setup(constants={constants!r}): allowed values are "
                             f"{', '.join(CONSTANT_MODES)}")
        self.constants = constants
        self.machine_stage.configure(**machine_settings)

    # -- notifications from the PyNN layer ------------------------------------------------
    def network_changed(self, what: str, label) -> None:
        if self.state.t > 0:
            raise UnsupportedFeatureError(
                f"adding a {what} ('{label}') after run() without reset()", MACHINE,
                "call sim.reset() first, as on the real machine")
        self._mapping = None
        self._program = None

    def parameters_changed(self, population) -> None:
        """Spike sources may change between runs (guidebook 6.2.1); neurons may not."""
        if self.state.t > 0 and not isinstance(population.celltype, cells.SOURCE_CELLS):
            raise UnsupportedFeatureError(
                f"changing neuron parameters of Population '{population.label}' between runs "
                "without reset()", MACHINE, "call sim.reset() first, as on the real machine")
        self._params_dirty = True
        if self.state.t == 0:
            self._program = None

    def register_current_source(self, source) -> None:
        self.current_sources.append(source)

    def current_sources_changed(self, source) -> None:
        if self.state.t > 0:
            raise UnsupportedFeatureError(
                f"changing or injecting a {type(source).__name__} between runs without "
                "reset()", MACHINE, "call sim.reset() first, as on the real machine")
        self._program = None

    def connections_changed(self, projection) -> None:
        if self.state.t > 0:
            raise UnsupportedFeatureError(
                f"changing synapses of Projection '{projection.label}' between runs without "
                "reset()", MACHINE, "call sim.reset() first")
        self._mapping = None
        self._program = None

    def recording_changed(self, population) -> None:
        """Recording buffers are laid out at each run; nothing to rebuild."""

    # -- validation (before anything runs) ------------------------------------------------
    def check_population(self, pop) -> None:
        if not isinstance(pop.celltype, cells.SUPPORTED_CELLS):
            raise UnsupportedFeatureError(f"cell type {type(pop.celltype).__name__}", MACHINE)
        unknown = set(pop.additional_parameters) - ADDITIONAL_PARAMETERS
        if unknown:
            raise ValueError(f"Population '{pop.label}': unknown additional_parameters "
                             f"{sorted(unknown)}; allowed: {sorted(ADDITIONAL_PARAMETERS)}")
        npc = pop.additional_parameters.get("neurons_per_core")
        if npc is not None and int(npc) < 1:
            raise InvalidParameterError(pop.label, "neurons_per_core", npc, ">= 1")
        p = pop._parameters
        for name in _POSITIVE:
            if name in p:
                bad = np.asarray(p[name], dtype=float) <= 0
                if bad.any():
                    raise InvalidParameterError(pop.label, name,
                                                float(np.asarray(p[name])[bad][0]), "> 0")
        if "tau_refrac" in p and (np.asarray(p["tau_refrac"]) < 0).any():
            raise InvalidParameterError(pop.label, "tau_refrac",
                                        float(np.min(p["tau_refrac"])), ">= 0")
        for name in ("rate", "start", "duration"):
            if name in p:
                arr = np.asarray(p[name], dtype=float)
                if (arr < 0).any() or np.isnan(arr).any():
                    raise InvalidParameterError(pop.label, name, float(arr[~(arr >= 0)][0]),
                                                ">= 0")
        if "spike_times" in p:
            for i, times in enumerate(spike_trains(pop)):
                if times.size and (times.min() < 0 or np.any(np.diff(times) < 0)):
                    raise InvalidParameterError(
                        pop.label, f"spike_times[{i}]", times.tolist()[:10],
                        "non-negative times in ascending order")

    def check_projection(self, projection) -> None:
        if not isinstance(projection.synapse_type, (cells.StaticSynapse, cells.STDPMechanism)):
            raise UnsupportedFeatureError(
                f"synapse type {type(projection.synapse_type).__name__}", MACHINE,
                "StaticSynapse and STDPMechanism are emulated")
        if not isinstance(projection.post.celltype, cells.NEURON_CELLS):
            raise UnsupportedFeatureError(
                f"projection onto {type(projection.post.celltype).__name__}", MACHINE)
        if projection.receptor_type not in projection.post.celltype.receptor_types:
            raise UnsupportedFeatureError(
                f"receptor type {projection.receptor_type!r} on "
                f"{type(projection.post.celltype).__name__}", MACHINE,
                f"allowed: {list(projection.post.celltype.receptor_types)}")

    # -- mapping ------------------------------------------------------------------------
    @property
    def mapping(self) -> Mapping:
        if self._mapping is None:
            self._mapping = Mapping(self.state.populations, self.state.projections,
                                    self.state.dt, self.neurons_per_core,
                                    self.allow_delay_extensions)
        return self._mapping

    def connection_values(self, projection, name: str) -> np.ndarray:
        """What the machine holds for ``name`` of every connection (quantised, rounded)."""
        m = self.mapping
        pl = m.projections[id(projection)]
        if name == "weight":
            prog = self._program
            if prog is not None and id(projection) in prog.word_of_connection:
                return prog.plastic_weights(pl)
            return m.machine_weights(pl)
        if name == "delay":
            return pl.delays() * self.state.dt
        return np.asarray(projection._values[name], dtype=float)

    def simulation_time(self) -> float | None:
        """Wall-clock seconds the last ``run()`` spent in the machine loop (its
        ``simulation`` stage, without mapping), None before a simulated run."""
        report = self.machine_stage.last_report
        if report is None:
            return None
        return report["timings_s"].get("simulation")

    def synapse_storage(self) -> float | None:
        """Bytes per synapse of the synaptic rows (words, row table, key pointers) of the
        last machine program; None before the first run or without synapses."""
        prog = self._program
        if prog is None or prog.n_synapses == 0:
            return None
        return prog.synapse_bytes / prog.n_synapses

    # -- running ------------------------------------------------------------------------
    def run(self, n_ticks: int) -> None:
        t_now = self.state.ticks
        t0 = time.perf_counter()
        host_mapping = self.mapping
        timings = {"partition, weights, delays": time.perf_counter() - t0}
        t0 = time.perf_counter()
        if self._program is None:
            self._program = MachineProgram(host_mapping, self.state.projections,
                                           self.constants, t_now, self.current_sources)
            self._params_dirty = False
        elif self._params_dirty:
            self._program.update_neuron_parameters()
            self._program.update_spike_arrays(t_now)
            self._params_dirty = False
        timings["machine program (rows, parameters)"] = time.perf_counter() - t0
        stage = self.machine_stage
        mm = stage.prepare(self._program, self.state.populations, self.state.projections,
                           self.state.dt, n_ticks)
        if n_ticks == 0 or stage.mapping_only:
            stage.write(mm, self.state.dt, n_ticks, self.provenance, timings, 0)
            return
        sent_before, counts_before = stage.counters(mm)
        t0 = time.perf_counter()
        prog = self._program
        m = prog.mapping
        pops = self.state.populations
        spike_col, n_spk = _rec_layout(m, pops, "spikes")
        signal_cols = {name: _rec_layout(m, pops, name) for name in _SIGNALS}
        interval, row0, n_rows = self._sampling(m, t_now, n_ticks)
        rec_spikes = np.zeros((n_ticks, (n_spk + 31) // 32), dtype=np.uint32)
        rec_v, rec_ge, rec_gi = (
            np.zeros((max(1, int(n_rows[k].max(initial=0))), signal_cols[name][1]),
                     dtype=np.int32) for k, name in enumerate(_SIGNALS))
        v_col, ge_col, gi_col = (signal_cols[name][0] for name in _SIGNALS)
        saturated_before = int(prog.prov[:, kernel.PROV_SATURATED].sum())
        lost_before = int(prog.prov[:, kernel.PROV_DELAY_LOST].sum())
        kernel.run_ticks(
            t_now, n_ticks, prog.cores, prog.state, prog.params, prog.words, prog.ring,
            prog.route_ptr, prog.word_ptr, prog.route_core, prog.route_len, prog.route_prow,
            *prog.inboxes(), prog.pend_key,
            prog.pend_cnt, prog.pend_time, prog.pend_n, prog.out_key, prog.out_cnt,
            prog.out_n, prog.prov, prog.arr_ptr, prog.arr_tick, prog.arr_atom, prog.arr_cnt,
            prog.hist, prog.poisson, prog.poisson_counts, prog.current_sources, prog.stdp,
            spike_col, rec_spikes, v_col, ge_col, gi_col, interval, row0, rec_v, rec_ge, rec_gi,
            mm.net, n_threads=numba.get_num_threads())
        timings["simulation"] = time.perf_counter() - t0
        router_packets = stage.count(mm, sent_before, counts_before)
        saturated = int(prog.prov[:, kernel.PROV_SATURATED].sum()) - saturated_before
        self.provenance["ring_buffer_saturations"] += saturated
        self.provenance["spikes_sent"] = int(prog.prov[:, kernel.PROV_SPIKES].sum())
        if saturated:
            warnings.warn(f"{saturated} ring-buffer additions saturated at 65535 during this "
                          "run (the machine clips them too)", NeuroemuWarning, stacklevel=3)
        lost = int(prog.prov[:, kernel.PROV_DELAY_LOST].sum()) - lost_before
        self.provenance["delay_counter_saturations"] += lost
        if lost:
            warnings.warn(f"{lost} spikes were lost in delay-extension cores during this run: "
                          f"more than {kernel.DELAY_COUNTER_MAX} spikes of one source in one "
                          "tick (the machine's counter is one byte)", NeuroemuWarning,
                          stacklevel=3)
        self._store(t_now, spike_col, rec_spikes, {
            "v": (v_col, rec_v), "gsyn_exc": (ge_col, rec_ge), "gsyn_inh": (gi_col, rec_gi)},
            n_rows)
        stage.write(mm, self.state.dt, n_ticks, self.provenance, timings, router_packets)

    def _sampling(self, m: Mapping, t_now: int, n_ticks: int):
        """Per recorded signal (rows of ``_SIGNALS``) and atom: sampling interval in ticks,
        index of the first sample (tick t is sampled when t % interval == 0) and number of
        samples in ticks [t_now, t_now + n_ticks)."""
        interval = np.ones((len(_SIGNALS), m.n_atoms), dtype=np.int64)
        row0 = np.zeros_like(interval)
        n_rows = np.zeros_like(interval)
        for pop in self.state.populations:
            lay = m.layout(pop)
            sl = slice(lay.offset, lay.offset + pop.size)
            for k, name in enumerate(_SIGNALS):
                every = round(pop.recorder.sampling_interval_of(name) / self.state.dt)
                first = -(-t_now // every)
                interval[k, sl] = every
                row0[k, sl] = first
                n_rows[k, sl] = -(-(t_now + n_ticks) // every) - first
        return interval, row0, n_rows

    def _store(self, t_now, spike_col, rec_spikes, signals, n_rows) -> None:
        m = self._program.mapping
        tick, col = spike_events(rec_spikes)
        for pop in self.state.populations:
            lay = m.layout(pop)
            data = self._data.setdefault(id(pop), {"spikes": [], "signals": {}})
            atoms = np.arange(lay.offset, lay.offset + pop.size)
            cols = spike_col[atoms]
            if (cols >= 0).any():
                col_to_index = np.full(max(1, int(cols.max()) + 1), -1, dtype=np.int64)
                col_to_index[cols[cols >= 0]] = np.flatnonzero(cols >= 0)
                sel = (col >= int(cols[cols >= 0].min())) & (col <= int(cols.max()))
                idx = col_to_index[col[sel]]
                keep = idx >= 0
                data["spikes"].append((idx[keep], (tick[sel][keep] + t_now) * self.state.dt))
            for k, (name, (col_map, buf)) in enumerate(signals.items()):
                cols = col_map[atoms]
                present = np.flatnonzero(cols >= 0)
                if present.size:
                    block = buf[:n_rows[k, lay.offset], cols[present]] / 32768.0
                    data["signals"].setdefault(name, []).append((present, block))

    def spikes(self, population, index: np.ndarray):
        """(neuron index, time ms) of the recorded spikes of the current segment."""
        parts = self._data.get(id(population), {}).get("spikes", [])
        if not parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        neuron = np.concatenate([p[0] for p in parts])
        times = np.concatenate([p[1] for p in parts])
        keep = np.isin(neuron, index)
        order = np.lexsort((times[keep], neuron[keep]))
        return neuron[keep][order], times[keep][order]

    def signal(self, population, name: str, index: np.ndarray) -> np.ndarray:
        """Samples x cells of a recorded state variable for the current segment."""
        parts = self._data.get(id(population), {}).get("signals", {}).get(name, [])
        if not parts:
            return np.zeros((0, index.size))
        out = []
        for present, block in parts:
            part = np.full((block.shape[0], index.size), np.nan)
            pos = np.searchsorted(present, index)
            found = (pos < present.size) & (present[np.minimum(pos, present.size - 1)] == index)
            part[:, found] = block[:, pos[found]]
            out.append(part)
        return np.concatenate(out, axis=0)

    def clear_recordings(self, population) -> None:
        self._data.pop(id(population), None)

    def reset(self) -> None:
        """Machine back to time 0: state from initial values, rings flushed, Poisson reseeded."""
        self._program = None
        self._data = {}

    def annotations(self) -> dict:
        """neo annotations of this machine's data: mapping-only flag and report path."""
        return self.machine_stage.annotations()
