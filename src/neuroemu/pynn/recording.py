"""Recorder reading the machine's recording buffers (held by the toolchain) into neo."""

from __future__ import annotations

import numpy as np
from pyNN import recording


class Recorder(recording.Recorder):
    """PyNN Recorder; the machine package sets ``_simulator``."""

    def _record(self, variable, new_ids, sampling_interval=None):
        state = self._simulator.state
        if sampling_interval is not None:
            ratio = sampling_interval / state.dt
            if ratio < 1 - 1e-9 or abs(ratio - round(ratio)) > 1e-9:
                raise ValueError(f"sampling_interval={sampling_interval} ms must be a positive "
                                 f"multiple of the time step {state.dt} ms")
            self.sampling_interval = sampling_interval
        state.toolchain.recording_changed(self.population)

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

    def _get_current_segment(self, *args, **kwargs):
        segment = super()._get_current_segment(*args, **kwargs)
        segment.annotate(**self._machine_annotations())
        return segment

    def _machine_annotations(self) -> dict:
        annotations = getattr(self._simulator.state.toolchain, "annotations", None)
        return annotations() if annotations is not None else {}

    def _clear_simulator(self):
        self._simulator.state.toolchain.clear_recordings(self.population)

    def _reset(self):
        self._simulator.state.toolchain.recording_changed(self.population)
