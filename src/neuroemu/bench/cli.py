"""``neuroemu bench``: run a benchmarks.json suite on several systems and compare them."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
from pathlib import Path

import neuroemu
from neuroemu.bench.compare import comparisons, markdown, overview, run_time_figure
from neuroemu.bench.progress import Progress
from neuroemu.bench.runner import (
    FAILED,
    OK,
    SKIPPED,
    TIMEOUT,
    Outcome,
    Warmup,
    existing_record,
    needs_warmup,
    run_task,
    warm_up,
)
from neuroemu.bench.spec import SpecError, load_suite, select

DEFAULT_SYSTEMS = "neuroemu_spinnaker,nest,brian2"
DEFAULT_BASELINE = "nest"


def default_suite() -> Path:
    """``benchmarks/benchmarks.json`` of the working directory, else of the source tree."""
    here = Path("benchmarks/benchmarks.json")
    if here.exists():
        return here
    tree = Path(neuroemu.__file__).resolve().parents[2] / "benchmarks" / "benchmarks.json"
    if not tree.exists():
        raise SystemExit("neuroemu bench: no benchmarks/benchmarks.json here; run it from a "
                         "neuroemu checkout (the suite's scripts live in its benchmarks/ "
                         "folder) or pass --suite PATH")
    return tree


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
    return names


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--suite", type=Path, default=None,
                        help="benchmarks.json (default: ./benchmarks/benchmarks.json, else "
                             "the one of the neuroemu source tree)")
    parser.add_argument("--systems", type=_names, default=_names(DEFAULT_SYSTEMS),
                        help=f"PyNN backends to run, comma-separated (default "
                             f"{DEFAULT_SYSTEMS})")
    parser.add_argument("--baseline", default=DEFAULT_BASELINE,
                        help="system the others are compared with (default %(default)s)")
    parser.add_argument("--tasks", type=_names, default=None,
                        help="only these tasks: names, model names or model/task, "
                             "comma-separated, wildcards allowed")
    parser.add_argument("--output", type=Path, default=Path("bench_results"),
                        help="folder for the records, logs, figures and summary "
                             "(default %(default)s)")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes for CI; skips the tasks marked long")
    parser.add_argument("--no-run", action="store_true",
                        help="run nothing: rebuild the comparison from the records already "
                             "in --output")
    parser.add_argument("--timeout", type=_positive, default=3600.0,
                        help="seconds per task and system (default %(default)s)")
    parser.add_argument("--no-warmup", action="store_true",
                        help="do not warm a neuroemu system's Numba cache before its first "
                             "task (its first task then includes the compilation)")


def machine_description() -> dict:
    """Where and with what the benchmarks ran."""
    info = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "neuroemu": neuroemu.__version__,
    }
    for module in ("numpy", "numba", "pyNN"):
        try:
            info[module] = __import__(module).__version__
        except ImportError:
            info[module] = None
    return info


def run(args: argparse.Namespace) -> int:
    """Run the selected tasks; writes records, ``summary.json``, ``comparison.md`` and
    ``comparison.png`` into ``--output``. Exit status 1 if a task failed or timed out."""
    suite = args.suite or default_suite()
    try:
        tasks = select(load_suite(suite), args.tasks, args.quick)
    except (OSError, SpecError) as exc:
        print(f"neuroemu bench: {exc}", file=sys.stderr)
        return 2
    if not tasks:
        print(f"neuroemu bench: no task of {suite} matches --tasks {args.tasks}",
              file=sys.stderr)
        return 2
    outcomes, warmups = run_jobs(tasks, args, suite.resolve().parent)
    write_reports(outcomes, args, suite, warmups)
    failed = [*(o.status for o in outcomes), *(w.status for w in warmups.values())]
    return 1 if FAILED in failed or TIMEOUT in failed else 0


def run_jobs(tasks: list, args: argparse.Namespace,
             suite_dir: Path) -> tuple[list[Outcome], dict[str, Warmup]]:
    """Every task on every system (once if it has no placeholder), with progress lines.

    Before the first task of a neuroemu system (unless ``--no-run``) its warm-up runs once
    (:func:`neuroemu.bench.runner.warm_up`), or is marked skipped with ``--no-warmup``;
    returns the outcomes and the warm-ups by system.
    """
    jobs = [(t, s) for t in tasks for s in (args.systems if t.needs_system else [None])]
    progress = Progress(len(jobs))
    outcomes: list[Outcome] = []
    warmups: dict[str, Warmup] = {}
    for task, system in jobs:
        if (not args.no_run and system not in warmups and needs_warmup(system)
                and task.applies_to(system)):
            progress.start_warmup(system)
            if args.no_warmup:
                warmups[system] = Warmup(system, SKIPPED, 0.0, "--no-warmup")
            else:
                warmups[system] = warm_up(system, args.output, args.timeout)
            w = warmups[system]
            progress.finish_warmup(w.status, w.seconds, "" if w.status == OK else w.message)
        progress.start(f"{task.model}/{task.name} [{system or 'native'}]")
        if args.no_run:
            outcome = existing_record(task, system, args.output)
        else:
            outcome = run_task(task, system, suite_dir, args.output, args.timeout, args.quick,
                               warmups.get(system))
        progress.finish(outcome.status, outcome.wall_time, outcome.message)
        outcomes.append(outcome)
    return outcomes, warmups


def write_reports(outcomes: list[Outcome], args: argparse.Namespace, suite: Path,
                  warmups: dict[str, Warmup]) -> None:
    """``summary.json``, ``comparison.md`` (also printed) and ``comparison.png``."""
    comps = comparisons(outcomes, args.baseline)
    table = (overview(comps) + "\n" + markdown(comps)) if comps else "(no successful task)\n"
    args.output.mkdir(parents=True, exist_ok=True)
    meta = machine_description()
    meta.update(suite=str(suite), systems=args.systems, baseline=args.baseline,
                quick=args.quick, numba_warmup=not (args.no_run or args.no_warmup))
    summary = {
        "meta": meta,
        "warmup": {s: {"status": w.status, "warmup_s": w.seconds, "message": w.message,
                       "log": str(w.log) if w.log else None} for s, w in warmups.items()},
        "outcomes": [{"model": o.task.model, "task": o.task.name, "system": o.system,
                      "status": o.status, "message": o.message,
                      "record": str(o.record_path) if o.record_path else None,
                      "wall_time": o.wall_time} for o in outcomes],
        "comparisons": comps,
    }
    (args.output / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    warmed = ", ".join(f"{w.system} ({w.seconds:.1f} s)" for w in warmups.values()
                       if w.status == OK)
    header = (f"Benchmarks of {meta['date']} on {meta['platform']}, {meta['cpu_count']} CPUs"
              f"{' (--quick sizes)' if args.quick else ''}\n\n"
              + (f"Numba cache warmed before timing by a warm-up run, counted in no task: "
                 f"{warmed}\n\n" if warmed else ""))
    (args.output / "comparison.md").write_text(header + table)
    run_time_figure(comps, args.output / "comparison.png")
    print(header + table)
    for w in warmups.values():
        print(f"warm-up [{w.system}]: {w.status}, {w.seconds:.1f} s (counted in no task)"
              + ("" if w.status == OK else f": {w.message}"))
    for o in outcomes:
        if o.status != OK:
            print(f"{o.status}: {o.label} {o.message}")
    print(f"records, logs and figures in {args.output}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="neuroemu bench", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))
