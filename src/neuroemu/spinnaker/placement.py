"""Placement: every core of the program on a chip (x, y) and processor p.

Like sPyNNaker's application placer, the cores of one population (then its delay-extension
cores) go on consecutive chips; chips are filled in the machine's placement order (board by
board, outwards from each board's Ethernet chip) while the chip has a free application
core and enough free SDRAM. Processors count up from the first application core (p0 is
SC&MP, then packet gatherer on Ethernet chips and extra monitor). Deterministic: the same
program gives the same placement.

Recording buffers, as sPyNNaker 7.4.1 plans them (chip_sdram_usage_by_core.rpt: "Based on
1000 timesteps"): cores are placed with buffers for ``min(run, 1000)`` ticks; then each
chip's free SDRAM is shared out, and a run longer than the buffers hold is split into
chunks (sPyNNaker's auto pause and resume; results are the same as one run, the report
states the chunks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from neuroemu.errors import MappingError
from neuroemu.spinnaker import machine as mc

#: ticks of recording reserved when placing (sPyNNaker 7.4.1 planning)
PLANNED_RECORDING_TICKS = 1000


@dataclass
class Placement:
    """Where each core sits and how much SDRAM it holds."""

    machine: mc.Machine
    chip: np.ndarray          # (n_cores, 2) chip x, y
    processor: np.ndarray     # (n_cores,) processor id p
    sdram: np.ndarray         # (n_cores,) bytes: static regions + recording buffers
    chunk_ticks: int          # recording buffers hold this many ticks
    n_chunks: int             # the run is split into this many chunks

    @property
    def chips_used(self) -> np.ndarray:
        """(n, 2) distinct chips holding cores, sorted by (x, y)."""
        if not self.chip.size:
            return np.zeros((0, 2), dtype=np.int64)
        return np.unique(self.chip, axis=0)


def _greedy(machine: mc.Machine, sdram: np.ndarray, needed_on_full: bool = True):
    """(chip, processor) per core filling chips in order; raises MappingError if short."""
    check_core_limits(machine, sdram, np.zeros_like(sdram),
                      lambda c: f"core {c} with its recording")
    order = machine.chip_order()
    n_cores = sdram.size
    chip = np.zeros((n_cores, 2), dtype=np.int64)
    proc = np.zeros(n_cores, dtype=np.int64)
    i = -1
    free_cores = 0
    free_sdram = 0
    next_p = 0
    for c in range(n_cores):
        need = int(sdram[c])
        if free_cores == 0 or need > free_sdram:
            i += 1
            if i >= len(order):
                needed = _chips_needed(machine, sdram) if needed_on_full else "more"
                raise MappingError("chips", f"{needed} chips", f"{machine.n_chips} chips",
                                   f"the {machine.name}",
                                   f"{n_cores} cores needing {int(sdram.sum())} bytes of SDRAM")
            x, y = int(order[i, 0]), int(order[i, 1])
            eth = bool(machine.ethernet[x, y])
            free_cores = machine.app_cores(eth)
            free_sdram = machine.app_sdram(eth)
            next_p = machine.first_app_core(eth)
        chip[c] = (order[i, 0], order[i, 1])
        proc[c] = next_p
        next_p += 1
        free_cores -= 1
        free_sdram -= need
    return chip, proc


def _chips_needed(machine: mc.Machine, sdram: np.ndarray) -> int:
    full = mc.resolve_machine("full machine", machine.advanced_monitors)
    chip, _ = _greedy(full, sdram, needed_on_full=False)
    return int(np.unique(chip, axis=0).shape[0])


def check_core_limits(machine: mc.Machine, sdram: np.ndarray, dtcm: np.ndarray,
                      describe) -> None:
    """Every core alone must fit the SDRAM a chip leaves to applications, and its DTCM."""
    for values, limit, resource, unit in (
            (sdram, machine.app_sdram(False), "SDRAM", "a chip (after its monitor cores)"),
            (dtcm, mc.DTCM_PER_CORE, "DTCM", "a core")):
        bad = np.flatnonzero(values > limit)
        if bad.size:
            c = int(bad[0])
            raise MappingError(resource, f"{int(values[c])} bytes", f"{limit} bytes", unit,
                               describe(c))


def _place_static(machine: mc.Machine | None, sdram: np.ndarray):
    if machine is not None:
        return machine, *_greedy(machine, sdram)
    n_chips = _chips_needed(mc.resolve_machine("1 board"), sdram)
    while True:
        candidate = mc.smallest_machine_for(n_chips)
        try:
            return candidate, *_greedy(candidate, sdram, needed_on_full=False)
        except MappingError:
            if candidate.n_boards >= mc.FULL_MACHINE_BOARDS:
                raise
            n_chips = candidate.n_chips + 3 * mc.CHIPS_PER_BOARD


def place(machine: mc.Machine | None, static_sdram: np.ndarray, dtcm: np.ndarray,
          recording_per_tick: np.ndarray, n_ticks: int, describe) -> Placement:
    """Place all cores; ``machine=None`` picks the smallest machine the portal would give."""
    check_core_limits(machine or mc.resolve_machine("1 board"), static_sdram, dtcm, describe)
    ticks = max(0, int(n_ticks))
    planned = min(ticks, PLANNED_RECORDING_TICKS)
    plan = static_sdram + np.ceil(recording_per_tick * planned).astype(np.int64)
    used, chip, proc = _place_static(machine, plan)
    chunk = ticks
    if ticks > planned:
        chunk = min(ticks, _ticks_that_fit(used, chip, static_sdram, recording_per_tick))
    sdram = static_sdram + np.ceil(recording_per_tick * chunk).astype(np.int64)
    return Placement(used, chip, proc, sdram, chunk, math.ceil(ticks / chunk) if ticks else 0)


def _ticks_that_fit(machine: mc.Machine, chip: np.ndarray, static: np.ndarray,
                    per_tick: np.ndarray) -> int:
    """Largest number of recorded ticks every chip's free SDRAM can buffer."""
    best = np.iinfo(np.int64).max
    for xy in np.unique(chip, axis=0):
        here = (chip == xy).all(axis=1)
        rate = float(per_tick[here].sum())
        if rate == 0:
            continue
        free = machine.app_sdram(bool(machine.ethernet[xy[0], xy[1]])) - int(static[here].sum())
        ticks = int(free // rate)
        while ticks > 0 and np.ceil(per_tick[here] * ticks).sum() > free:
            ticks -= 1
        best = min(best, ticks)
    return int(best)
