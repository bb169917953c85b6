"""Mapping reports and mapping-only mode of the SpiNNaker backend.

Rules: every run writes ``mapping.json`` (for programs) and ``mapping.txt`` (for people)
under ``<report_dir>/<timestamp>/run_<n>/``, the path printed once per ``setup``; the JSON
totals are the sums of its rows; ``setup(mapping_only=True)`` maps and reports without
simulating (like sPyNNaker's virtual board, spec §5: empty data), and the neo Block and
Segment carry ``mapping_only=True``. Energy uses the constants of spec §3.3.
"""

from __future__ import annotations

import json

import pyNN.neuroemu_spinnaker as sim
import pytest

from neuroemu.spinnaker import machine as mc


def _network():
    pre = sim.Population(300, sim.SpikeSourcePoisson(rate=20.0), label="noise",
                         additional_parameters={"seed": 3})
    post = sim.Population(600, sim.IF_curr_exp(), label="cells")
    sim.Projection(pre, post, sim.FixedProbabilityConnector(0.1, rng=sim.NumpyRNG(1)),
                   sim.StaticSynapse(weight=0.2, delay=1.0))
    sim.Projection(post, post, sim.FixedProbabilityConnector(0.02, rng=sim.NumpyRNG(2)),
                   sim.StaticSynapse(weight=0.1, delay=50.0))
    post.record("spikes")
    return pre, post


def _reports(tmp_path):
    runs = sorted(tmp_path.glob("*/run_*"))
    return [json.loads((r / "mapping.json").read_text()) for r in runs], runs


def test_report_totals_are_sums_of_rows(tmp_path, capsys):
    sim.setup(timestep=1.0, report_dir=tmp_path)
    _network()
    sim.run(100)
    sim.run(50)
    printed = capsys.readouterr().err
    assert printed.count("mapping reports in") == 1
    reports, runs = _reports(tmp_path)
    assert [r.name for r in runs] == ["run_1", "run_2"]
    rep = reports[0]
    cores, chips, tot = rep["cores"], rep["chips"], rep["totals"]
    assert tot["cores"] == len(cores)
    assert tot["neurons"] == sum(c["neurons"] for c in cores) == 600
    # every connection is one synapse on the core of its target (delayed ones too: the
    # delay-extension cores hold none)
    n_connections = sum(len(p) for p in sim.simulator.state.projections)
    assert tot["synapses"] == sum(c["synapses"] for c in cores) == n_connections
    assert all(c["synapses"] == 0 for c in cores if c["kind"] != "neurons")
    assert tot["synaptic_rows"] == sum(c["synaptic_rows"] for c in cores)
    assert 0 < tot["synaptic_rows"] <= n_connections
    assert tot["sdram_bytes"] == sum(c["sdram_total"] for c in cores)
    assert tot["router_entries"] == sum(c["router_entries"] for c in chips)
    assert tot["chips"] == len({(c["x"], c["y"]) for c in cores})
    for chip in chips:
        here = [c for c in cores if (c["x"], c["y"]) == (chip["x"], chip["y"])]
        assert chip["cores"] == len(here)
        assert chip["sdram_bytes"] == sum(c["sdram_total"] for c in here)
        assert chip["router_entries"] <= chip["router_entries_uncompressed"]
    for c in cores:
        assert c["sdram_total"] == sum(c["sdram"].values())
    kinds = {c["kind"] for c in cores}
    assert kinds == {"neurons", "poisson", "delay_extension"}
    delay = [c for c in cores if c["kind"] == "delay_extension"]
    assert all(c["delay_extension"]["stages"] >= 1 for c in delay)
    assert rep["run"]["ticks"] == 100 and reports[1]["run"]["ticks"] == 50
    assert not reports[0]["run"]["mapping_reused"] and not reports[1]["run"]["mapping_reused"]
    assert rep["provenance"]["packets_lost"] == 0
    assert rep["provenance"]["spikes_sent"] > 0
    text = (runs[0] / "mapping.txt").read_text()
    assert "48-chip board" in text and "delay_extension" in text
    sim.end()


def test_energy_estimate(tmp_path):
    """§3.3 / SpiNNMachine version_5: a boxed 48-chip board idles at 26.84 + 5.04 W;
    0.034 W per active core; 1 nJ (40 bits x 25 pJ) per packet per router."""
    sim.setup(timestep=1.0, report_dir=tmp_path)
    _network()
    sim.run(1000)
    rep = sim.simulator.state.toolchain.machine_stage.last_report
    e = rep["totals"]["energy_joules"]
    assert e["idle"] == pytest.approx((26.84 + 5.04) * 1.0)
    assert e["active_cores"] == pytest.approx(0.034 * rep["totals"]["cores"] * 1.0)
    assert e["router"] == pytest.approx(1e-9 * rep["totals"]["router_packets"])
    assert rep["totals"]["router_packets"] >= rep["provenance"]["packets_routed"] > 0
    assert e["total"] == pytest.approx(e["idle"] + e["active_cores"] + e["router"])
    sim.end()


