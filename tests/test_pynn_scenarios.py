"""PyNN 0.13's own system scenarios, run against ``pyNN.neuroemu_spinnaker``.

Opt-in: ``pytest --pynn-scenarios tests/test_pynn_scenarios.py``. Without the option every
scenario test is skipped ("use --pynn-scenarios").

The scenarios are the functions in ``test/system/scenarios/test_*.py`` of the PyNN 0.13.0
sdist (fetched at test time by :mod:`pynn_sdist`, never committed). In PyNN 0.13 they are
plain pytest functions taking ``sim`` and decorated with
``@run_with_simulators("nest", "neuron", ...)``; that decorator's list is the set of
simulators PyNN itself runs the scenario on. We import the modules the way PyNN's own
test-suite does (the sdist's ``test`` directory on ``sys.path``, package
``system.scenarios``), collect every decorated ``test*`` function and run each as one
parametrised test (id = scenario function name) with the real backend module as ``sim``,
in a fresh temporary working directory (some scenarios write files).

* Target ``neuroemu_spinnaker``: every scenario runs except those in
  :data:`SPINNAKER_EXCLUDED`, which are reported as xfail (not run) with the reason; set
  ``NEUROEMU_RUN_EXCLUDED=1`` to run them anyway as non-strict xfail (an XPASS then shows
  an exclusion that can go).
* Any other target (``NEUROEMU_PYNN_SIM=nest`` to check the harness on NEST): PyNN's own
  ``run_with_simulators`` list applies, scenarios not listing the target are skipped.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import sys
from collections.abc import Callable

import pytest
from pynn_sdist import pynn_sdist_dir, require_pynn_backend

pytestmark = pytest.mark.slow

#: backend under test; NEUROEMU_PYNN_SIM=nest points the same harness at PyNN's NEST backend
SIMULATOR = os.environ.get("NEUROEMU_PYNN_SIM", "neuroemu_spinnaker")
RUN_EXCLUDED = os.environ.get("NEUROEMU_RUN_EXCLUDED", "") not in ("", "0")

_TM = ("TsodyksMarkramSynapse (short-term plasticity) is not a synapse type of "
       "sPyNNaker 7.4.1")
_I_REC = ("records the injected current with CurrentSource.record()/get_data(); "
          "sPyNNaker 7.4.1 current sources (DC/AC/Step/Noisy) cannot be recorded")

#: scenario name -> why it cannot pass on SpiNNaker (sPyNNaker 7.4.1 feature set)
SPINNAKER_EXCLUDED: dict[str, str] = {
    # cell types / sources the machine does not have
    "test_EIF_cond_alpha_isfa_ista": (
        "EIF_cond_alpha_isfa_ista (AdEx) is not on SpiNNaker: sPyNNaker 7.4.1 raises "
        "'not supported by the tool chain' (scenario also uses dt = 0.01 ms)"),
    "test_HH_cond_exp": (
        "HH_cond_exp is not on SpiNNaker: sPyNNaker 7.4.1 raises 'not supported by the "
        "tool chain' (scenario also uses dt = 0.001 ms)"),
    "test_SpikeSourceGamma": "SpikeSourceGamma is not a source type of sPyNNaker 7.4.1",
    "test_SpikeSourcePoissonRefractory": (
        "SpikeSourcePoissonRefractory is not a source type of sPyNNaker 7.4.1"),
    "test_composed_neuron_model_homogeneous_receptors": (
        "composed PointNeuron models (AdExp/LIF + AlphaPSR/CurrExpPostSynapticResponse, "
        "named receptors AMPA/NMDA/GABAA, '<receptor>.gsyn' recording) are not on "
        "SpiNNaker"),
    "test_scenario1a": (
        "IF_cond_alpha is not on SpiNNaker: sPyNNaker 7.4.1 raises 'not supported by the "
        "tool chain' (its standard cells: IF_curr_exp, IF_cond_exp, IF_curr_alpha, "
        "IF_curr_delta, Izhikevich)"),
    "test_record_vm_and_gsyn_from_assembly": (
        "uses EIF_cond_exp_isfa_ista (AdEx), which sPyNNaker 7.4.1 does not have"),
    "test_scenario4": (
        "uses EIF_cond_exp_isfa_ista (AdEx) and TsodyksMarkramSynapse, neither is on "
        "sPyNNaker 7.4.1"),
    "test_scenario5": (
        "multicompartment neurons (MultiCompartmentNeuron, morphologies, ion channels): "
        "SpiNNaker runs point neurons only (PyNN itself runs it on arbor/neuron only)"),
    # synapse types the machine does not have
    "test_all_to_all_tsodyksmarkram": _TM,
    "test_fixed_number_pre_with_replacement_heterogeneous_parameters": _TM,
    "test_fixed_number_post_with_replacement_heterogeneous_parameters": _TM,
    "test_set_synaptic_parameters_fully_connected": _TM,
    "test_set_synaptic_parameters_partially_connected": _TM,
    "test_set_synaptic_parameters_multiply_connected": _TM,
    "test_issue505": _TM + " (scenario also uses dt = 0.05 ms)",
    "test_simple_stochastic_synapse": (
        "SimpleStochasticSynapse is not a synapse type of sPyNNaker 7.4.1"),
    # features the machine does not have
    "test_issue259": (
        "needs off-grid spike times (setup(spike_precision='off_grid'), spikes at 0.075 "
        "ms with dt = 0.05 ms); SpiNNaker is clock-driven, all spikes are on the grid"),
    "test_issue445": _I_REC,
    "test_issue_465_474_630": _I_REC,
    "test_issue497": _I_REC,
    "test_issue631": _I_REC,
    # how the machine behaves differently from NEST (faithful, so these cannot pass)
    "test_SpikeSourcePoisson": (
        "default time step on SpiNNaker is 1 ms: inter-spike intervals are whole ticks, so the "
        "KS test against a continuous exponential fails at 1000 Hz (as on the machine)"),
    "test_connection_access_weight_and_delay": (
        "weights are held as uint16 at the ring-buffer scale and delays as whole 1 ms ticks, "
        "so read-back values differ from the requested ones (spec §2, §3.2)"),
    "test_all_to_all_static_no_self": (
        "delays 0.2 + 0.3·d are rounded to whole ticks of the default 1 ms time step"),
    "test_fixed_number_pre_no_replacement": (
        "delays 0.2 + 0.3·d are rounded to whole ticks of the default 1 ms time step"),
    "test_fixed_number_post_no_replacement": (
        "delays 0.2 + 0.3·d are rounded to whole ticks of the default 1 ms time step"),
    "test_issue622": (
        "weight 0.015 is read back as the machine holds it (0.0149993896484375, spec §2)"),
    "test_issue231": "expects min_delay 0.5 ms with the default time step, which is 1 ms here",
    "test_issue274": "setup(min_delay=0.5) is below SpiNNaker's default 1 ms time step",
    "test_reset_recording": (
        "expects 0.1 ms default time step and T/dt + 1 samples; SpiNNaker defaults to 1 ms "
        "and records T/dt samples (the value before each tick's update)"),
    "test_sampling_interval": (
        "SpiNNaker records T/dt samples per run (the pre-update value of each tick), not "
        "T/dt + 1 as NEST"),
    "test_issue483": (
        "SpiNNaker records T/dt samples per run (the pre-update value of each tick), not "
        "T/dt + 1 as NEST"),
    "test_issue512": (
        "expects the host to round StepCurrentSource times to the grid and drop duplicates; "
        "sPyNNaker floors them and its step index advances once per tick"),
    "test_scenario2": (
        "asks for spike_precision='off_grid' (SpiNNaker spikes are on the tick grid) and "
        "0.5 % latency accuracy near rheobase; s16.15 LIF latencies there are ~5 % off"),
    "test_scenario3": (
        "initial weights drawn up to w_max are quantised to the machine's 16-bit weights; "
        "the largest is read back as 0.00250244140625 > w_max = 0.0025"),
    "test_changing_electrode": (
        "changes a current source between runs without reset(); on SpiNNaker that needs "
        "reset() (guidebook 6.2.1), neuroemu raises NotImplementedError"),
    "test_issue451": (
        "changes a current source between runs without reset(); on SpiNNaker that needs "
        "reset() (guidebook 6.2.1), neuroemu raises NotImplementedError"),
    "test_issue759": (
        "changes a current source between runs without reset(); on SpiNNaker that needs "
        "reset() (guidebook 6.2.1), neuroemu raises NotImplementedError"),
}

_LATER = ("sPyNNaker 7.4.1 has this feature ({}), neuroemu does not emulate it yet "
          "(planned)")

#: scenarios needing sPyNNaker features that neuroemu has not built yet (not machine limits)
NOT_YET_EMULATED: dict[str, str] = {
    "test_ticket226": _LATER.format("IF_curr_alpha"),
    "test_issue321": _LATER.format("IF_curr_alpha"),
    "test_issue437": _LATER.format("IF_curr_alpha"),
    "test_issue442": _LATER.format("IF_curr_alpha"),
}


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    module: str
    func: Callable | None
    pynn_simulators: tuple[str, ...]
    import_error: str | None = None


def _pynn_simulators(func) -> tuple[str, ...] | None:
    """The simulators named in a scenario's ``@run_with_simulators(...)``, else None."""
    for mark in getattr(func, "pytestmark", []):
        if mark.name == "parametrize" and mark.args and mark.args[0] == "sim":
            return tuple(str(param.id) for param in mark.args[1])
    return None


