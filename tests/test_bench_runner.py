"""Running tasks in subprocesses: records harvested, failures, timeouts, skipped systems,
the comparison table, and a small suite end to end through ``neuroemu bench``."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from neuroemu.bench.compare import comparisons, markdown, rate_correlation
from neuroemu.bench.runner import (
    EXCLUDED,
    FAILED,
    OK,
    SKIPPED,
    TIMEOUT,
    command_argv,
    record_path_for,
    run_task,
)
from neuroemu.bench.spec import Task
from neuroemu.bench.systems import missing_modules
from neuroemu.cli import main as neuroemu_main

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

# a task script that writes its record with TaskRun; argv: system, rate, [mode]
SCRIPT = textwrap.dedent("""
    import sys, time
    from neuroemu.bench.task import TaskRun
    system, rate = sys.argv[1], float(sys.argv[2])
    mode = sys.argv[3] if len(sys.argv) > 3 else "ok"
    if mode == "crash":
        raise SystemExit("deliberate failure")
    if mode == "sleep":
        time.sleep(60)
    run = TaskRun("Toy", "t1" if mode != "wrongname" else "other", system)
    run.performance("run_time", 2.0 * rate, "time", "s")
    for i, pop in enumerate(("A", "B", "C")):
        run.quality("rate_" + pop, rate * (i + 1), "rate", "Hz")
    if mode != "norecord":
        run.write()
