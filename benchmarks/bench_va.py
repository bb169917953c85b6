"""Benchmark the Vogels-Abbott network (benchmarks/va_network.py) on PyNN backends.

For every (simulator, benchmark, dt) a fresh Python subprocess measures, in wall-clock
seconds:

* ``import``   - ``import pyNN.<simulator>`` (interpreter start-up excluded);
* ``build``    - ``build_va()``: ``sim.setup()`` + populations + projections + recording;
* ``run``      - ``sim.run(duration)`` (whatever a backend defers to run time, e.g.
  mapping onto the machine, is counted here);
* ``readback`` - ``get_data()`` of both populations (spikes, and v of 2 cells);

plus the peak resident set size of the process (``resource.getrusage().ru_maxrss``), the
number of spikes and the mean rate. A table is printed with the ratio of each simulator's
numbers to NEST's; ``--json out.json`` writes everything.

    python benchmarks/bench_va.py                        # CUBA+COBA, dt 0.1+1.0, 1 s, 4000
    python benchmarks/bench_va.py --simulators nest --benchmarks CUBA --dts 0.1
    python benchmarks/bench_va.py --json bench_va.json

dt = 1.0 ms uses 1.0 ms synaptic delays (see va_network.py). Simulators that are not
installed are skipped with a message.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SIMULATORS = ("neuroemu_spinnaker", "nest")
REFERENCE = "nest"
TIMED = ("import_s", "build_s", "run_s", "readback_s")


# --------------------------------------------------------------------------- worker
def _peak_rss_mib() -> float:
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024.0  # bytes vs KiB


def worker(simulator: str, benchmark: str, dt: float, duration: float, n_cells: int,
           out: str) -> None:
    import importlib

    result: dict = {"simulator": simulator, "benchmark": benchmark, "dt": dt,
                    "duration_ms": duration, "n_cells": n_cells}
    t0 = time.perf_counter()
    try:
        sim = importlib.import_module(f"pyNN.{simulator}")
    except ImportError as exc:
        result.update(status="unavailable", error=f"{type(exc).__name__}: {exc}")
        Path(out).write_text(json.dumps(result))
        return
    t1 = time.perf_counter()

    sys.path.insert(0, str(HERE))
    from va_network import build_va

    t2 = time.perf_counter()
    net = build_va(sim, benchmark, n_cells=n_cells, dt=dt)
    t3 = time.perf_counter()
    sim.run(duration)
    t4 = time.perf_counter()
    blocks = [pop.get_data() for pop in net.populations]
    t5 = time.perf_counter()

    n_spikes = sum(len(st) for b in blocks for st in b.segments[0].spiketrains)
    result.update(
        status="ok",
        import_s=t1 - t0,
        build_s=t3 - t2,
        run_s=t4 - t3,
        readback_s=t5 - t4,
        peak_rss_mib=_peak_rss_mib(),
        n_spikes=int(n_spikes),
        rate_hz=n_spikes / (n_cells * duration / 1000.0),
        real_time_factor=(t4 - t3) / (duration / 1000.0),
        n_connections={k: int(p.size()) for k, p in net.projections.items()},
    )
    sim.end()
    Path(out).write_text(json.dumps(result))


# --------------------------------------------------------------------------- driver
def run_one(simulator, benchmark, dt, duration, n_cells, timeout) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench_va_") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", simulator,
               benchmark, repr(dt), repr(duration), str(n_cells), str(out)]
        env = dict(os.environ, MPLBACKEND="Agg")
        base = {"simulator": simulator, "benchmark": benchmark, "dt": dt,
                "duration_ms": duration, "n_cells": n_cells}
        try:
            proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return {**base, "status": "timeout", "error": f"no result after {timeout:g} s"}
        if proc.returncode != 0 or not out.exists():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            return {**base, "status": "error",
                    "error": f"exit {proc.returncode}: " + " | ".join(tail)}
        return json.loads(out.read_text())


def add_ratios(results: list[dict]) -> None:
    ref = {(r["benchmark"], r["dt"]): r for r in results
           if r["simulator"] == REFERENCE and r.get("status") == "ok"}
    for r in results:
        base = ref.get((r["benchmark"], r["dt"]))
        if r.get("status") != "ok" or base is None or r is base:
            continue
        r["ratio_to_nest"] = {
            k: (r[k] / base[k] if base[k] else None)
            for k in (*TIMED, "peak_rss_mib", "n_spikes")
        }


def format_table(results: list[dict]) -> str:
    head = (f"{'config':14s} {'simulator':20s} {'import':>14s} {'build':>14s} {'run':>14s} "
            f"{'readback':>14s} {'peak RSS':>16s} {'spikes':>15s} {'rate Hz':>8s} {'RTF':>7s}")
    lines = [head, "-" * len(head)]
    for r in results:
        cfg = f"{r['benchmark']} dt={r['dt']:g}"
        if r.get("status") != "ok":
            lines.append(f"{cfg:14s} {r['simulator']:20s} {r.get('status')}: "
                         f"{r.get('error', '')}")
            continue
        ratio = r.get("ratio_to_nest", {})

        def cell(key, fmt, unit, width=14, r=r, ratio=ratio):
            txt = format(r[key], fmt) + unit
            if ratio.get(key) is not None:
                txt += f" x{ratio[key]:.2g}"
            return f"{txt:>{width}s}"

        lines.append(
            f"{cfg:14s} {r['simulator']:20s} {cell('import_s', '.2f', 's')} "
            f"{cell('build_s', '.2f', 's')} {cell('run_s', '.2f', 's')} "
            f"{cell('readback_s', '.3f', 's')} {cell('peak_rss_mib', '.0f', 'MiB', 16)} "
            f"{cell('n_spikes', 'd', '', 15)} {r['rate_hz']:8.2f} {r['real_time_factor']:7.2f}")
    lines.append("(xN = ratio to NEST for the same config; RTF = run time / simulated time)")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--simulators", nargs="+", default=list(DEFAULT_SIMULATORS))
    parser.add_argument("--benchmarks", nargs="+", default=["CUBA", "COBA"],
                        choices=["CUBA", "COBA"])
    parser.add_argument("--dts", nargs="+", type=float, default=[0.1, 1.0])
    parser.add_argument("--duration", type=float, default=1000.0, help="ms (default 1000)")
    parser.add_argument("--n-cells", type=int, default=4000)
    parser.add_argument("--timeout", type=float, default=3600.0,
                        help="seconds per (simulator, config) subprocess")
    parser.add_argument("--json", metavar="OUT", help="write the results as JSON")
    parser.add_argument("--worker", nargs=6, metavar="ARG", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        sim, bench, dt, duration, n_cells, out = args.worker
        worker(sim, bench, float(dt), float(duration), int(n_cells), out)
        return 0

    results: list[dict] = []
    unavailable: set[str] = set()
    for simulator in args.simulators:
        for benchmark in args.benchmarks:
            for dt in args.dts:
                if simulator in unavailable:
                    continue
                print(f"... {simulator} {benchmark} dt={dt:g}", file=sys.stderr, flush=True)
                r = run_one(simulator, benchmark, dt, args.duration, args.n_cells,
                            args.timeout)
                if r.get("status") == "unavailable":
                    print(f"skipping {simulator}: not installed ({r['error']})",
                          file=sys.stderr)
                    unavailable.add(simulator)
                    continue
                results.append(r)
    add_ratios(results)
    results.sort(key=lambda r: (args.benchmarks.index(r["benchmark"]), r["dt"],
                                r["simulator"] != REFERENCE))
    print(format_table(results))

    if args.json:
        meta = {
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "duration_ms": args.duration,
            "n_cells": args.n_cells,
            "skipped_simulators": sorted(unavailable),
        }
        try:
            import pyNN

            meta["pyNN"] = pyNN.__version__
        except ImportError:
            pass
        Path(args.json).write_text(json.dumps({"meta": meta, "results": results}, indent=2))
        print(f"wrote {args.json}", file=sys.stderr)
    return 0 if all(r.get("status") == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