def collect_scenarios() -> list[Scenario]:
    """Every ``run_with_simulators``-decorated ``test*`` function of the sdist's scenarios."""
    sdist = pynn_sdist_dir()
    test_dir = str(sdist / "test")
    if test_dir not in sys.path:
        sys.path.insert(0, test_dir)
    scenarios: list[Scenario] = []
    for path in sorted((sdist / "test" / "system" / "scenarios").glob("test_*.py")):
        modname = f"system.scenarios.{path.stem}"
        try:
            module = importlib.import_module(modname)
        except Exception as exc:  # noqa: BLE001 - reported as a failing test, not a crash
            scenarios.append(Scenario(f"{path.stem}::import", path.stem, None, (),
                                      f"{type(exc).__name__}: {exc}"))
            continue
        for name, obj in vars(module).items():
            if not (name.startswith("test") and callable(obj)
                    and getattr(obj, "__module__", None) == modname):
                continue
            sims = _pynn_simulators(obj)
            if sims is not None:
                scenarios.append(Scenario(name, path.stem, obj, sims))
    return scenarios


def _single_skip(metafunc, reason: str, param_id: str) -> None:
    metafunc.parametrize(
        "scenario", [pytest.param(None, marks=pytest.mark.skip(reason=reason))], ids=[param_id])


