"""Compare the records of several systems: value tables with ratios to a baseline system,
and the correlation of per-population firing rates with the baseline's."""

from __future__ import annotations

import math

import numpy as np

from neuroemu.bench.runner import OK, Outcome

#: results with this measure are per-population firing rates, correlated across systems
RATE_MEASURE = "rate"


def _by_task(outcomes: list[Outcome]) -> dict[tuple[str, str], dict[str, dict]]:
    """{(model, task): {system: record}} of the successful runs, in run order."""
    table: dict[tuple[str, str], dict[str, dict]] = {}
    for o in outcomes:
        if o.status == OK and o.record is not None:
            table.setdefault((o.task.model, o.task.name), {})[o.system or "native"] = o.record
    return table


def _values(record: dict) -> dict[str, dict]:
    return {r["name"]: r for r in record["results"]}


def rate_correlation(record: dict, baseline: dict) -> tuple[float, int]:
    """Pearson correlation of the quality results with measure ``rate`` (per-population
    rates) common to both records, and how many there were; nan below 3 or with no
    variance."""
    a, b = _values(record), _values(baseline)
    names = sorted(n for n in a if n in b and a[n]["type"] == "quality"
                   and a[n]["measure"] == RATE_MEASURE and b[n]["measure"] == RATE_MEASURE)
    if len(names) < 3:
        return float("nan"), len(names)
    x = np.array([a[n]["value"] for n in names])
    y = np.array([b[n]["value"] for n in names])
    if x.std() == 0 or y.std() == 0:
        return float("nan"), len(names)
    return float(np.corrcoef(x, y)[0, 1]), len(names)


def comparisons(outcomes: list[Outcome], baseline: str | None) -> list[dict]:
    """Per task: the systems' values, ratios to ``baseline`` and rate correlations."""
    out = []
    for (model, task), records in _by_task(outcomes).items():
        base = records.get(baseline) if baseline else None
        base_values = _values(base) if base else {}
        entry: dict = {"model": model, "task": task, "baseline": baseline if base else None,
                       "systems": {}}
        for system, record in records.items():
            sys_entry: dict = {"values": {}, "ratios": {}}
            for name, r in _values(record).items():
                sys_entry["values"][name] = {k: r[k] for k in ("value", "units", "type")
                                             if k in r}
                b = base_values.get(name)
                if b is not None and b["value"] != 0 and system != baseline:
                    sys_entry["ratios"][name] = r["value"] / b["value"]
            if base is not None and system != baseline:
                corr, n = rate_correlation(record, base)
                if n >= 3:
                    sys_entry["rate_correlation"] = None if math.isnan(corr) else corr
                    sys_entry["rate_correlation_n"] = n
            entry["systems"][system] = sys_entry
        out.append(entry)
    return out


def _fmt(value: float, units: str | None) -> str:
    mag = abs(value)
    if units == "B":
        return f"{value / 2**20:.0f} MiB"
    if mag != 0 and (mag >= 1e4 or mag < 1e-3):
        txt = f"{value:.3g}"
    elif float(value).is_integer():
        txt = f"{value:.0f}"
    else:
        txt = f"{value:.3g}" if mag < 10 else f"{value:.1f}"
    return f"{txt} {units}" if units else txt


def markdown(comps: list[dict]) -> str:
    """One markdown table per task: a row per result, a column per system; ``(×r)`` is the
    ratio to the baseline's value."""
    parts = []
    for c in comps:
        systems = list(c["systems"])
        if c["baseline"] in systems:
            systems.remove(c["baseline"])
            systems.insert(0, c["baseline"])
        head = f"#### {c['model']} / {c['task']}"
        if c["baseline"]:
            head += f" (ratios to {c['baseline']})"
        rows = ["| result | " + " | ".join(systems) + " |",
                "|---|" + "---|" * len(systems)]
        names: list[str] = []
        for s in systems:
            names += [n for n in c["systems"][s]["values"] if n not in names]
        for name in names:
            cells = []
            for s in systems:
                v = c["systems"][s]["values"].get(name)
                if v is None:
                    cells.append("–")
                    continue
                txt = _fmt(v["value"], v.get("units"))
                ratio = c["systems"][s]["ratios"].get(name)
                if ratio is not None:
                    txt += f" (×{ratio:.3g})"
                cells.append(txt)
            rows.append(f"| {name} | " + " | ".join(cells) + " |")
        corr = [(s, c["systems"][s]) for s in systems if "rate_correlation" in c["systems"][s]]
        for s, e in corr:
            r = e["rate_correlation"]
            rows.append(f"| rate correlation with {c['baseline']} ({s}, "
                        f"{e['rate_correlation_n']} populations) | "
                        + " | ".join(("–" if x != s else ("nan" if r is None else f"{r:.3f}"))
                                     for x in systems) + " |")
        parts.append(head + "\n\n" + "\n".join(rows))
    return "\n\n".join(parts) + "\n"


#: the performance results of the overview table, with their column titles
OVERVIEW = (("setup_time", "setup"), ("run_time", "run"), ("real_time_factor", "RTF"),
            ("simulation_real_time_factor", "simulation RTF"), ("peak_memory", "peak memory"),
            ("synaptic_events_per_s", "syn. events/s"))


def overview(comps: list[dict]) -> str:
    """One markdown row per task and system: the OVERVIEW results (with ratios to the
    baseline) and the rate correlation with the baseline."""
    rows = ["| task | system | " + " | ".join(t for _, t in OVERVIEW) + " | rate corr. |",
            "|---|---|" + "---|" * (len(OVERVIEW) + 1)]
    for c in comps:
        systems = sorted(c["systems"], key=lambda s: (s != c["baseline"], s))
        for s in systems:
            e = c["systems"][s]
            cells = []
            for name, _ in OVERVIEW:
                v = e["values"].get(name)
                txt = "–" if v is None else _fmt(v["value"], v.get("units"))
                if name in e["ratios"]:
                    txt += f" (×{e['ratios'][name]:.2g})"
                cells.append(txt)
            r = e.get("rate_correlation")
            cells.append("–" if r is None else f"{r:.2f}")
            rows.append(f"| {c['model']}/{c['task']} | {s} | " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def run_time_figure(comps: list[dict], path) -> None:
    """Grouped bars of ``run_time`` per task and system (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = [c for c in comps if any("run_time" in e["values"] for e in c["systems"].values())]
    if not tasks:
        return
    systems = sorted({s for c in tasks for s in c["systems"]})
    width = 0.8 / len(systems)
    fig, ax = plt.subplots(figsize=(max(6, 1.4 * len(tasks)), 4))
    for i, s in enumerate(systems):
        ys = [c["systems"].get(s, {}).get("values", {}).get("run_time", {}).get("value",
                                                                                np.nan)
              for c in tasks]
        ax.bar(np.arange(len(tasks)) + i * width, ys, width, label=s)
    ax.set_xticks(np.arange(len(tasks)) + 0.4 - width / 2)
    ax.set_xticklabels([f"{c['model']}\n{c['task']}" for c in tasks], fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("run time (s)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
