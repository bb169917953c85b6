"""Simulator state of the Spikey backend (PyNN's ``simulator`` module convention)."""

from neuroemu.pynn.simulator import ID, EmulatorState  # noqa: F401
from neuroemu.spikey.toolchain import SpikeyToolchain

name = "neuroemu_spikey"
state = EmulatorState(SpikeyToolchain)