def pytest_generate_tests(metafunc):
    if "scenario" not in metafunc.fixturenames:
        return
    if not metafunc.config.getoption("--pynn-scenarios"):
        _single_skip(metafunc, "use --pynn-scenarios", "pynn-scenarios")
        return
    try:
        scenarios = collect_scenarios()
    except pytest.skip.Exception as exc:
        _single_skip(metafunc, str(exc.msg), "pynn-sdist-unavailable")
        return
    on_spinnaker = SIMULATOR == "neuroemu_spinnaker"
    params = []
    for sc in scenarios:
        marks = []
        if on_spinnaker and sc.name in SPINNAKER_EXCLUDED:
            marks.append(pytest.mark.xfail(reason=SPINNAKER_EXCLUDED[sc.name],
                                           run=RUN_EXCLUDED, strict=False))
        elif on_spinnaker and sc.name in NOT_YET_EMULATED:
            marks.append(pytest.mark.xfail(reason=NOT_YET_EMULATED[sc.name],
                                           raises=NotImplementedError, strict=True))
        elif (not SIMULATOR.startswith("neuroemu") and sc.func is not None
              and SIMULATOR not in sc.pynn_simulators):
            marks.append(pytest.mark.skip(
                reason=f"PyNN runs this scenario only on {', '.join(sc.pynn_simulators)}"))
        params.append(pytest.param(sc, id=sc.name, marks=marks))
    metafunc.parametrize("scenario", params)


def test_spinnaker_exclusions_name_real_scenarios(request):
    """Every key of SPINNAKER_EXCLUDED must be a scenario of the sdist (catches typos)."""
    if not request.config.getoption("--pynn-scenarios"):
        pytest.skip("use --pynn-scenarios")
    names = {sc.name for sc in collect_scenarios()}
    unknown = sorted((set(SPINNAKER_EXCLUDED) | set(NOT_YET_EMULATED)) - names)
    assert not unknown, f"SPINNAKER_EXCLUDED names unknown scenarios: {unknown}"


def test_pynn_scenario(scenario: Scenario, tmp_path, monkeypatch):
    if scenario.import_error is not None:
        pytest.fail(f"could not import PyNN scenario module {scenario.module}: "
                    f"{scenario.import_error}")
    sim = require_pynn_backend(SIMULATOR)
    monkeypatch.chdir(tmp_path)
    scenario.func(sim)