""")


@pytest.fixture
def suite_dir(tmp_path):
    (tmp_path / "toy.py").write_text(SCRIPT)
    return tmp_path


def _task(args: str) -> Task:
    return Task("Toy", "t1", f"toy.py {{system}} {args}")


def test_record_is_harvested(suite_dir, tmp_path):
    out = tmp_path / "results"
    outcome = run_task(_task("3"), "neuroemu_spinnaker", suite_dir, out, timeout=60)
    assert outcome.status == OK, outcome.message
    assert outcome.record_path == out / "neuroemu_spinnaker" / "Toy_t1.json"
    assert outcome.record["configuration"]["system"] == "neuroemu_spinnaker"
    assert {r["name"]: r["value"] for r in outcome.record["results"]}["run_time"] == 6.0
    assert outcome.record_path.with_suffix(".log").exists()


def test_relative_output_is_the_callers_folder(suite_dir, tmp_path, monkeypatch):
    """The task runs in the suite's folder; a relative ``--output`` still means the
    folder ``neuroemu bench`` was called from."""
    caller = tmp_path / "elsewhere"
    caller.mkdir()
    monkeypatch.chdir(caller)
    outcome = run_task(_task("3"), "neuroemu_spinnaker", suite_dir, Path("results"),
                       timeout=60)
    assert outcome.status == OK, outcome.message
    assert outcome.record_path == caller / "results" / "neuroemu_spinnaker" / "Toy_t1.json"


@pytest.mark.parametrize("args, message", [
    ("3 crash", "exit 1: deliberate failure"),
    ("3 norecord", "wrote no record"),
    ("3 wrongname", "benchmarks.json says 't1'"),
])
def test_failures_are_reported(suite_dir, tmp_path, args, message):
    outcome = run_task(_task(args), "neuroemu_spinnaker", suite_dir, tmp_path / "r",
                       timeout=60)
    assert outcome.status == FAILED
    assert message in outcome.message


def test_timeout_kills_the_task(suite_dir, tmp_path):
    outcome = run_task(_task("3 sleep"), "neuroemu_spinnaker", suite_dir, tmp_path / "r",
                       timeout=1.0)
    assert outcome.status == TIMEOUT
    assert outcome.wall_time < 30


def test_missing_system_is_skipped_not_run(suite_dir, tmp_path):
    assert missing_modules("no_such_backend") == ["pyNN.no_such_backend"]
    outcome = run_task(_task("3"), "no_such_backend", suite_dir, tmp_path / "r", timeout=60)
    assert outcome.status == SKIPPED
    assert "no_such_backend not installed" in outcome.message
    assert not (tmp_path / "r").exists()


def test_backends_need_their_simulator():
    # PyNN's nest backend needs `import nest`, brian2 needs `import brian2`
    import importlib.util

    for system, module in (("nest", "nest"), ("brian2", "brian2")):
        present = importlib.util.find_spec(module) is not None
        assert (module in missing_modules(system)) == (not present)
    assert missing_modules("neuroemu_spinnaker") == []
    assert missing_modules("neuroemu_nosuchmachine") == ["pyNN.neuroemu_nosuchmachine"]


def test_restricted_task_is_excluded(suite_dir, tmp_path):
    task = Task("Toy", "t1", "toy.py {system=nest} 3")
    outcome = run_task(task, "neuroemu_spinnaker", suite_dir, tmp_path / "r", timeout=60)
    assert outcome.status == EXCLUDED
    assert "restricted to nest" in outcome.message


def test_low_level_task_runs_once_without_system(suite_dir, tmp_path):
    task = Task("Toy", "t1", "toy.py spikey_lowlevel 3")
    outcome = run_task(task, None, suite_dir, tmp_path / "r", timeout=60)
    assert outcome.status == OK, outcome.message
    assert outcome.record_path == tmp_path / "r" / "native" / "Toy_t1.json"
    assert run_task(task, "nest", suite_dir, tmp_path / "r", timeout=60).status == EXCLUDED


def test_command_argv_uses_this_interpreter(tmp_path):
    assert command_argv("run.py nest --x 1", tmp_path) == [
        sys.executable, str(tmp_path / "run.py"), "nest", "--x", "1"]
    assert command_argv("python run.py 'a b'", tmp_path) == [sys.executable, "run.py", "a b"]
    assert record_path_for(tmp_path, Task("M", "t", "x"), None) == tmp_path / "native" / "M_t.json"


def test_comparison_ratios_and_rate_correlation(suite_dir, tmp_path):
    out = tmp_path / "r"
    outcomes = [run_task(_task(rate), system, suite_dir, out, timeout=60)
                for system, rate in (("nest", "2"), ("neuroemu_spinnaker", "4"))]
    if outcomes[0].status == SKIPPED:
        pytest.skip("nest not installed")
    comps = comparisons(outcomes, baseline="nest")
    spinn = comps[0]["systems"]["neuroemu_spinnaker"]
    assert spinn["ratios"]["run_time"] == 2.0          # 8 s / 4 s
    assert spinn["rate_correlation"] == pytest.approx(1.0)  # rates 4,8,12 vs 2,4,6
    table = markdown(comps)
    assert "| run_time | 4 s | 8 s (×2) |" in table


def test_rate_correlation_closed_form():
    def rec(rates):
        return {"results": [{"type": "quality", "name": f"rate_{i}", "value": v,
                             "measure": "rate"} for i, v in enumerate(rates)]}

    assert rate_correlation(rec([1, 2, 3]), rec([3, 2, 1]))[0] == pytest.approx(-1.0)
    # r = cov / (sd sd) for x = (1, 2, 3, 4), y = (1, 3, 2, 4): 0.8
    assert rate_correlation(rec([1, 2, 3, 4]), rec([1, 3, 2, 4]))[0] == pytest.approx(0.8)
    corr, n = rate_correlation(rec([1, 2]), rec([1, 2]))
    assert math.isnan(corr) and n == 2


def test_neuroemu_bench_end_to_end(tmp_path):
    """The I-f task of the suite, --quick, on neuroemu_spinnaker, via the CLI."""
    suite = tmp_path / "benchmarks.json"
    suite.write_text(json.dumps([{
        "model": {"name": "IF_cond_exp", "description": "I-f curve"},
        "tasks": [{"name": "I_f_curve",
                   "command": f"python {BENCHMARKS / 'run_I_f_curve.py'} {{system}}"}],
    }]))
    out = tmp_path / "results"
    # (the warm-up has its own tests in test_bench_warmup.py)
    code = neuroemu_main(["bench", "--suite", str(suite), "--quick", "--output", str(out),
                          "--systems", "neuroemu_spinnaker,no_such_backend",
                          "--baseline", "neuroemu_spinnaker", "--no-warmup"])
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    status = {o["system"]: o["status"] for o in summary["outcomes"]}
    assert status == {"neuroemu_spinnaker": "ok", "no_such_backend": "skipped"}
    record = json.loads((out / "neuroemu_spinnaker" / "IF_cond_exp_I_f_curve.json").read_text())
    values = {r["name"]: r["value"] for r in record["results"]}
    assert values["rate_rms_error"] < 2.0      # Hz, vs the closed-form LIF rate
    assert record["configuration"]["quick"] is True
    assert (out / "neuroemu_spinnaker" / "IF_cond_exp_I_f_curve_I_f.png").exists()
    assert "IF_cond_exp / I_f_curve" in (out / "comparison.md").read_text()
    # --no-run rebuilds the comparison from the records left in --output
    (out / "comparison.md").unlink()
    assert neuroemu_main(["bench", "--suite", str(suite), "--no-run", "--output", str(out),
                          "--systems", "neuroemu_spinnaker"]) == 0
    assert "| IF_cond_exp/I_f_curve | neuroemu_spinnaker |" in (out / "comparison.md").read_text()


def test_python_m_entry_point_and_bad_suite(tmp_path):
    suite = tmp_path / "benchmarks.json"
    suite.write_text('[{"model": {"name": "M"}}]')
    proc = subprocess.run([sys.executable, "-m", "neuroemu.bench", "--suite", str(suite)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert "missing field 'tasks'" in proc.stderr


def test_neuroemu_command_needs_a_subcommand(capsys):
    with pytest.raises(SystemExit) as exc:
        neuroemu_main([])
    assert exc.value.code == 2
    assert "arguments are required: COMMAND" in capsys.readouterr().err
