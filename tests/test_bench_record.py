"""The JSON result record of a task (guidebook chapter 7.1.2) and the TaskRun writer."""

from __future__ import annotations

import copy
import json
import math
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

from neuroemu.bench.record import RecordError, check_record, make_result
from neuroemu.bench.task import QUICK_ENV, RECORD_ENV, TaskRun, quick

# the example record of chapter 7.1.2, verbatim
GUIDEBOOK_RECORD = json.loads("""
{
  "model": "ModelB",
  "task": "taskB3alpha",
  "timestamp": "2015-06-05T11:13:59.535885",
  "results": [
    {"type": "quality", "name": "norm_diff_frequency", "value": 0.0073371188622418891,
     "measure": "norm"},
    {"type": "performance", "name": "setup_time", "value": 0.026206016540527344,
     "units": "s", "measure": "time"},
    {"type": "performance", "name": "run_time", "value": 1.419724941253662, "units": "s",
     "measure": "time"},
    {"type": "performance", "name": "closing_time", "value": 0.03272294998168945,
     "units": "s", "measure": "time"}
  ]
}
""")


def test_guidebook_record_is_valid():
    check_record(GUIDEBOOK_RECORD, model="ModelB", task="taskB3alpha")


@pytest.mark.parametrize("field", ["model", "task", "timestamp", "results"])
def test_required_record_fields(field):
    rec = copy.deepcopy(GUIDEBOOK_RECORD)
    del rec[field]
    with pytest.raises(RecordError, match=f"missing field '{field}'"):
        check_record(rec)


@pytest.mark.parametrize("field", ["type", "name", "value", "measure"])
def test_required_result_fields(field):
    rec = copy.deepcopy(GUIDEBOOK_RECORD)
    del rec["results"][1][field]
    with pytest.raises(RecordError, match=f"result 1: missing field '{field}'"):
        check_record(rec)


def test_optional_fields_accepted():
    rec = copy.deepcopy(GUIDEBOOK_RECORD)
    rec["configuration"] = {"system": "nest", "n": 4000}
    rec["results"][0].update(units="Hz", std_dev=0.1, min=0.0, max=1.0)
    check_record(rec)


@pytest.mark.parametrize("key, value, message", [
    ("value", "1.0", "'value' must be a number"),
    ("value", True, "'value' must be a number"),
    ("std_dev", -1.0, "'std_dev' must be >= 0"),
    ("min", "0", "'min' must be a number"),
    ("units", "", "'units' must be a non-empty string"),
    ("measure", 3, "'measure' must be a non-empty string"),
    ("colour", "red", "unknown fields"),
])
def test_bad_result_fields(key, value, message):
    rec = copy.deepcopy(GUIDEBOOK_RECORD)
    rec["results"][0][key] = value
    with pytest.raises(RecordError, match=message):
        check_record(rec)


def test_min_above_max_refused():
    rec = copy.deepcopy(GUIDEBOOK_RECORD)
    rec["results"][0].update(min=2.0, max=1.0)
    with pytest.raises(RecordError, match="'min' 2.0 > 'max' 1.0"):
        check_record(rec)


def test_record_level_errors():
    rec = copy.deepcopy(GUIDEBOOK_RECORD)
    with pytest.raises(RecordError, match="benchmarks.json says 'ModelA'"):
        check_record(rec, model="ModelA")
    with pytest.raises(RecordError, match="benchmarks.json says 'other'"):
        check_record(rec, task="other")
    rec["timestamp"] = "yesterday"
    with pytest.raises(RecordError, match="ISO 8601"):
        check_record(rec)
    rec = copy.deepcopy(GUIDEBOOK_RECORD)
    rec["results"][1]["name"] = rec["results"][0]["name"]
    with pytest.raises(RecordError, match="duplicate name"):
        check_record(rec)
    rec = copy.deepcopy(GUIDEBOOK_RECORD)
    rec["configuration"] = [1, 2]
    with pytest.raises(RecordError, match="'configuration' must be an object"):
        check_record(rec)
    rec = copy.deepcopy(GUIDEBOOK_RECORD)
    rec["extra"] = 1
    with pytest.raises(RecordError, match="unknown fields"):
        check_record(rec)


def test_make_result_leaves_out_missing_optionals_and_refuses_nan():
    assert make_result("performance", "run_time", 2, "time", "s") == {
        "type": "performance", "name": "run_time", "value": 2.0, "measure": "time",
        "units": "s"}
    with pytest.raises(RecordError, match="must be finite"):
        make_result("quality", "cv", float("nan"), "cv")


