"""A progress line per task on stderr: ``[i/n] model/task [system] ... status (time)``,
and one per warm-up: ``warm-up [system] ... status (time)``."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.t0 = time.perf_counter()

    def start(self, label: str) -> None:
        self.stream.write(f"[{self.done + 1}/{self.total}] {label} ... ")
        self.stream.flush()

    def finish(self, status: str, seconds: float, message: str = "") -> None:
        self.done += 1
        extra = f": {message}" if message else ""
        self.stream.write(f"{status} ({seconds:.1f} s, total "
                          f"{time.perf_counter() - self.t0:.0f} s){extra}\n")
        self.stream.flush()


    def start_warmup(self, system: str) -> None:
        """The start of a warm-up run (not one of the ``total`` tasks)."""
        self.stream.write(f"warm-up [{system}] (Numba cache; timed in no task) ... ")
        self.stream.flush()

    def finish_warmup(self, status: str, seconds: float, message: str = "") -> None:
        extra = f": {message}" if message else ""
        self.stream.write(f"{status} ({seconds:.1f} s){extra}\n")
        self.stream.flush()
