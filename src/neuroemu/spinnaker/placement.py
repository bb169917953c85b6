"""Placement: every core of the program on a chip (x, y) and processor p.

The rule of sPyNNaker 7.4.1's application placer (PACMAN ``application_placer.py``), so
that placements match the virtual board: vertices (a population's cores, then each
delay-extension vertex) are placed in order, each within one neighbourhood of chips:

* a vertex starts on the chip where the previous one started, if it has room, else on the
  next chip in x-major order (x, then y) with room;
* when the current chip has no free application core or not enough SDRAM, the vertex
  continues on the next neighbour chip: neighbours of every chip it used are queued in link
  order (E, NE, N, W, SW, S), chips of the current board before other boards;
* a vertex whose neighbourhood runs out starts again from the next start chip.

Processors count up from the first application core (p0 SC&MP, then packet gatherer on
Ethernet chips and extra monitor). SDRAM of a chip is what the system cores leave.

Recording buffers, as sPyNNaker 7.4.1 plans them (chip_sdram_usage_by_core.rpt: "Based on
1000 timesteps"): cores are placed with buffers for ``min(run, 1000)`` ticks; then each
chip's free SDRAM is shared out, and a run longer than the buffers hold is split into
chunks (sPyNNaker's auto pause and resume; results are the same as one run, the report
states the chunks).
"""

from __future__ import annotations

import itertools
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


class _OutOfChips(Exception):
    pass


class _Placer:
    """State of the application placer across vertices (see the module docstring)."""

    def __init__(self, machine: mc.Machine) -> None:
        self.m = machine
        self.used_cores: dict[tuple, list] = {}     # committed processors per chip
        self.used_sdram: dict[tuple, int] = {}
        self.full: set = set()
        self.starts = ((x, y) for x in range(machine.width) for y in range(machine.height)
                       if machine.present[x, y])
        self.tried: list = []
        self.restored: list = []

    def place_vertex(self, sdram: np.ndarray):
        self.restored.extend(self.tried)
        self.tried = []
        while True:
            made = self._prepare(sdram)
            if made is not None:
                for xy, p, need in made:
                    self.used_cores.setdefault(xy, []).append(p)
                    self.used_sdram[xy] = self.used_sdram.get(xy, 0) + need
                return made

    # -- one attempt at placing a vertex around one start chip --------------------------
    def _prepare(self, sdram: np.ndarray):
        self.prepared: set = set()
        self.same: dict = {}
        self.other: dict = {}
        self.current = None
        made = []
        for need in sdram.tolist():
            if self.current is None:
                self._next_start(need)
            elif not (self.free and self.current_sdram + need <= self.capacity):
                if not self._next_neighbour(need):
                    return None
            else:
                self.current_sdram += need
            made.append((self.current, self.free.pop(0), need))
        return made

    def _space_on_chip(self, xy, need: int) -> bool:
        x, y = xy
        first = self.m.first_app_core(x, y)
        taken = self.used_cores.get(xy, [])
        if len(taken) >= self.m.app_cores(x, y):
            self.full.add(xy)
            return False
        self.prepared.add(xy)
        capacity = self.m.app_sdram(x, y)
        used = self.used_sdram.get(xy, 0) + need
        if used > capacity:
            return False
        self.current = xy
        self.free = [p for p in range(first, first + self.m.app_cores(x, y)) if p not in taken]
        self.current_sdram = used
        self.capacity = capacity
        for nb in self.m.neighbours(x, y):
            if nb not in self.full and nb not in self.prepared:
                target = self.same if self.m.board[nb] == self.board else self.other
                target.setdefault(nb, None)
        return True

    def _next_start(self, need: int) -> None:
        self.same.clear()
        self.other.clear()
        while True:
            start = self._pop_start()
            self.tried.append(start)
            self.board = self.m.board[start]
            if self._space_on_chip(start, need):
                return

    def _pop_start(self):
        while self.restored:
            xy = self.restored.pop(0)
            if xy not in self.full:
                return xy
        for xy in self.starts:
            if xy not in self.full:
                return xy
        raise _OutOfChips

    def _next_neighbour(self, need: int) -> bool:
        while True:
            if self.same:
                nb = next(iter(self.same))
                del self.same[nb]
            elif self.other:
                nb = next(iter(self.other))
                del self.other[nb]
                self.board = self.m.board[nb]
                rest, self.other = list(self.other), {}
                for xy in rest:
                    (self.same if self.m.board[xy] == self.board else self.other)[xy] = None
            else:
                return False
            if self._space_on_chip(nb, need):
                return True


