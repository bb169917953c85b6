"""The toolchain's machine settings and per-run machine work: map, count, report.

``setup()`` keywords handled here: ``machine`` (see :mod:`.machine`; sPyNNaker's
``n_boards_required`` / ``n_chips_required`` are accepted too), ``mapping_only`` (map and
report without simulating, like sPyNNaker's virtual board: recorded data stay empty and
neo Blocks/Segments carry ``mapping_only=True``), ``report_dir`` (default ``./reports``, or
the environment variable ``NEUROEMU_REPORT_DIR``; ``False`` writes no report) and
``packet_loss`` (see :mod:`.faults`).
"""

from __future__ import annotations

import datetime
import os
import sys
from pathlib import Path

import numpy as np

from neuroemu.spinnaker import faults, report
from neuroemu.spinnaker import machine as mc
from neuroemu.spinnaker.machine_map import MachineMap, build_machine_map


def default_report_dir() -> Path:
    """``$NEUROEMU_REPORT_DIR`` if set, else ``reports`` under the current directory."""
    return Path(os.environ.get("NEUROEMU_REPORT_DIR", "reports"))


def _recording_signature(populations) -> tuple:
    """What each population records and how often (recording buffers depend on it)."""
    return tuple((tuple(sorted((v.name, len(ids)) for v, ids in pop.recorder.recorded.items())),
                  pop.recorder.sampling_interval) for pop in populations)


class MachineStage:
    """Settings from ``setup`` plus the machine map, provenance and report of each run."""

    def __init__(self) -> None:
        self.machine_spec: mc.Machine | None = None
        self.mapping_only = False
        self.report_dir: Path | None = default_report_dir()
        self.packet_loss: faults.PacketLoss | None = None
        self.machine_map: MachineMap | None = None
        self.last_report: dict | None = None
        self.last_report_path: Path | None = None
        self._session: Path | None = None
        self._run_index = 0
        self._program = None
        self._signature: tuple | None = None
        self.reused = False
        self.network = {"packets_routed": 0, "packets_dropped": 0, "packets_reinjected": 0,
                        "packets_lost": 0, "spikes_lost": 0}

    def configure(self, machine=None, mapping_only: bool = False, report_dir=None,
                  packet_loss=None, n_boards_required=None, n_chips_required=None,
                  advanced_monitors: bool = True) -> None:
        if machine is None and n_boards_required is not None:
            machine = f"{int(n_boards_required)} boards"
        if machine is None and n_chips_required is not None:
            machine = mc.smallest_machine_for(int(n_chips_required), advanced_monitors)
        self.machine_spec = mc.resolve_machine(machine, advanced_monitors)
        self.mapping_only = bool(mapping_only)
        if report_dir is False:
            self.report_dir = None
        else:
            self.report_dir = default_report_dir() if report_dir in (None, True) \
                else Path(report_dir)
        self.packet_loss = faults.PacketLoss.from_setup(packet_loss)

    def prepare(self, program, populations, projections, dt: float,
                n_ticks: int) -> MachineMap:
        """Place and route ``program`` for a run of ``n_ticks`` (raises MappingError).

        The previous run's map is reused when the program, the run length and what is
        recorded are unchanged (a loop of equal ``run()`` calls maps once)."""
        old = self.machine_map
        same_program = old is not None and self._program is program
        signature = (int(n_ticks), program.arr_tick.size, _recording_signature(populations))
        if same_program and signature == self._signature:
            self.reused = True
            return old
        mm = build_machine_map(self.machine_spec, program, populations, projections, dt,
                               n_ticks, self.packet_loss)
        if same_program:       # the fault stream continues across runs
            mm.net[faults.NET_RNG][:] = old.net[faults.NET_RNG]
        else:                  # a new program (after reset): counters start again
            self.network = dict.fromkeys(self.network, 0)
        self._program = program
        self._signature = signature
        self.machine_map = mm
        self.reused = False
        return mm

    def counters(self, mm: MachineMap) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the packet counters before a run (for :meth:`count`)."""
        return mm.net[faults.NET_SENT].copy(), mm.net[faults.NET_COUNTS].copy()

    def count(self, mm: MachineMap, packets_before: np.ndarray,
              counts_before: np.ndarray) -> int:
        """Add this run's packet counters to the network provenance (since the last reset);
        returns the router passes (packets x routers) of this run."""
        sent = mm.net[faults.NET_SENT] - packets_before
        counts = mm.net[faults.NET_COUNTS] - counts_before
        router_packets = int((sent * mm.tree_size).sum())
        self.network["packets_routed"] += int(sent.sum())
        for name, i in (("packets_dropped", faults.N_DROPPED),
                        ("packets_reinjected", faults.N_REINJECTED),
                        ("packets_lost", faults.N_LOST), ("spikes_lost", faults.N_SPIKES_LOST)):
            self.network[name] += int(counts[i])
        return router_packets

    def write(self, mm: MachineMap, dt: float, n_ticks: int, provenance: dict,
              timings: dict, router_packets: int) -> None:
        """Build the run's report; write it unless reports are switched off."""
        self._run_index += 1
        run = {"index": self._run_index, "ticks": int(n_ticks), "dt_ms": dt,
               "mapping_only": self.mapping_only, "mapping_reused": self.reused,
               "packet_loss": None if self.packet_loss is None else vars(self.packet_loss)}
        prov = dict(provenance)
        prov.update(self.network)
        # every packet is delivered within its tick here (no real-time congestion is
        # modelled), so no spike arrives after its ring-buffer slot has been used
        prov["late_spikes"] = 0
        stages = {k: v for k, v in timings.items() if k != "simulation"}
        stages.update(mm.timings)
        if "simulation" in timings:
            stages["simulation"] = timings["simulation"]
        rep = report.build_report(mm, run, prov, stages, router_packets)
        self.last_report = rep
        if self.report_dir is None:
            return
        if self._session is None:
            stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            self._session = self.report_dir / stamp
            print(f"neuroemu: SpiNNaker mapping reports in {self._session}", file=sys.stderr)
        self.last_report_path = report.write_report(rep, self._session /
                                                    f"run_{self._run_index}")

    def annotations(self) -> dict:
        """neo annotations of recorded data (Block and Segment)."""
        out = {"mapping_only": self.mapping_only}
        if self.last_report_path is not None:
            out["mapping_report"] = str(self.last_report_path)
        return out
