"""What a benchmark task script uses to time itself and write its record.

The runner passes two environment variables to every task subprocess:

* ``NEUROEMU_BENCH_RECORD``: the path the record must be written to (without it, a task
  run by hand writes ``<model>_<task>_<system>.json`` in the working directory);
* ``NEUROEMU_BENCH_QUICK``: ``1`` asks for the small CI sizes (``--quick``);
* ``NEUROEMU_BENCH_WARMUP`` (neuroemu systems only): the wall time in seconds of the
  warm-up run that compiled the Numba kernels before this task, or ``none`` if it was
  skipped (``--no-warmup``) or failed; the record's configuration says so
  (``numba_cache_warmed``, ``warmup_s``).

Figures go next to the record (:meth:`TaskRun.figure_path`).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import resource
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

from neuroemu.bench.record import check_record, make_result

RECORD_ENV = "NEUROEMU_BENCH_RECORD"
QUICK_ENV = "NEUROEMU_BENCH_QUICK"
WARMUP_ENV = "NEUROEMU_BENCH_WARMUP"


def quick() -> bool:
    """True when the runner asked for the small CI sizes."""
    return os.environ.get(QUICK_ENV, "") == "1"


def warmup_configuration() -> dict:
    """What the runner said about the Numba cache (:data:`WARMUP_ENV`): ``{}`` when it said
    nothing (a system without Numba, or a task run by hand)."""
    value = os.environ.get(WARMUP_ENV)
    if value is None:
        return {}
    if value == "none":
        return {"numba_cache_warmed": False}
    return {"numba_cache_warmed": True, "warmup_s": float(value)}


def peak_memory_bytes() -> int:
    """Peak resident set size of this process (``getrusage``: KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(rss if sys.platform == "darwin" else rss * 1024)


class TaskRun:
    """Collects the results of one task on one system and writes its chapter 7.1.2 record."""

    def __init__(self, model: str, task: str, system: str | None) -> None:
        self.model = model
        self.task = task
        self.system = system
        self.timestamp = datetime.datetime.now().isoformat()
        self.results: list[dict] = []
        self.configuration: dict = {"system": system, "quick": quick(),
                                    **warmup_configuration()}
        #: the imported PyNN backend (set by :func:`start_task`)
        self.backend = None

    def add(self, type: str, name: str, value: float, measure: str, units: str | None = None,
            **optional: float) -> None:
        """Add one result (``optional``: ``std_dev``, ``min``, ``max``)."""
        self.results.append(make_result(type, name, value, measure, units, **optional))

    def quality(self, name: str, value: float, measure: str, units: str | None = None,
                **optional: float) -> None:
        self.add("quality", name, value, measure, units, **optional)

    def performance(self, name: str, value: float, measure: str, units: str | None = None,
                    **optional: float) -> None:
        self.add("performance", name, value, measure, units, **optional)

    @contextlib.contextmanager
    def timed(self, name: str) -> Iterator[None]:
        """Time the block (wall clock) as the performance result ``name`` in seconds, keeping
        its warnings (:meth:`keeping_warnings`)."""
        with self.keeping_warnings():
            t0 = time.perf_counter()
            yield
            self.performance(name, time.perf_counter() - t0, "time", "s")

    @contextlib.contextmanager
    def keeping_warnings(self) -> Iterator[None]:
        """Copy every warning raised in the block into ``configuration["warnings"]`` (e.g. a
        machine's ring-buffer saturations) and still show it on stderr."""
        caught: list[warnings.WarningMessage] = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                yield
        finally:
            kept = self.configuration.setdefault("warnings", [])
            for w in caught:
                text = f"{w.category.__name__}: {w.message}"
                if text not in kept:
                    kept.append(text)
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)

    def time_of(self, name: str) -> float:
        """The value of an already recorded result."""
        for r in self.results:
            if r["name"] == name:
                return r["value"]
        raise KeyError(f"no result named {name!r} yet in {self.model}/{self.task}")

    def add_run_performance(self, sim_duration_ms: float,
                            synaptic_events: float | None) -> None:
        """Real-time factor, synaptic events per second of run time, peak memory.

        Needs a ``run_time`` result; ``synaptic_events`` is the number of spike deliveries
        to synapses during the run (see :func:`neuroemu.bench.measures.synaptic_events`),
        None for a network without synapses. Where the backend reports the time of its
        simulation loop alone (a neuroemu machine, whose ``run()`` also maps the network
        the first time), that time and its real-time factor are recorded too, as
        ``simulation_time`` and ``simulation_real_time_factor``.
        """
        run_time = self.time_of("run_time")
        self.performance("real_time_factor", run_time / (sim_duration_ms / 1000.0), "ratio")
        simulation = self.simulation_time()
        if simulation is not None:
            self.performance("simulation_time", simulation, "time", "s")
            self.performance("simulation_real_time_factor",
                             simulation / (sim_duration_ms / 1000.0), "ratio")
        if synaptic_events is not None:
            self.performance("synaptic_events", synaptic_events, "count")
        if synaptic_events is not None and run_time > 0:
            self.performance("synaptic_events_per_s", synaptic_events / run_time, "throughput",
                             "1/s")
        self.performance("peak_memory", peak_memory_bytes(), "memory", "B")
        storage = self.synapse_storage()
        if storage is not None:
            self.performance("synapse_storage", storage, "memory", "B/synapse")

    def synapse_storage(self) -> float | None:
        """Bytes the emulated machine keeps per synapse (a neuroemu toolchain's
        ``synapse_storage()``), None for other backends or before a run."""
        return self._toolchain_measure("synapse_storage")

    def simulation_time(self) -> float | None:
        """Seconds of the last run's simulation loop (a neuroemu toolchain's
        ``simulation_time()``), None for backends that do not report it."""
        return self._toolchain_measure("simulation_time")

    def _toolchain_measure(self, name: str) -> float | None:
        state = getattr(getattr(self.backend, "simulator", None), "state", None)
        measure = getattr(getattr(state, "toolchain", None), name, None)
        return measure() if callable(measure) else None

    def record(self) -> dict:
        rec = {"model": self.model, "task": self.task, "timestamp": self.timestamp,
               "results": self.results, "configuration": self.configuration}
        check_record(rec)
        return rec

    def record_path(self) -> Path:
        path = os.environ.get(RECORD_ENV)
        if path:
            return Path(path)
        return Path(f"{self.model}_{self.task}_{self.system or 'native'}.json")

    def figure_path(self, suffix: str) -> Path:
        """``<record stem>_<suffix>.png`` next to the record."""
        rec = self.record_path()
        return rec.with_name(f"{rec.stem}_{suffix}.png")

    def write(self) -> Path:
        """Check and write the record; returns its path."""
        path = self.record_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.record(), indent=2) + "\n")
        return path


def start_task(model: str, task, *arguments) -> tuple:
    """Import the backend named on the command line (``pyNN.utility.get_simulator``; the
    extra ``arguments`` are its ``(name, help[, kwargs])`` tuples) and start the record.

    ``task`` is the task name, or a callable giving it from the parsed arguments (for a
    script that serves several tasks). Returns ``(sim, args, TaskRun)``; the import time is
    the first result.
    """
    from pyNN.utility import get_simulator

    t0 = time.perf_counter()
    sim, args = get_simulator(*arguments)
    elapsed = time.perf_counter() - t0
    run = TaskRun(model, task(args) if callable(task) else task, args.simulator)
    run.backend = sim
    run.performance("import_time", elapsed, "time", "s")
    return sim, args, run
