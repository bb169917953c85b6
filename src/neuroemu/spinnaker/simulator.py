"""Simulator state of the SpiNNaker backend (PyNN's ``simulator`` module convention)."""

from neuroemu.pynn.simulator import ID, EmulatorState  # noqa: F401
from neuroemu.spinnaker.toolchain import SpiNNakerToolchain

name = "neuroemu_spinnaker"
state = EmulatorState(SpiNNakerToolchain)