def _greedy(machine: mc.Machine, sdram: np.ndarray, vertex: np.ndarray,
            needed_on_full: bool = True):
    """(chip, processor) per core; raises MappingError when the machine is too small."""
    check_core_limits(machine, sdram, np.zeros_like(sdram),
                      lambda c: f"core {c} with its recording")
    chip = np.zeros((sdram.size, 2), dtype=np.int64)
    proc = np.zeros(sdram.size, dtype=np.int64)
    placer = _Placer(machine)
    bounds = np.flatnonzero(np.r_[True, vertex[1:] != vertex[:-1], True]) if sdram.size \
        else np.zeros(1, dtype=np.int64)
    try:
        for lo, hi in itertools.pairwise(bounds):
            made = placer.place_vertex(sdram[lo:hi])
            chip[lo:hi] = [xy for xy, _, _ in made]
            proc[lo:hi] = [p for _, p, _ in made]
    except _OutOfChips:
        needed = _chips_needed(machine, sdram, vertex) if needed_on_full else "more"
        raise MappingError("chips", f"{needed} chips", f"{machine.n_chips} chips",
                           f"the {machine.name}",
                           f"{sdram.size} cores needing {int(sdram.sum())} bytes of "
                           "SDRAM") from None
    return chip, proc


def _chips_needed(machine: mc.Machine, sdram: np.ndarray, vertex: np.ndarray) -> int:
    full = mc.resolve_machine("full machine", machine.advanced_monitors)
    chip, _ = _greedy(full, sdram, vertex, needed_on_full=False)
    return int(np.unique(chip, axis=0).shape[0])


def check_core_limits(machine: mc.Machine, sdram: np.ndarray, dtcm: np.ndarray,
                      describe) -> None:
    """Every core alone must fit the SDRAM a chip leaves to applications, and its DTCM."""
    x, y = np.argwhere(machine.present & ~machine.ethernet)[0] if machine.n_chips > 1 \
        else (0, 0)
    for values, limit, resource, unit in (
            (sdram, machine.app_sdram(x, y), "SDRAM", "a chip (after its monitor cores)"),
            (dtcm, mc.DTCM_PER_CORE, "DTCM", "a core")):
        bad = np.flatnonzero(values > limit)
        if bad.size:
            c = int(bad[0])
            raise MappingError(resource, f"{int(values[c])} bytes", f"{limit} bytes", unit,
                               describe(c))


def _place_static(machine: mc.Machine | None, sdram: np.ndarray, vertex: np.ndarray):
    if machine is not None:
        return machine, *_greedy(machine, sdram, vertex)
    n_chips = _chips_needed(mc.resolve_machine("1 board"), sdram, vertex)
    while True:
        candidate = mc.smallest_machine_for(n_chips)
        try:
            return candidate, *_greedy(candidate, sdram, vertex, needed_on_full=False)
        except MappingError:
            if candidate.n_boards >= mc.FULL_MACHINE_BOARDS:
                raise
            n_chips = candidate.n_chips + 3 * mc.CHIPS_PER_BOARD


def place(machine: mc.Machine | None, static_sdram: np.ndarray, dtcm: np.ndarray,
          recording_per_tick: np.ndarray, n_ticks: int, describe,
          vertex: np.ndarray | None = None) -> Placement:
    """Place all cores; ``machine=None`` picks the smallest machine the portal would give.

    ``vertex[c]`` numbers the vertex of core ``c`` (cores of a vertex are consecutive);
    by default every core is a vertex of its own."""
    if vertex is None:
        vertex = np.arange(static_sdram.size)
    check_core_limits(machine or mc.resolve_machine("1 board"), static_sdram, dtcm, describe)
    ticks = max(0, int(n_ticks))
    planned = min(ticks, PLANNED_RECORDING_TICKS)
    plan = static_sdram + np.ceil(recording_per_tick * planned).astype(np.int64)
    used, chip, proc = _place_static(machine, plan, vertex)
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
        free = machine.app_sdram(int(xy[0]), int(xy[1])) - int(static[here].sum())
        ticks = int(free // rate)
        while ticks > 0 and np.ceil(per_tick[here] * ticks).sum() > free:
            ticks -= 1
        best = min(best, ticks)
    return int(best)
