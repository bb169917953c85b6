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
from neuroemu.bench.runner import FAILED, OK, TIMEOUT, Outcome, existing_record, run_task
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
    outcomes = run_jobs(tasks, args, suite.resolve().parent)
    write_reports(outcomes, args, suite)
    return 1 if any(o.status in (FAILED, TIMEOUT) for o in outcomes) else 0


def run_jobs(tasks: list, args: argparse.Namespace, suite_dir: Path) -> list[Outcome]:
    """Every task on every system (once if it has no placeholder), with progress lines."""
    jobs = [(t, s) for t in tasks for s in (args.systems if t.needs_system else [None])]
    progress = Progress(len(jobs))
    outcomes: list[Outcome] = []
    for task, system in jobs:
        progress.start(f"{task.model}/{task.name} [{system or 'native'}]")
        if args.no_run:
            outcome = existing_record(task, system, args.output)
        else:
            outcome = run_task(task, system, suite_dir, args.output, args.timeout, args.quick)
        progress.finish(outcome.status, outcome.wall_time, outcome.message)
        outcomes.append(outcome)
    return outcomes


def write_reports(outcomes: list[Outcome], args: argparse.Namespace, suite: Path) -> None:
    """``summary.json``, ``comparison.md`` (also printed) and ``comparison.png``."""
    comps = comparisons(outcomes, args.baseline)
    table = (overview(comps) + "\n" + markdown(comps)) if comps else "(no successful task)\n"
    args.output.mkdir(parents=True, exist_ok=True)
    meta = machine_description()
    meta.update(suite=str(suite), systems=args.systems, baseline=args.baseline,
                quick=args.quick)
    summary = {
        "meta": meta,
        "outcomes": [{"model": o.task.model, "task": o.task.name, "system": o.system,
                      "status": o.status, "message": o.message,
                      "record": str(o.record_path) if o.record_path else None,
                      "wall_time": o.wall_time} for o in outcomes],
        "comparisons": comps,
    }
    (args.output / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    header = (f"Benchmarks of {meta['date']} on {meta['platform']}, {meta['cpu_count']} CPUs"
              f"{' (--quick sizes)' if args.quick else ''}\n\n")
    (args.output / "comparison.md").write_text(header + table)
    run_time_figure(comps, args.output / "comparison.png")
    print(header + table)
    for o in outcomes:
        if o.status != OK:
            print(f"{o.status}: {o.label} {o.message}")
    print(f"records, logs and figures in {args.output}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="neuroemu bench", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))
