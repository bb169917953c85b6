"""neuroemu: run unchanged PyNN scripts on software models of the EBRAINS neuromorphic machines.

Kept import-light on purpose: a ``.pth`` file imports ``neuroemu._alias`` at every Python
start-up so that ``import pyNN.neuroemu_spinnaker`` works; the engine loads only on use.
"""

__version__ = "0.1.0"

MACHINES = {"spinnaker": "neuroemu.spinnaker", "spikey": "neuroemu.spikey"}
