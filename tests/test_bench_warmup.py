"""The Numba warm-up of ``neuroemu bench``: run once per neuroemu system before its first task,
never for NEST/Brian2, its time reported on its own (progress line and ``summary.json``) and
in the task records' configuration, skipped by ``--no-warmup``. Everything runs for real: the
warm-up network on the emulated machine, the tasks in subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from neuroemu.bench.runner import OK, TIMEOUT, needs_warmup, warm_up
from neuroemu.bench.task import WARMUP_ENV, warmup_configuration
from neuroemu.bench.warmup import CELL_TYPES
from neuroemu.cli import main as neuroemu_main

# a task that only writes its record (with TaskRun, so its configuration holds what the
# runner said about the Numba cache)
TOY = textwrap.dedent("""
    import sys
    from neuroemu.bench.task import TaskRun
    run = TaskRun("Toy", sys.argv[2], sys.argv[1])
    run.performance("run_time", 1.0, "time", "s")
    run.write()
""")


def _suite(tmp_path):
    (tmp_path / "toy.py").write_text(TOY)
    suite = tmp_path / "benchmarks.json"
    suite.write_text(json.dumps([{
        "model": {"name": "Toy", "description": "two tasks, so a warm-up per task would show"},
        "tasks": [{"name": "t1", "command": "toy.py {system} t1"},
                  {"name": "t2", "command": "toy.py {system} t2"}],
    }]))
    return suite


def _bench(suite, out, *extra) -> int:
    return neuroemu_main(["bench", "--suite", str(suite), "--output", str(out),
                          "--systems", "nest,neuroemu_spinnaker,brian2",
                          "--baseline", "neuroemu_spinnaker", *extra])


def _configuration(out, system, task):
    return json.loads((out / system / f"Toy_{task}.json").read_text())["configuration"]


def test_only_installed_neuroemu_machines_are_warmed():
    assert needs_warmup("neuroemu_spinnaker")
    assert needs_warmup("neuroemu_spikey")
    for system in ("nest", "brian2", "neuron", "neuroemu_nosuchmachine", None):
        assert not needs_warmup(system)


@pytest.mark.slow
def test_warmup_runs_once_per_neuroemu_system_before_its_tasks(tmp_path, capsys):
    suite, out = _suite(tmp_path), tmp_path / "results"
    assert _bench(suite, out) == 0
    captured = capsys.readouterr()
    err = captured.err
    # one warm-up line, for the neuroemu system only, before its first task
    assert err.count("warm-up [") == 1
    assert err.index("warm-up [neuroemu_spinnaker]") < err.index("Toy/t1 [neuroemu_spinnaker]")
    assert err.index("Toy/t1 [nest]") < err.index("warm-up [neuroemu_spinnaker]")
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["warmup"]) == {"neuroemu_spinnaker"}
    warm = summary["warmup"]["neuroemu_spinnaker"]
    assert warm["status"] == OK and warm["warmup_s"] > 0
    assert summary["meta"]["numba_warmup"] is True
    # the warm-up network ran every cell type SpiNNaker offers and skipped Spikey's
    ran = json.loads(warm["message"])
    assert ran["cell_types"] == ["IF_curr_exp", "IF_cond_exp", "IF_curr_delta"]
    assert ran["skipped"] == ["IF_facets_hardware1"]
    assert ran["generated_projection"] is True   # the synapse expander's kernels too
    assert (out / "neuroemu_spinnaker" / "warmup.log").exists()
    # the warm-up is in no task's time but every neuroemu record says the cache was warm
    for task in ("t1", "t2"):
        conf = _configuration(out, "neuroemu_spinnaker", task)
        assert conf["numba_cache_warmed"] is True
        assert conf["warmup_s"] == pytest.approx(warm["warmup_s"], rel=1e-5)
        if (out / "nest" / f"Toy_{task}.json").exists():  # nest installed
            assert "numba_cache_warmed" not in _configuration(out, "nest", task)
    assert "warm-up [neuroemu_spinnaker]: ok" in captured.out
    assert "Numba cache warmed before timing by a warm-up run" in captured.out


def test_no_warmup_skips_it_and_records_say_so(tmp_path, capsys):
    suite, out = _suite(tmp_path), tmp_path / "results"
    assert _bench(suite, out, "--no-warmup") == 0
    err = capsys.readouterr().err
    assert "warm-up [neuroemu_spinnaker] (Numba cache; timed in no task) ... skipped" in err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["warmup"] == {"neuroemu_spinnaker": {
        "status": "skipped", "warmup_s": 0.0, "message": "--no-warmup", "log": None}}
    assert summary["meta"]["numba_warmup"] is False
    assert not (out / "neuroemu_spinnaker" / "warmup.log").exists()
    assert _configuration(out, "neuroemu_spinnaker", "t1")["numba_cache_warmed"] is False
    # --no-run runs nothing, the warm-up neither
    assert _bench(suite, out, "--no-run") == 0
    assert json.loads((out / "summary.json").read_text())["warmup"] == {}


def test_warmup_timeout_is_reported(tmp_path):
    warm = warm_up("neuroemu_spinnaker", tmp_path, timeout=0.05)
    assert warm.status == TIMEOUT
    assert "no result after 0.05 s" in warm.message


def test_record_configuration_follows_the_runner(monkeypatch):
    monkeypatch.delenv(WARMUP_ENV, raising=False)
    assert warmup_configuration() == {}
    monkeypatch.setenv(WARMUP_ENV, "none")
    assert warmup_configuration() == {"numba_cache_warmed": False}
    monkeypatch.setenv(WARMUP_ENV, "12.5")
    assert warmup_configuration() == {"numba_cache_warmed": True, "warmup_s": 12.5}


def test_warmup_refuses_a_system_without_numba():
    proc = subprocess.run([sys.executable, "-m", "neuroemu.bench.warmup", "nest"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert "system 'nest': only neuroemu_<machine> backends" in proc.stderr


@pytest.mark.slow
def test_spikey_warmup_runs_its_own_neuron(tmp_path):
    warm = warm_up("neuroemu_spikey", tmp_path, timeout=600)
    assert warm.status == OK, warm.message
    assert warm.log == tmp_path / "neuroemu_spikey" / "warmup.log"
    assert json.loads(warm.message) == {
        "system": "neuroemu_spikey", "cell_types": ["IF_facets_hardware1"],
        "skipped": [t for t in CELL_TYPES if t != "IF_facets_hardware1"],
        "generated_projection": False}
