"""The mapping report of a run: ``mapping.json`` for programs, ``mapping.txt`` for people.

Written to ``<report_dir>/<setup timestamp>/run_<n>/`` (``setup(report_dir=...)``, default
``./reports``). Per core (x, y, p): kind, population slice, neurons, keys, SDRAM bytes by
region, DTCM bytes, delay-extension stages; per chip: cores, SDRAM of the application cores and of the system cores (extra
monitor, packet gatherer), free SDRAM, router entries;
totals (sums of the rows), energy estimate, stage times and provenance counters.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from neuroemu.spinnaker import machine as mc
from neuroemu.spinnaker import sdram
from neuroemu.spinnaker.machine_map import MachineMap


def build_report(mm: MachineMap, run: dict, provenance: dict, timings: dict,
                 router_packets: int) -> dict:
    """The report as a JSON-ready dict."""
    machine = mm.machine
    pl = mm.placement
    tables = mm.tables
    cores = []
    for c, info in enumerate(mm.core_info):
        regions = {r: int(mm.memory[r][c]) for r in sdram.SDRAM_REGIONS}
        row = {"x": int(pl.chip[c, 0]), "y": int(pl.chip[c, 1]), "p": int(pl.processor[c]),
               "kind": info.kind, "population": info.population, "slice": [info.lo, info.hi],
               "neurons": info.hi - info.lo if info.kind == "neurons" else 0,
               "atoms": info.hi - info.lo,
               "synapses": int(mm.synapses[c]), "synaptic_rows": int(mm.rows[c]),
               "key": int(tables.key_base[c]), "mask": int(tables.key_mask[c]),
               "sdram": regions, "sdram_total": int(sum(regions.values())),
               "dtcm": {r: int(mm.memory[r][c]) for r in sdram.DTCM_REGIONS}}
        if info.kind == "delay_extension":
            row["delay_extension"] = {"stages": info.stages, "slots": info.slots}
        cores.append(row)
    entries = tables.entries_per_chip()
    uncompressed = tables.uncompressed_per_chip()
    chips = {}
    for row in cores:
        chip = chips.setdefault((row["x"], row["y"]), {
            "x": row["x"], "y": row["y"], "cores": 0, "sdram_bytes": 0,
            "ethernet": bool(machine.ethernet[row["x"], row["y"]])})
        chip["cores"] += 1
        chip["sdram_bytes"] += row["sdram_total"]
    for xy in sorted(set(entries) | set(uncompressed)):
        chip = chips.setdefault(xy, {"x": xy[0], "y": xy[1], "cores": 0, "sdram_bytes": 0,
                                     "ethernet": bool(machine.ethernet[xy])})
        chip["router_entries"] = entries.get(xy, 0)
        chip["router_entries_uncompressed"] = uncompressed.get(xy, 0)
    chip_rows = [chips[k] for k in sorted(chips)]
    for chip in chip_rows:
        chip.setdefault("router_entries", 0)
        chip.setdefault("router_entries_uncompressed", 0)
        app_sdram = machine.app_sdram(chip["x"], chip["y"])
        chip["system_sdram"] = mc.SDRAM_PER_CHIP - app_sdram
        chip["sdram_free"] = app_sdram - chip["sdram_bytes"]
    seconds = run["ticks"] * run["dt_ms"] / 1000.0
    n_app = len(cores)
    energy = mc.energy_joules(machine, n_app, router_packets, seconds)
    totals = {
        "cores": n_app, "chips": sum(1 for c in chip_rows if c["cores"]),
        "chips_routing": len(chip_rows), "boards": machine.n_boards,
        "neurons": sum(r["neurons"] for r in cores),
        "synapses": sum(r["synapses"] for r in cores),
        "synaptic_rows": sum(r["synaptic_rows"] for r in cores),
        "sdram_bytes": sum(r["sdram_total"] for r in cores),
        "router_entries": sum(c["router_entries"] for c in chip_rows),
        "router_packets": int(router_packets), "energy_joules": energy,
    }
    return {
        "machine": {"name": machine.name, "chips": machine.n_chips, "cores": machine.n_cores,
                    "working_cores": machine.n_working_cores,
                    "application_cores": machine.n_app_cores, "boards": machine.n_boards,
                    "width": machine.width, "height": machine.height,
                    "wrap_around": machine.wrap, "sdram_per_chip": mc.SDRAM_PER_CHIP,
                    "router_entries_per_chip": mc.ROUTER_ENTRIES},
        "run": dict(run, recording_chunks=pl.n_chunks, chunk_ticks=pl.chunk_ticks),
        "totals": totals, "timings_s": timings, "provenance": provenance,
        "chips": chip_rows, "cores": cores,
    }


def _short(region: str) -> str:
    return {"neuron_params": "params", "synapse_params": "synparams",
            "population_table": "poptable", "synaptic_matrix": "matrix",
            "source_params": "source", "delay_params": "delay"}.get(region, region)


def format_text(report: dict) -> str:
    """A summary for people: one screen for small networks, then one line per chip/core."""
    m, run, tot, prov = report["machine"], report["run"], report["totals"], report["provenance"]
    e = tot["energy_joules"]
    mode = "mapping only (not simulated)" if run["mapping_only"] else "simulated"
    fullest = max(report["chips"], key=lambda c: c["sdram_bytes"], default=None)
    most = max((c["router_entries"] for c in report["chips"]), default=0)
    lines = [
        (f"neuroemu SpiNNaker mapping report: run {run['index']}, {run['ticks']} ticks of "
        f"{run['dt_ms']} ms, {mode}"),
        (f"machine  {m['name']}: {m['chips']} chips, {m['cores']} cores, {m['boards']} board(s)"
        f"{' (torus)' if m['wrap_around'] else ''}"),
        (f"used     {tot['cores']} cores on {tot['chips']} chip(s); {tot['neurons']} neurons; "
        f"{tot['synapses']} synapses in {tot['synaptic_rows']} rows; "
        f"SDRAM {tot['sdram_bytes']} bytes"),
    ]
    if fullest is not None:
        lines.append(f"limits   fullest chip ({fullest['x']}, {fullest['y']}): "
                     f"{fullest['sdram_bytes']} of "
                     f"{fullest['sdram_bytes'] + fullest['sdram_free']} SDRAM bytes "
                     f"left by the system cores; router entries max {most} of "
                     f"{m['router_entries_per_chip']}")
    lines += [
        f"record   {run['recording_chunks']} chunk(s) of {run['chunk_ticks']} ticks",
        (f"energy   {e['total']:.4g} J (idle {e['idle']:.4g}, frames "
         f"{e['frames_active']:.4g}, cores {e['active_cores']:.4g}, router {e['router']:.4g})"),
        "provenance " + ", ".join(f"{k} {v}" for k, v in prov.items()),
        "times s  " + ", ".join(f"{k} {v:.3g}" for k, v in report["timings_s"].items()),
        "",
        "chip (x,y)  cores  SDRAM bytes  router entries (uncompressed)",
    ]
    for c in report["chips"]:
        lines.append(f"({c['x']:3d},{c['y']:3d})  {c['cores']:5d}  {c['sdram_bytes']:11d}  "
                     f"{c['router_entries']:5d} ({c['router_entries_uncompressed']})")
    regions = [r for r in sdram.SDRAM_REGIONS if any(row["sdram"][r] for row in report["cores"])]
    lines += ["", "core (x,y,p)    kind             population       atoms       "
              + " ".join(f"{_short(r):>9}" for r in regions)]
    for r in report["cores"]:
        where = f"({r['x']},{r['y']},{r['p']})"
        atoms = f"{r['slice'][0]}:{r['slice'][1]}"
        lines.append(f"{where:15} {r['kind']:16} {r['population'][:16]:16} {atoms:11} "
                     + " ".join(f"{r['sdram'][g]:9d}" for g in regions))
    return "\n".join(lines) + "\n"


def write_report(report: dict, directory: Path) -> Path:
    """Write ``mapping.json`` and ``mapping.txt`` into ``directory`` (created)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "mapping.json").write_text(json.dumps(report, indent=1, default=_plain))
    (directory / "mapping.txt").write_text(format_text(report))
    return directory


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
