"""Run one benchmark task for one system in a subprocess and harvest its JSON record;
warm a neuroemu system's Numba cache before its first task.

The command of ``benchmarks.json`` is run from the suite's folder (a leading ``*.py`` or
``python`` runs under this interpreter), with a timeout, its output logged next to the
record. The task writes its record to the path in ``NEUROEMU_BENCH_RECORD``; the runner
checks it against chapter 7.1.2 and against the model/task names of the suite.

The warm-up (:func:`warm_up`) runs ``python -m neuroemu.bench.warmup <system>`` once per
neuroemu system, so that the tasks measure the warm engine (the issue's targets are for a
warm Numba cache); its wall time is reported on its own and counted in no task.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import neuroemu
from neuroemu.bench.record import RecordError, check_record
from neuroemu.bench.spec import Task
from neuroemu.bench.systems import missing_modules
from neuroemu.bench.task import QUICK_ENV, RECORD_ENV, WARMUP_ENV

#: outcome statuses; only "failed" and "timeout" make ``neuroemu bench`` exit non-zero
OK, FAILED, TIMEOUT, SKIPPED, EXCLUDED = "ok", "failed", "timeout", "skipped", "excluded"


@dataclasses.dataclass
class Outcome:
    task: Task
    system: str | None
    status: str
    message: str = ""
    record: dict | None = None
    record_path: Path | None = None
    wall_time: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.task.model}/{self.task.name} [{self.system or 'native'}]"


@dataclasses.dataclass
class Warmup:
    """The warm-up run of one system: status (ok/failed/timeout), wall time, message."""

    system: str
    status: str
    seconds: float
    message: str = ""
    log: Path | None = None


def needs_warmup(system: str | None) -> bool:
    """True for an installed neuroemu machine (NEST and Brian2 have no Numba cache)."""
    return (system is not None and system.startswith("neuroemu_")
            and not missing_modules(system))


def warm_up(system: str, output: Path, timeout: float) -> Warmup:
    """Run the warm-up network on ``system`` in a subprocess (log and mapping reports in
    ``<output>/<system>/``); never raises, the :class:`Warmup` says what happened."""
    folder = Path(output).resolve() / system
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "warmup.log"
    argv = [sys.executable, "-m", "neuroemu.bench.warmup", system]
    code, wall = _run_logged(argv, folder, _child_env(), log, timeout)
    if code is None:
        return Warmup(system, TIMEOUT, wall, f"no result after {timeout:g} s (log {log})", log)
    if code != 0:
        return Warmup(system, FAILED, wall, f"exit {code}: {_tail(log)}", log)
    return Warmup(system, OK, wall, _tail(log, 1), log)


def record_path_for(output: Path, task: Task, system: str | None) -> Path:
    """``<output>/<system>/<model>_<task>.json`` (``native`` for tasks without a system)."""
    return Path(output) / (system or "native") / f"{task.model}_{task.name}.json"


def command_argv(command: str, suite_dir: Path) -> list[str]:
    """argv for a task command: ``x.py args`` and ``python x.py args`` use this interpreter."""
    argv = shlex.split(command)
    if not argv:
        raise ValueError(f"empty task command {command!r}")
    if argv[0] in ("python", "python3"):
        argv[0] = sys.executable
    elif argv[0].endswith(".py"):
        argv = [sys.executable, str(Path(suite_dir) / argv[0]), *argv[1:]]
    return argv


def _child_env(record: Path | None = None, quick: bool = False,
               warmup: Warmup | None = None) -> dict[str, str]:
    """This environment with neuroemu importable, the record path, the size and, for a
    neuroemu system, how its Numba cache was warmed (:data:`WARMUP_ENV`)."""
    env = dict(os.environ)
    src = str(Path(neuroemu.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    env["MPLBACKEND"] = "Agg"
    if record is not None:
        env[RECORD_ENV] = str(record)
    env[QUICK_ENV] = "1" if quick else "0"
    env.pop(WARMUP_ENV, None)
    if warmup is not None:
        env[WARMUP_ENV] = f"{warmup.seconds:.6g}" if warmup.status == OK else "none"
    return env


def _tail(path: Path, n: int = 3) -> str:
    lines = path.read_text(errors="replace").strip().splitlines()
    return " | ".join(lines[-n:])


def existing_record(task: Task, system: str | None, output: Path) -> Outcome:
    """The record an earlier run left in ``output`` (status ``skipped`` if there is none)."""
    path = record_path_for(output, task, system)
    if not path.exists():
        return Outcome(task, system, SKIPPED, f"no record at {path}")
    try:
        data = json.loads(path.read_text())
        check_record(data, model=task.model, task=task.name)
    except (json.JSONDecodeError, RecordError) as exc:
        return Outcome(task, system, FAILED, f"invalid record {path}: {exc}")
    return Outcome(task, system, OK, record=data, record_path=path)


def _run_logged(argv: list[str], cwd: Path, env: dict[str, str], log: Path,
                timeout: float) -> tuple[int | None, float]:
    """Run ``argv`` with its output in ``log``; (exit code or None on timeout, wall time).
    On timeout the whole process group is killed."""
    t0 = time.perf_counter()
    with open(log, "w") as log_file:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log_file,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            code = None
    return code, time.perf_counter() - t0


def run_task(task: Task, system: str | None, suite_dir: Path, output: Path,
             timeout: float, quick: bool = False, warmup: Warmup | None = None) -> Outcome:
    """Run ``task`` on ``system`` (None for a task without placeholder); never raises for
    a failing task, the :class:`Outcome` says what happened. ``warmup``: the warm-up run
    for ``system`` before (or skipped), told to the task so that its record says it."""
    if system is not None and not task.needs_system:
        return Outcome(task, system, EXCLUDED, "low-level task without {system}: run once")
    if system is not None and not task.applies_to(system):
        return Outcome(task, system, EXCLUDED,
                       f"restricted to {','.join(sorted(task.restriction or ()))}")
    if system is not None:
        missing = missing_modules(system)
        if missing:
            return Outcome(task, system, SKIPPED,
                           f"{system} not installed (cannot import {', '.join(missing)})")
    # absolute: the task runs in the suite's folder, not in the caller's
    record = record_path_for(Path(output).resolve(), task, system)
    record.parent.mkdir(parents=True, exist_ok=True)
    record.unlink(missing_ok=True)
    log = record.with_suffix(".log")
    argv = command_argv(task.command_for(system), suite_dir)
    code, wall = _run_logged(argv, suite_dir, _child_env(record, quick, warmup), log, timeout)
    if code is None:
        return Outcome(task, system, TIMEOUT, f"no result after {timeout:g} s (log {log})",
                       wall_time=wall)
    if code != 0:
        return Outcome(task, system, FAILED, f"exit {code}: {_tail(log)}", wall_time=wall)
    if not record.exists():
        return Outcome(task, system, FAILED, f"the task wrote no record at {record}",
                       wall_time=wall)
    try:
        data = json.loads(record.read_text())
        check_record(data, model=task.model, task=task.name)
    except (json.JSONDecodeError, RecordError) as exc:
        return Outcome(task, system, FAILED, f"invalid record {record}: {exc}", wall_time=wall)
    return Outcome(task, system, OK, record=data, record_path=record, wall_time=wall)
