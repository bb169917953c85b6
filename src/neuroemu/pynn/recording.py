"""Recorder reading the machine's recording buffers (held by the toolchain) into neo.

Unlike PyNN's own Recorder, each state variable keeps its own sampling interval, as
sPyNNaker allows (``pop.record("v", sampling_interval=2)`` then
``pop.record("gsyn_exc", sampling_interval=3)`` on the same population); the neo signals
carry their own ``sampling_period``.
"""

from __future__ import annotations

import numpy as np
from pyNN import recording

#: sPyNNaker stores the sampling rate (interval / dt) in a uint32 (NeuronRecorder.MAX_RATE)
MAX_SAMPLING_RATE = 2**32 - 1


class Recorder(recording.Recorder):
    """PyNN Recorder; the machine package sets ``_simulator``."""

    def __init__(self, population, file=None):
        super().__init__(population, file)
        self.sampling_intervals: dict[str, float] = {}

    def sampling_interval_of(self, name: str) -> float:
        """Sampling interval (ms) of the state variable ``name``; the recorder's default
        (dt, or the machine's fixed sampling step) unless set."""
        return self.sampling_intervals.get(name, self.sampling_interval)

    def _check_sampling_interval(self, sampling_interval):
        """sPyNNaker's rule: a whole multiple (1 ... 2**32-1) of the time step."""
        if sampling_interval is None:
            return
        dt = self._simulator.state.dt
        ratio = sampling_interval / dt
        if not (1 - 1e-9 <= ratio <= MAX_SAMPLING_RATE) or abs(ratio - round(ratio)) > 1e-9:
            raise ValueError(f"sampling_interval={sampling_interval} ms must be a whole "
                             f"multiple of the time step {dt} ms, between {dt} and "
                             f"{dt * MAX_SAMPLING_RATE} ms")

    def record(self, variables, ids, sampling_interval=None, locations=None):
        """PyNN's record; a changed interval must cover every cell recording the variable."""
        self._check_sampling_interval(sampling_interval)
        if sampling_interval is not None:
            ids = set(ids)
            for variable in self._localize_variables(variables, locations):
                before = self.recorded.get(variable, set())
                if (variable.name != "spikes" and before and not before <= ids
                        and self.sampling_interval_of(variable.name) != sampling_interval):
                    raise ValueError(
                        f"'{variable.name}' of Population '{self.population.label}' is already "
                        f"recorded every {self.sampling_interval_of(variable.name)} ms for other "
                        f"cells; sampling_interval={sampling_interval} ms must cover them too "
                        "(one interval per variable and population, as in sPyNNaker)")
        super().record(variables, ids, sampling_interval, locations)

    def _record(self, variable, new_ids, sampling_interval=None):
        if sampling_interval is not None and variable.name != "spikes":
            # PyNN's own ``sampling_interval`` stays dt (its segment builder asserts with it;
            # dt is never above a signal's interval); each signal gets its own period below
            self.sampling_intervals[variable.name] = float(sampling_interval)
        self._simulator.state.toolchain.recording_changed(self.population)


    def recorded_indices(self, name: str) -> np.ndarray:
        """Sorted indices (in the population) of the cells recording ``name``."""
        ids = [v for k, v in self.recorded.items() if k.name == name]
        if not ids:
            return np.zeros(0, dtype=np.int64)
        cells = np.array(sorted(int(i) for i in ids[0]), dtype=np.int64)
        return cells - int(self.population.first_id)

    def _get_spiketimes(self, ids, clear=False):
        index = np.asarray([int(i) for i in ids], dtype=np.int64) - int(self.population.first_id)
        neuron, times = self._simulator.state.toolchain.spikes(self.population, index)
        return neuron + int(self.population.first_id), times

    def _get_all_signals(self, variable, ids, clear=False):
        index = np.asarray([int(i) for i in ids], dtype=np.int64) - int(self.population.first_id)
        data = self._simulator.state.toolchain.signal(self.population, variable.name, index)
        return data, None

    def _local_count(self, variable, filter_ids=None):
        ids = sorted(self.filter_recorded(variable, filter_ids))
        index = np.asarray([int(i) for i in ids], dtype=np.int64) - int(self.population.first_id)
        neuron, _ = self._simulator.state.toolchain.spikes(self.population, index)
        counts = np.bincount(neuron, minlength=self.population.size) if neuron.size else \
            np.zeros(self.population.size, dtype=np.int64)
        first = int(self.population.first_id)
        return {int(i): int(counts[int(i) - first]) for i in ids}

    @property
    def metadata(self):
        """PyNN's Block annotations plus the machine's (e.g. ``mapping_only``)."""
        return {**super().metadata, **self._machine_annotations()}

    def _get_current_segment(self, filter_ids=None, variables="all", clear=False):
        """PyNN's segment with each signal's own sampling period and the machine's
        annotations (e.g. ``mapping_only``)."""
        segment = super()._get_current_segment(filter_ids, variables, clear)
        for signal in segment.analogsignals:
            signal.sampling_period = self.sampling_interval_of(signal.name) * signal.times.units
        segment.annotate(**self._machine_annotations())
        return segment

    def _machine_annotations(self) -> dict:
        annotations = getattr(self._simulator.state.toolchain, "annotations", None)
        return annotations() if annotations is not None else {}

    def _clear_simulator(self):
        self._simulator.state.toolchain.clear_recordings(self.population)

    def _reset(self):
        self.sampling_intervals = {}
        self._simulator.state.toolchain.recording_changed(self.population)
