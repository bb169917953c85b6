"""Load a ``benchmarks.json`` suite and expand its ``{system}`` placeholders.

Guidebook chapter 7.1.1: the file is a list of ``{"model": {"name", "description"},
"tasks": [{"name", "command"}]}``. A command containing ``{system}`` is run once per PyNN
backend, the placeholder replaced by the backend name; ``{system=a,b}`` restricts the task
to the listed backends. A command without a placeholder is a low-level task for one
platform and is run once, with no system.

neuroemu extension (optional keys of a task, ignored by other runners): ``"long": true``
marks a task that ``--quick`` skips.
"""

from __future__ import annotations

import dataclasses
import json
import re
from fnmatch import fnmatchcase
from pathlib import Path

#: ``{system}`` or ``{system=name1,name2}``
PLACEHOLDER = re.compile(r"\{system(?:=([^{}]*))?\}")


class SpecError(ValueError):
    """``benchmarks.json`` does not have the structure of guidebook chapter 7.1.1."""


@dataclasses.dataclass(frozen=True)
class Task:
    model: str
    name: str
    command: str
    long: bool = False

    @property
    def restriction(self) -> frozenset[str] | None:
        """Backends the task is limited to (``{system=a,b}``), or None if unrestricted."""
        return placeholder_restriction(self.command)

    @property
    def needs_system(self) -> bool:
        return PLACEHOLDER.search(self.command) is not None

    def applies_to(self, system: str) -> bool:
        allowed = self.restriction
        return allowed is None or system in allowed

    def command_for(self, system: str | None) -> str:
        """The command with every placeholder replaced by ``system``."""
        return substitute(self.command, system)


def placeholder_restriction(command: str) -> frozenset[str] | None:
    """The union of the backends listed in ``{system=...}`` placeholders, None if none lists any.

    Raises :class:`SpecError` for an empty list (``{system=}``) or an empty name.
    """
    allowed: set[str] = set()
    restricted = False
    for match in PLACEHOLDER.finditer(command):
        if match.group(1) is None:
            continue
        names = [n.strip() for n in match.group(1).split(",")]
        if not all(names):
            raise SpecError(f"empty backend name in placeholder {match.group(0)!r} "
                            f"of command {command!r}")
        restricted = True
        allowed.update(names)
    return frozenset(allowed) if restricted else None


def substitute(command: str, system: str | None) -> str:
    """Replace ``{system}`` / ``{system=...}`` by ``system``.

    Raises :class:`SpecError` if the command has a placeholder and ``system`` is None, or if
    ``system`` is not one of the backends a restricted placeholder allows.
    """
    if PLACEHOLDER.search(command) is None:
        return command
    if system is None:
        raise SpecError(f"command {command!r} needs a system for its {{system}} placeholder")
    allowed = placeholder_restriction(command)
    if allowed is not None and system not in allowed:
        raise SpecError(f"command {command!r} is restricted to {sorted(allowed)}, "
                        f"not {system!r}")
    return PLACEHOLDER.sub(lambda _m: system, command)


def _require(obj: dict, key: str, kind: type, where: str):
    if not isinstance(obj, dict) or key not in obj:
        raise SpecError(f"{where}: missing field {key!r}")
    value = obj[key]
    if not isinstance(value, kind) or (kind is str and not value.strip()):
        raise SpecError(f"{where}: field {key!r} must be a non-empty {kind.__name__}, "
                        f"got {value!r}")
    return value


def parse_suite(data: object) -> list[Task]:
    """Tasks of a decoded ``benchmarks.json``, in file order; checks the structure."""
    if not isinstance(data, list):
        raise SpecError(f"benchmarks.json must hold a list of models, got {type(data).__name__}")
    tasks: list[Task] = []
    seen: set[tuple[str, str]] = set()
    for i, entry in enumerate(data):
        model = _require(entry, "model", dict, f"entry {i}")
        model_name = _require(model, "name", str, f"entry {i} model")
        for j, task in enumerate(_require(entry, "tasks", list, f"model {model_name!r}")):
            where = f"model {model_name!r} task {j}"
            name = _require(task, "name", str, where)
            command = _require(task, "command", str, where)
            placeholder_restriction(command)
            long = task.get("long", False)
            if not isinstance(long, bool):
                raise SpecError(f"{where}: field 'long' must be true or false, got {long!r}")
            if (model_name, name) in seen:
                raise SpecError(f"{where}: duplicate task name {name!r}")
            seen.add((model_name, name))
            tasks.append(Task(model=model_name, name=name, command=command, long=long))
    return tasks


def load_suite(path: str | Path) -> list[Task]:
    """Read and check a ``benchmarks.json`` file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise SpecError(f"{path}: not valid JSON ({exc})") from exc
    return parse_suite(data)


def select(tasks: list[Task], patterns: list[str] | None, quick: bool) -> list[Task]:
    """Tasks matching any of ``patterns`` (``task``, ``model``, ``model/task``; shell-style
    wildcards allowed), without the ``long`` ones when ``quick``."""
    def wanted(t: Task) -> bool:
        if not patterns:
            return True
        keys = (t.name, t.model, f"{t.model}/{t.name}")
        return any(fnmatchcase(k, p) for p in patterns for k in keys)

    return [t for t in tasks if wanted(t) and not (quick and t.long)]
