"""Placement: every core of the program on a chip (x, y) and processor p.

Like sPyNNaker's application placer, the cores of one population (then its delay-extension
cores) go on consecutive chips; chips are filled in the machine's placement order (board by
board, outwards from each board's Ethernet chip) while the chip has a free application
core and enough free SDRAM. Processors count up from the first application core (p0 is
SC&MP, then packet gatherer on Ethernet chips and extra monitor). Deterministic: the same
program gives the same placement.

A run too long for its recording buffers is split, as sPyNNaker's auto pause and resume
does: the recording buffers are sized for the longest chunk of ticks that fits, and the
report states how many chunks the run needs (results are the same as one run).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from neuroemu.errors import MappingError
from neuroemu.spinnaker import machine as mc


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
    check_core_limits(sdram, np.zeros_like(sdram), lambda c: f"core {c} with its recording")
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
            free_sdram = mc.SDRAM_PER_CHIP
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


def check_core_limits(sdram: np.ndarray, dtcm: np.ndarray, describe) -> None:
    """Every core alone must fit one chip's SDRAM and its own DTCM."""
    for values, limit, resource, unit in ((sdram, mc.SDRAM_PER_CHIP, "SDRAM", "a chip"),
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
    check_core_limits(static_sdram, dtcm, describe)

    def attempt(ticks: int):
        sdram = static_sdram + np.ceil(recording_per_tick * ticks).astype(np.int64)
        return sdram, _place_static(machine, sdram)

    ticks = max(0, int(n_ticks))
    try:
        sdram, (used, chip, proc) = attempt(ticks)
        return Placement(used, chip, proc, sdram, ticks, 1 if ticks else 0)
    except MappingError:
        if ticks <= 1 or not recording_per_tick.any():
            raise
    attempt(1)   # raises if even one tick of recording does not fit
    lo, hi = 1, ticks - 1        # largest chunk that fits, by bisection
    while lo < hi:
        mid = (lo + hi + 1) // 2
        try:
            attempt(mid)
            lo = mid
        except MappingError:
            hi = mid - 1
    sdram, (used, chip, proc) = attempt(lo)
    return Placement(used, chip, proc, sdram, lo, math.ceil(ticks / lo))
