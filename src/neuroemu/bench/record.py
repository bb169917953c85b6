"""The JSON result record of one benchmark task (guidebook chapter 7.1.2), and its checks.

A record is ``{"model", "task", "timestamp", "results": [...], "configuration"?}``; each
result has ``type``, ``name``, ``value`` (a float) and ``measure``, optionally ``units``,
``std_dev``, ``min``, ``max``. Result names are unique within a record.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping

REQUIRED = ("model", "task", "timestamp", "results")
OPTIONAL = ("configuration",)
RESULT_REQUIRED = ("type", "name", "value", "measure")
RESULT_OPTIONAL = ("units", "std_dev", "min", "max")
_NUMERIC = ("value", "std_dev", "min", "max")


class RecordError(ValueError):
    """A result record does not follow guidebook chapter 7.1.2."""


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _check_fields(obj: Mapping, required, optional, where: str) -> None:
    """Raise :class:`RecordError` for a missing required or an unknown field."""
    for key in required:
        if key not in obj:
            raise RecordError(f"{where}: missing field {key!r}")
    unknown = set(obj) - set(required) - set(optional)
    if unknown:
        raise RecordError(f"{where}: unknown fields {sorted(unknown)}")


def check_result(result: Mapping, where: str = "result") -> None:
    """Raise :class:`RecordError` naming the field if ``result`` is not a valid entry."""
    if not isinstance(result, Mapping):
        raise RecordError(f"{where}: must be an object, got {type(result).__name__}")
    _check_fields(result, RESULT_REQUIRED, RESULT_OPTIONAL, where)
    for key in ("type", "name", "measure", "units"):
        if key in result and not (isinstance(result[key], str) and result[key].strip()):
            raise RecordError(f"{where}: {key!r} must be a non-empty string, "
                              f"got {result[key]!r}")
    for key in _NUMERIC:
        if key in result and not _is_number(result[key]):
            raise RecordError(f"{where}: {key!r} must be a number, got {result[key]!r}")
    if "std_dev" in result and result["std_dev"] < 0:
        raise RecordError(f"{where}: 'std_dev' must be >= 0, got {result['std_dev']!r}")
    if "min" in result and "max" in result and result["min"] > result["max"]:
        raise RecordError(f"{where}: 'min' {result['min']!r} > 'max' {result['max']!r}")


def check_record(record: Mapping, model: str | None = None, task: str | None = None) -> None:
    """Raise :class:`RecordError` if ``record`` is not a valid chapter 7.1.2 record.

    With ``model``/``task`` given, the record must name that model and task (they must match
    ``benchmarks.json``).
    """
    if not isinstance(record, Mapping):
        raise RecordError(f"record must be an object, got {type(record).__name__}")
    _check_fields(record, REQUIRED, OPTIONAL, "record")
    for key, expected in (("model", model), ("task", task)):
        if not isinstance(record[key], str) or not record[key]:
            raise RecordError(f"record: {key!r} must be a non-empty string, got {record[key]!r}")
        if expected is not None and record[key] != expected:
            raise RecordError(f"record: {key!r} is {record[key]!r}, benchmarks.json says "
                              f"{expected!r}")
    try:
        datetime.datetime.fromisoformat(record["timestamp"])
    except (TypeError, ValueError) as exc:
        raise RecordError(f"record: 'timestamp' must be ISO 8601, got "
                          f"{record['timestamp']!r}") from exc
    if not isinstance(record["results"], list):
        raise RecordError("record: 'results' must be a list")
    names: set[str] = set()
    for i, result in enumerate(record["results"]):
        check_result(result, f"record result {i}")
        if result["name"] in names:
            raise RecordError(f"record result {i}: duplicate name {result['name']!r}")
        names.add(result["name"])
    if "configuration" in record and not isinstance(record["configuration"], Mapping):
        raise RecordError("record: 'configuration' must be an object")


def make_result(type: str, name: str, value: float, measure: str, units: str | None = None,
                std_dev: float | None = None, min: float | None = None,
                max: float | None = None) -> dict:
    """One checked result entry; optional fields left out when None. NaN/inf are refused
    because JSON has no such numbers."""
    entry: dict = {"type": type, "name": name, "value": float(value), "measure": measure}
    for key, x in (("units", units), ("std_dev", std_dev), ("min", min), ("max", max)):
        if x is not None:
            entry[key] = x if key == "units" else float(x)
    for key in _NUMERIC:
        if key in entry and not math.isfinite(entry[key]):
            raise RecordError(f"result {name!r}: {key!r} must be finite, got {entry[key]!r}")
    check_result(entry, f"result {name!r}")
    return entry
