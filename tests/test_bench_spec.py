"""benchmarks.json loading and the {system} placeholder (guidebook chapter 7.1.1)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from neuroemu.bench.spec import (
    SpecError,
    Task,
    load_suite,
    parse_suite,
    placeholder_restriction,
    select,
    substitute,
)

# the example of chapter 7.1.1 (repository CNRS-UNIC/hardware-benchmarks), verbatim
GUIDEBOOK_EXAMPLE = """
[
{
  "model": {
    "name": "IF_cond_exp",
    "description": "A population of IF neurons, each of which is injected with a different current"
  },
  "tasks": [
    {
      "name": "I_f_curve",
      "command": "run_I_f_curve.py {system}"
    }
  ]
},
{
  "model": {
    "name": "SpikeSourcePoisson",
    "description": "A population of random spike sources, each with different firing rates"
  },
  "tasks": [
    {
      "name": "run20s",
      "command": "run_spike_train_statistics.py {system}"
    }
  ]
}
]
"""

names = st.text(alphabet=st.characters(blacklist_characters="{},=\x00",
                                       blacklist_categories=("Cs",)),
                min_size=1, max_size=20).filter(lambda s: s.strip() == s and s)
plain = st.text(alphabet=st.characters(blacklist_characters="{}", blacklist_categories=("Cs",)),
                max_size=30)


def test_guidebook_example_parses(tmp_path):
    path = tmp_path / "benchmarks.json"
    path.write_text(GUIDEBOOK_EXAMPLE)
    tasks = load_suite(path)
    assert [(t.model, t.name) for t in tasks] == [("IF_cond_exp", "I_f_curve"),
                                                   ("SpikeSourcePoisson", "run20s")]
    assert tasks[0].command_for("nest") == "run_I_f_curve.py nest"
    assert tasks[1].command_for("spiNNaker") == "run_spike_train_statistics.py spiNNaker"


def test_placeholder_replaced_by_backend_name():
    # chapter 7.1.1: "{system}" is replaced by the name of the PyNN backend
    assert substitute("task_3_for_model_B.py --option1={system} arg1 arg2 arg3",
                      "hardware.hbp_pm") == \
        "task_3_for_model_B.py --option1=hardware.hbp_pm arg1 arg2 arg3"
    assert substitute("a.py {system} b {system}", "nest") == "a.py nest b nest"


def test_restricted_placeholder():
    # chapter 7.1.1: "{system=spiNNaker,nest}" lists the suitable backends
    task = Task("M", "t", "run.py {system=spiNNaker,nest} 3")
    assert task.restriction == frozenset({"spiNNaker", "nest"})
    assert task.applies_to("nest") and task.applies_to("spiNNaker")
    assert not task.applies_to("brian2")
    assert task.command_for("nest") == "run.py nest 3"
    with pytest.raises(SpecError, match="restricted to"):
        task.command_for("brian2")


def test_low_level_task_without_placeholder():
    # chapter 7.1.1: low-level benchmarks for one system have no placeholder
    task = Task("M", "t", "lowlevel.py --chip 3")
    assert not task.needs_system
    assert task.restriction is None
    assert task.command_for(None) == "lowlevel.py --chip 3"


def test_placeholder_needs_a_system():
    with pytest.raises(SpecError, match="needs a system"):
        substitute("run.py {system}", None)


def test_empty_restriction_refused():
    with pytest.raises(SpecError, match="empty backend name"):
        placeholder_restriction("run.py {system=}")
    with pytest.raises(SpecError, match="empty backend name"):
        placeholder_restriction("run.py {system=nest,}")


@pytest.mark.parametrize("data, message", [
    ({"model": {}}, "must hold a list"),
    ([{"tasks": []}], "missing field 'model'"),
    ([{"model": {"description": "x"}, "tasks": []}], "missing field 'name'"),
    ([{"model": {"name": "M"}}], "missing field 'tasks'"),
    ([{"model": {"name": "M"}, "tasks": [{"command": "a.py"}]}], "missing field 'name'"),
    ([{"model": {"name": "M"}, "tasks": [{"name": "t"}]}], "missing field 'command'"),
    ([{"model": {"name": "M"}, "tasks": [{"name": "t", "command": ""}]}], "non-empty str"),
    ([{"model": {"name": "M"}, "tasks": [{"name": "t", "command": "a", "long": "yes"}]}],
     "'long' must be true or false"),
    ([{"model": {"name": "M"}, "tasks": [{"name": "t", "command": "a"},
                                         {"name": "t", "command": "b"}]}], "duplicate"),
])
def test_bad_structure_refused(data, message):
    with pytest.raises(SpecError, match=message):
        parse_suite(data)


def test_invalid_json_refused(tmp_path):
    path = tmp_path / "benchmarks.json"
    path.write_text("[{")
    with pytest.raises(SpecError, match="not valid JSON"):
        load_suite(path)


def test_select_by_name_model_wildcard_and_quick():
    tasks = parse_suite([
        {"model": {"name": "VA"}, "tasks": [{"name": "CUBA", "command": "a {system}"},
                                            {"name": "COBA", "command": "b {system}"}]},
        {"model": {"name": "PD"}, "tasks": [{"name": "big", "command": "c {system}",
                                             "long": True}]},
    ])
    assert [t.name for t in select(tasks, None, quick=False)] == ["CUBA", "COBA", "big"]
    assert [t.name for t in select(tasks, None, quick=True)] == ["CUBA", "COBA"]
    assert [t.name for t in select(tasks, ["VA"], quick=False)] == ["CUBA", "COBA"]
    assert [t.name for t in select(tasks, ["VA/CO*"], quick=False)] == ["COBA"]
    assert [t.name for t in select(tasks, ["big"], quick=True)] == []


def test_repository_suite_is_valid():
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "benchmarks.json"
    tasks = load_suite(path)
    assert all(t.needs_system for t in tasks)
    for t in tasks:   # every command names a script that exists next to the suite
        assert (path.parent / t.command.split()[0]).exists(), t.command
    assert json.loads(path.read_text())  # plain JSON, no neuroemu-only syntax


@given(prefix=plain, suffix=plain, system=names)
def test_substitution_property(prefix, suffix, system):
    command = f"{prefix}{{system}}{suffix}"
    assert substitute(command, system) == prefix + system + suffix


@given(allowed=st.lists(names, min_size=1, max_size=4, unique=True), system=names)
def test_restriction_property(allowed, system):
    task = Task("M", "t", f"run.py {{system={','.join(allowed)}}}")
    assert task.applies_to(system) == (system in allowed)
    if system in allowed:
        assert task.command_for(system) == f"run.py {system}"