@pytest.mark.parametrize("name, idle_watts, frame_watts", [
    ("4-chip board", 3.56, 0.0),
    ("48-chip board", 26.84 + 5.04, 0.0),
    ("48 boards", 48 * 26.84 + 2 * 117.0, 2 * 37.163558),
    ("full machine", 1200 * 26.84 + 50 * 117.0, 50 * 37.163558),
])
def test_machine_idle_power(name, idle_watts, frame_watts):
    """SpiNNMachine 7.4.1: 4-chip board 3.56 W; boxed board 26.84 + 5.04 W; boards in
    frames 26.84 W each + 117 W per frame (24 boards) idle + 37.16 W per frame active."""
    e = mc.energy_joules(mc.resolve_machine(name), 0, 0, 10.0)
    assert e["idle"] == pytest.approx(10.0 * idle_watts)
    assert e["frames_active"] == pytest.approx(10.0 * frame_watts)


def test_mapping_only(tmp_path):
    """Mapping only: full report, no simulation, empty data annotated mapping_only=True."""
    sim.setup(timestep=1.0, mapping_only=True, report_dir=tmp_path)
    _, post = _network()
    sim.run(1000)
    assert sim.get_current_time() == 1000.0
    block = post.get_data("spikes")
    seg = block.segments[0]
    assert seg.annotations["mapping_only"] is True
    assert block.annotations["mapping_only"] is True
    assert sum(len(st) for st in seg.spiketrains) == 0
    rep = sim.simulator.state.toolchain.machine_stage.last_report
    assert rep["run"]["mapping_only"] is True
    assert rep["totals"]["cores"] > 0 and rep["provenance"]["packets_routed"] == 0
    assert seg.annotations["mapping_report"].endswith("run_1")
    sim.end()


def test_simulated_data_say_not_mapping_only(tmp_path):
    sim.setup(timestep=1.0, report_dir=tmp_path)
    _, post = _network()
    sim.run(200)
    seg = post.get_data("spikes").segments[0]
    assert seg.annotations["mapping_only"] is False
    assert sum(len(st) for st in seg.spiketrains) > 0
    sim.end()


def test_reports_can_be_switched_off(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sim.setup(timestep=1.0, report_dir=False)
    sim.Population(5, sim.IF_curr_exp())
    sim.run(10)
    assert not any(tmp_path.iterdir())
    assert sim.simulator.state.toolchain.machine_stage.last_report["totals"]["cores"] == 1
    sim.end()


def test_default_report_dir(tmp_path, monkeypatch):
    """Default: ./reports, or $NEUROEMU_REPORT_DIR when set."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEUROEMU_REPORT_DIR", raising=False)
    sim.setup(timestep=1.0)
    sim.Population(5, sim.IF_curr_exp())
    sim.run(10)
    assert len(list((tmp_path / "reports").glob("*/run_1/mapping.json"))) == 1
    sim.end()
    monkeypatch.setenv("NEUROEMU_REPORT_DIR", str(tmp_path / "elsewhere"))
    sim.setup(timestep=1.0)
    sim.Population(5, sim.IF_curr_exp())
    sim.run(10)
    assert len(list((tmp_path / "elsewhere").glob("*/run_1/mapping.txt"))) == 1
    sim.end()


def test_equal_runs_reuse_the_mapping(tmp_path):
    """A loop of equal runs maps once; the reports say so and stay identical in layout."""
    sim.setup(timestep=1.0, report_dir=tmp_path)
    _network()
    for _ in range(3):
        sim.run(20)
    reports, _ = _reports(tmp_path)
    assert [r["run"]["mapping_reused"] for r in reports] == [False, True, True]
    assert reports[0]["cores"] == reports[2]["cores"]
    assert reports[2]["provenance"]["packets_routed"] > reports[1]["provenance"][
        "packets_routed"] > 0
    sim.end()


def test_guidebook_example_report_fits_one_screen(tmp_path):
    """The text report of the guidebook example (examples/simple_example.py) is one
    screen: at most 24 lines, naming the machine, both cores and their chip."""
    sim.setup(timestep=1.0, min_delay=1.0, mapping_only=True, report_dir=tmp_path)
    neurons = sim.Population(100, sim.IF_cond_exp(cm=0.25, tau_m=10.0, tau_refrac=2.0))
    inputs = sim.Population(100, sim.SpikeSourcePoisson(rate=0.0))
    sim.Projection(inputs, neurons, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=0.1, delay=2.0))
    neurons.record("spikes")
    sim.run(10_000.0)
    _, runs = _reports(tmp_path)
    lines = (runs[0] / "mapping.txt").read_text().splitlines()
    assert len(lines) <= 24
    assert lines[1].startswith("machine  48-chip board")
    assert sum(line.startswith("(0,0,") for line in lines) == 2
    sim.end()
