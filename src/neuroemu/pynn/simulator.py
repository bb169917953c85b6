"""Simulator state shared by all machines: time, network registry, and the machine toolchain.

PyNN's ``common`` layer reads ``simulator.state``; here the state owns the network
description (populations, projections) and hands it to the machine's toolchain at ``run``.
"""

from __future__ import annotations

from pyNN import common


class ID(int, common.IDMixin):
    """A cell identifier (PyNN convention: an int with a ``parent`` population)."""

    def __init__(self, n):
        int.__init__(n)
        common.IDMixin.__init__(self)


class EmulatorState(common.control.BaseState):
    """Time keeping and network registry; the toolchain does the machine-specific work."""

    def __init__(self, toolchain_class) -> None:
        super().__init__()
        self.toolchain_class = toolchain_class
        self.mpi_rank = 0
        self.num_processes = 1
        self.dt = 1.0
        self.min_delay = 1.0
        self.max_delay = 144.0
        self.segment_counter = -1
        self.clear()

    # -- network registry -------------------------------------------------------------
    def clear(self) -> None:
        """Forget the whole network (called by ``setup``)."""
        self.recorders = set()
        self.populations = []
        self.projections = []
        self.id_counter = 0
        self.segment_counter = -1
        self.toolchain = self.toolchain_class(self)
        self.reset()
        self.segment_counter = 0

    def register_population(self, population) -> None:
        self.toolchain.network_changed("Population", population.label)
        self.populations.append(population)

    def register_projection(self, projection) -> None:
        self.toolchain.network_changed("Projection", projection.label)
        self.projections.append(projection)

    # -- time ---------------------------------------------------------------------------
    @property
    def ticks(self) -> int:
        return round(self.t / self.dt)

    def run(self, simtime: float) -> None:
        self.run_until(self.t + simtime)

    def run_until(self, tstop: float) -> None:
        n_ticks = round((tstop - self.t) / self.dt)
        if n_ticks < 0:
            raise ValueError(f"run_until({tstop}) is in the past (t = {self.t} ms)")
        self.toolchain.run(n_ticks)
        self.t = (self.ticks + n_ticks) * self.dt
        self.running = True

    def reset(self) -> None:
        """Back to t = 0 with a new segment; the toolchain restarts its machine state."""
        self.running = False
        self.t = 0.0
        self.t_start = 0.0
        self.segment_counter += 1
        self.toolchain.reset()