def test_taskrun_writes_a_valid_record_where_the_runner_says(tmp_path, monkeypatch):
    target = tmp_path / "out" / "rec.json"
    monkeypatch.setenv(RECORD_ENV, str(target))
    monkeypatch.setenv(QUICK_ENV, "1")
    assert quick()
    run = TaskRun("M", "t", "nest")

    def stage():
        with run.timed("run_time"):
            for _ in range(2):
                warnings.warn("4 ring-buffer additions saturated", UserWarning, stacklevel=1)

    with pytest.warns(UserWarning, match="saturated"):  # kept, and still shown
        stage()
    run.add_run_performance(sim_duration_ms=500.0, synaptic_events=1000.0)
    run.quality("rate_exc", 5.0, "rate", "Hz")
    assert run.write() == target
    data = json.loads(target.read_text())
    check_record(data, model="M", task="t")
    values = {r["name"]: r for r in data["results"]}
    run_time = values["run_time"]["value"]
    # real-time factor = run time / simulated time (0.5 s)
    assert math.isclose(values["real_time_factor"]["value"], run_time / 0.5)
    assert math.isclose(values["synaptic_events_per_s"]["value"], 1000.0 / run_time)
    assert values["peak_memory"]["units"] == "B" and values["peak_memory"]["value"] > 0
    assert data["configuration"] == {"system": "nest", "quick": True, "warnings": [
        "UserWarning: 4 ring-buffer additions saturated"]}
    assert run.figure_path("raster") == tmp_path / "out" / "rec_raster.png"


def test_no_synaptic_events_for_a_network_without_synapses():
    run = TaskRun("M", "t", "nest")
    with run.timed("run_time"):
        pass
    run.add_run_performance(sim_duration_ms=1000.0, synaptic_events=None)
    names = {r["name"] for r in run.record()["results"]}
    assert names == {"run_time", "real_time_factor", "peak_memory"}


def test_taskrun_default_path_without_runner(monkeypatch):
    monkeypatch.delenv(RECORD_ENV, raising=False)
    assert str(TaskRun("M", "t", "nest").record_path()) == "M_t_nest.json"


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@given(value=finite, std=st.floats(min_value=0, max_value=1e300), lo=finite, hi=finite)
def test_results_survive_json(value, std, lo, hi):
    lo, hi = min(lo, hi), max(lo, hi)
    entry = make_result("quality", "x", value, "norm", "Hz", std_dev=std, min=lo, max=hi)
    rec = {"model": "M", "task": "t", "timestamp": "2026-01-01T00:00:00", "results": [entry]}
    again = json.loads(json.dumps(rec))
    check_record(again)
    assert again["results"][0] == entry


def test_synapse_storage_of_an_emulated_spinnaker_run(tmp_path):
    """All-to-all 10 -> 20 on one core each: 200 words of 4 bytes, 10 rows (one per source
    neuron) of 6 bytes, two 8-byte pointers per key and one more (31 keys = 30 atoms + 1):
    (800 + 60 + 16 * 31) / 200 = 6.78 bytes per synapse."""
    import pyNN.neuroemu_spinnaker as sim

    run = TaskRun("M", "t", "neuroemu_spinnaker")
    run.backend = sim
    sim.setup(timestep=1.0, report_dir=tmp_path)
    pre = sim.Population(10, sim.SpikeSourceArray(spike_times=[1.0]))
    post = sim.Population(20, sim.IF_curr_exp())
    sim.Projection(pre, post, sim.AllToAllConnector(), sim.StaticSynapse(weight=0.5, delay=1.0))
    with run.timed("run_time"):
        sim.run(5.0)
    run.add_run_performance(sim_duration_ms=5.0, synaptic_events=10 * 20)
    values = {r["name"]: r for r in run.record()["results"]}
    assert values["synapse_storage"]["units"] == "B/synapse"
    assert math.isclose(values["synapse_storage"]["value"], (800 + 60 + 16 * 31) / 200)
    sim.end()


def test_simulation_time_of_an_emulated_spinnaker_run(tmp_path):
    """A neuroemu run() maps the network the first time and then simulates it: the record
    keeps the machine loop's own time (the report's ``simulation`` stage) and its real-time
    factor beside run_time, which holds both."""
    import pyNN.neuroemu_spinnaker as sim

    run = TaskRun("M", "t", "neuroemu_spinnaker")
    run.backend = sim
    sim.setup(timestep=0.1, report_dir=tmp_path)
    pop = sim.Population(30, sim.IF_curr_exp(i_offset=1.0))
    pop.record("spikes")
    with run.timed("run_time"):
        sim.run(50.0)
    run.add_run_performance(sim_duration_ms=50.0, synaptic_events=None)
    values = {r["name"]: r for r in run.record()["results"]}
    report = sim.simulator.state.toolchain.machine_stage.last_report
    simulation = values["simulation_time"]["value"]
    assert simulation == report["timings_s"]["simulation"]
    assert 0 < simulation < values["run_time"]["value"]
    assert values["simulation_time"]["units"] == "s"
    assert math.isclose(values["simulation_real_time_factor"]["value"], simulation / 0.05)
    sim.end()


def test_no_simulation_time_without_a_toolchain_that_reports_it():
    """A backend that does not report its loop's time (PyNN's NEST, Brian2) gets only
    run_time and real_time_factor."""
    run = TaskRun("M", "t", "other")
    run.backend = None
    run.performance("run_time", 2.0, "time", "s")
    run.add_run_performance(sim_duration_ms=1000.0, synaptic_events=None)
    names = {r["name"] for r in run.record()["results"]}
    assert {"run_time", "real_time_factor"} <= names
    assert not names & {"simulation_time", "simulation_real_time_factor"}
