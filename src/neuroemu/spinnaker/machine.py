"""The SpiNNaker machines a script can ask for: chips, cores, SDRAM, boards and links.

Facts (spec §3.3, portal guide /work/shared/seeds/003): a SpiNNaker1 chip has 18 cores and
123,469,792 usable bytes of SDRAM shared by its cores; core 0 runs SC&MP (monitor), one
core per chip is the extra monitor and the Ethernet chip of each board also runs the packet
gatherer, leaving 16 application cores (15 on Ethernet chips); the extra monitor and the
gatherer hold 488,476 and 477,250 bytes of the chip's SDRAM. Router tables hold 1023
multicast entries. A "4-chip board" (``version = 3``) is a 2 x 2 torus; a "48-chip board"
(``version = 5``) is the 8 x 8 hexagon without its corners. Larger machines are allocated by
spalloc in triads of three boards tiling a 12 x 12 chip square; the full machine is
10 cabinets x 5 frames x 24 boards = 1200 boards = 57,600 chips (a 240 x 240 torus).

Chips are linked in the SpiNNaker hexagonal mesh: six links E, NE, N, W, SW, S.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import numpy as np

#: SDRAM usable per chip (``max_sdram_per_chip``), bytes
SDRAM_PER_CHIP = 123_469_792
#: SDRAM of the system cores on each chip (sPyNNaker 7.4.1 virtual 48-chip board,
#: placement_by_core_using_graph.rpt, measured here): extra monitor, packet gatherer
EXTRA_MONITOR_SDRAM = 488_476
PACKET_GATHERER_SDRAM = 477_250
#: DTCM per core, bytes
DTCM_PER_CORE = 64 * 1024
#: cores per SpiNNaker1 chip
CORES_PER_CHIP = 18
#: multicast router entries per chip (after compression)
ROUTER_ENTRIES = 1023
CHIPS_PER_BOARD = 48
BOARDS_PER_FRAME = 24
FRAMES_PER_CABINET = 5
BOARDS_PER_CABINET = BOARDS_PER_FRAME * FRAMES_PER_CABINET
FULL_MACHINE_BOARDS = 10 * BOARDS_PER_CABINET
#: link directions (dx, dy) in link-id order 0..5: E, NE, N, W, SW, S
LINKS = ((1, 0), (1, 1), (0, 1), (-1, 0), (-1, -1), (0, -1))
#: chips of one 48-chip board relative to its Ethernet chip: (x, row start, row end)
_BOARD_ROWS = ((0, 4), (0, 5), (0, 6), (0, 7), (1, 7), (2, 7), (3, 7), (4, 7))
#: board-local chips with 17 working cores (SpiNNMachine 7.4.1 ``version_5.py``
#: chip_core_map; a virtual 48-chip board has 40 x 18 + 8 x 17 = 856 cores)
SEVENTEEN_CORE_CHIPS = ((1, 1), (1, 3), (3, 1), (3, 3), (3, 5), (5, 2), (5, 4), (5, 6))
#: board origins inside a triad (12 x 12 chips)
_TRIAD_BOARDS = ((0, 0), (4, 8), (8, 4))

MACHINE_NAMES = ('"4-chip board"', '"48-chip board"', '"N boards"', '"N cabinets"',
                 '"full machine"', "None (smallest that fits)")


def board_chips() -> np.ndarray:
    """(48, 2) chip coordinates of one SpiNN-5 board, Ethernet chip at (0, 0)."""
    return np.array([(x, y) for y, (lo, hi) in enumerate(_BOARD_ROWS)
                     for x in range(lo, hi + 1)], dtype=np.int64)


@dataclass(frozen=True)
class Machine:
    """A machine: chip grid (``present[x, y]``), Ethernet chips, boards, working cores.

    ``working[x, y]`` is the number of working cores of a chip (18, or 17 on the chips of
    sPyNNaker's chip-core map), ``board[x, y]`` the index of the board a chip belongs to.
    """

    name: str
    width: int
    height: int
    wrap: bool
    present: np.ndarray
    ethernet: np.ndarray
    n_boards: int
    working: np.ndarray
    board: np.ndarray
    advanced_monitors: bool = True

    @property
    def n_chips(self) -> int:
        return int(self.present.sum())

    @property
    def n_cores(self) -> int:
        """Physical cores (18 per chip), as the portal counts them."""
        return self.n_chips * CORES_PER_CHIP

    @property
    def n_working_cores(self) -> int:
        return int(self.working[self.present].sum())

    @property
    def n_frames(self) -> int:
        return math.ceil(self.n_boards / BOARDS_PER_FRAME) if self.n_boards else 0

    def _system_cores(self, x: int, y: int) -> int:
        if not self.advanced_monitors:
            return 1
        return 3 if self.ethernet[x, y] else 2

    def app_cores(self, x: int, y: int) -> int:
        """Application cores of a chip: working cores - monitor - extra monitor
        (- packet gatherer on Ethernet chips)."""
        return int(self.working[x, y]) - self._system_cores(x, y)

    def first_app_core(self, x: int, y: int) -> int:
        """p0 SC&MP, then gatherer (Ethernet chips) and extra monitor, then applications."""
        return self._system_cores(x, y)

    def app_sdram(self, x: int, y: int) -> int:
        """SDRAM left for application cores after the extra monitor (and gatherer)."""
        if not self.advanced_monitors:
            return SDRAM_PER_CHIP
        return SDRAM_PER_CHIP - EXTRA_MONITOR_SDRAM - (PACKET_GATHERER_SDRAM
                                                       if self.ethernet[x, y] else 0)

    @property
    def n_app_cores(self) -> int:
        system = np.where(self.ethernet, 3, 2) if self.advanced_monitors else 1
        return int((self.working - system)[self.present].sum())

    def neighbours(self, x: int, y: int) -> list[tuple[int, int]]:
        """Chips linked to (x, y), in link order E, NE, N, W, SW, S."""
        out = []
        for dx, dy in LINKS:
            nx, ny = x + dx, y + dy
            if self.wrap:
                nx, ny = nx % self.width, ny % self.height
            elif not (0 <= nx < self.width and 0 <= ny < self.height):
                continue
            if self.present[nx, ny]:
                out.append((nx, ny))
        return out

    def without_core_map(self) -> Machine:
        """The same machine with all 18 cores of every chip working."""
        return replace(self, working=np.where(self.present, CORES_PER_CHIP, 0))

    def with_monitors(self, advanced_monitors: bool) -> Machine:
        return replace(self, advanced_monitors=advanced_monitors)


def four_chip_board() -> Machine:
    """``version = 3``: 2 x 2 chips with wrap-around links, Ethernet chip (0, 0)."""
    present = np.ones((2, 2), dtype=bool)
    ethernet = np.zeros((2, 2), dtype=bool)
    ethernet[0, 0] = True
    return Machine("4-chip board", 2, 2, True, present, ethernet, 0,
                   np.full((2, 2), CORES_PER_CHIP), np.zeros((2, 2), dtype=np.int64))


def _boards_machine(name: str, triads_w: int, triads_h: int, n_boards: int,
                    wrap: bool) -> Machine:
    if wrap:
        width, height = 12 * triads_w, 12 * triads_h
    elif n_boards == 1:
        width, height = 8, 8
    else:
        width, height = 12 * triads_w + 4, 12 * triads_h + 4
    present = np.zeros((width, height), dtype=bool)
    ethernet = np.zeros((width, height), dtype=bool)
    working = np.zeros((width, height), dtype=np.int64)
    board = np.full((width, height), -1, dtype=np.int64)
    local = board_chips()
    cores = np.array([17 if (int(x), int(y)) in SEVENTEEN_CORE_CHIPS else CORES_PER_CHIP
                      for x, y in local])
    origins = [(12 * tx + bx, 12 * ty + by) for ty in range(triads_h) for tx in range(triads_w)
               for bx, by in _TRIAD_BOARDS][:n_boards]
    for b, (ox, oy) in enumerate(origins):
        xs, ys = ox + local[:, 0], oy + local[:, 1]
        if wrap:
            xs, ys = xs % width, ys % height
        present[xs, ys] = True
        working[xs, ys] = cores
        board[xs, ys] = b
        ethernet[ox % width, oy % height] = True
    return Machine(name, width, height, wrap, present, ethernet, n_boards, working, board)


def boards(n: int) -> Machine:
    """``n`` boards as spalloc allocates them: one board, or a rectangle of triads
    (``n`` rounded up to a multiple of 3) as square as possible; only the whole machine
    (1200 boards, 20 x 20 triads) has wrap-around links."""
    if n < 1 or n > FULL_MACHINE_BOARDS:
        raise ValueError(f"setup(machine=...): {n} boards requested; the machine has "
                         f"1 to {FULL_MACHINE_BOARDS} boards")
    if n == 1:
        return _boards_machine("48-chip board", 1, 1, 1, wrap=False)
    n_triads = math.ceil(n / 3)
    h = math.isqrt(n_triads)
    w = math.ceil(n_triads / h)
    full = n_triads * 3 == FULL_MACHINE_BOARDS
    return _boards_machine("full machine" if full else f"{3 * n_triads} boards", w, h,
                           3 * n_triads, wrap=full)


def resolve_machine(spec, advanced_monitors: bool = True) -> Machine | None:
    """A :class:`Machine` from ``setup(machine=...)``; ``None`` means "smallest that fits"."""
    if spec is None:
        return None
    if isinstance(spec, Machine):
        return spec
    text = str(spec).strip().lower()
    machine = None
    if text in ("4-chip board", "4 chip board", "spinn-3", "version 3"):
        machine = four_chip_board()
    elif text in ("48-chip board", "48 chip board", "spinn-5", "version 5", "1 board"):
        machine = boards(1)
    elif text in ("full machine", "10 cabinets", "1200 boards"):
        machine = boards(FULL_MACHINE_BOARDS)
    else:
        match = re.fullmatch(r"(\d+)\s*(boards?|frames?|cabinets?)", text)
        if match:
            n = int(match.group(1))
            per = {"b": 1, "f": BOARDS_PER_FRAME, "c": BOARDS_PER_CABINET}[match.group(2)[0]]
            machine = boards(n * per)
    if machine is None:
        raise ValueError(f"setup(machine={spec!r}): allowed values are "
                         f"{', '.join(MACHINE_NAMES)} (N a positive integer)")
    return machine.with_monitors(advanced_monitors)


def smallest_machine_for(n_chips: int, advanced_monitors: bool = True) -> Machine:
    """What the portal allocates for ``n_chips``: one board, else the fewest triads."""
    if n_chips <= CHIPS_PER_BOARD:
        return resolve_machine("1 board", advanced_monitors)
    n_boards = math.ceil(n_chips / CHIPS_PER_BOARD)
    return resolve_machine(f"{min(n_boards, FULL_MACHINE_BOARDS)} boards", advanced_monitors)


#: energy model of sPyNNaker's energy report (spec §3.3; SpiNNMachine 7.4.1
#: ``version_spin1.py``, ``version_3.py``, ``version_5.py``)
IDLE_WATTS_PER_CHIP = 0.35
ACTIVE_WATTS_PER_CORE = 0.034
JOULES_PER_ROUTER_BIT = 25e-12
MC_PACKET_BITS = 40
IDLE_WATTS_4_CHIP_BOARD = 3.56
IDLE_WATTS_PER_BOARD = 26.84
BOX_OVERHEAD_WATTS = 5.04
IDLE_WATTS_PER_FRAME = 117.0
ACTIVE_WATTS_PER_FRAME = 154.163558 - 117.0


def energy_joules(machine: Machine, n_app_cores: int, router_packets: int,
                  seconds: float) -> dict[str, float]:
    """Energy of a run lasting ``seconds`` (real time), by component, and the total.

    Idle: a 4-chip board 3.56 W; a single 48-chip board 26.84 W plus 5.04 W for its box;
    a multi-board allocation 26.84 W per board plus 117 W per frame, and while running
    37.16 W more per frame. Active: 0.034 W per application core in use. Router: 25 pJ per
    bit of each 40-bit multicast packet per router it passes.
    """
    if machine.n_boards == 0:
        idle = IDLE_WATTS_4_CHIP_BOARD * seconds
        frames = 0.0
    elif machine.n_boards == 1:
        idle = (IDLE_WATTS_PER_BOARD + BOX_OVERHEAD_WATTS) * seconds
        frames = 0.0
    else:
        idle = (machine.n_boards * IDLE_WATTS_PER_BOARD +
                machine.n_frames * IDLE_WATTS_PER_FRAME) * seconds
        frames = machine.n_frames * ACTIVE_WATTS_PER_FRAME * seconds
    cores = n_app_cores * ACTIVE_WATTS_PER_CORE * seconds
    router = router_packets * MC_PACKET_BITS * JOULES_PER_ROUTER_BIT
    return {"idle": idle, "frames_active": frames, "active_cores": cores, "router": router,
            "total": idle + frames + cores + router}
