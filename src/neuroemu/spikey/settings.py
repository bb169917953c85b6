"""``setup()`` keywords of the Spikey PyNN module (spec §1.1) and the chip-wide knobs.

Keywords that change the emulation: mappingOffset, neuronPermutation, calibTauMem,
calibSynDrivers, calibIcb, rng_seeds, writeConfigToFile, minimumISI, avoidSpikes,
ratioSuperthreshSubthresh, plus neuroemu's ``noise`` switch and ``chipSeed``
(``workStationName`` also seeds the chip). Keywords that only concern the physical setup are
accepted with a warning that they have no effect.
"""

from __future__ import annotations

import warnings
import zlib
from dataclasses import dataclass, field

import numpy as np

from neuroemu.errors import NeuroemuWarning
from neuroemu.spikey import neuron, stdp, topology

DEFAULT_SEED = 0
DEFAULT_CHIP_SEED = 666          # the guidebook's chip
NO_EFFECT = {"debug", "useUsbAdc", "calibOutputPins", "calibNeuronMems", "calibVthresh",
             "calibBioDynrange", "loglevel", "logfile", "dryRun", "fullReset", "outAmpZero",
             "defaultValue", "assertSilence", "rank", "num_processes"}


@dataclass
class SpikeySettings:
    mapping_offset: int = 0
    permutation: list = field(default_factory=list)
    calib_tau_mem: bool = True
    calib_syn_drivers: bool = True
    calib_icb: bool = False
    seed: int = DEFAULT_SEED
    chip_seed: int = DEFAULT_CHIP_SEED
    noise: bool = True
    write_config: bool = False
    minimum_isi: float = 0.0
    avoid_spikes: bool = False
    ratio_superthresh: float = 0.8
    icb: float = neuron.DEFAULT_ICB_UA
    drvirise_factor: float = 1.0
    stdp: stdp.STDPSettings = field(default_factory=stdp.STDPSettings)
    order: np.ndarray = field(default_factory=lambda: topology.hardware_order())


def from_setup(mappingOffset=0, neuronPermutation=(), calibTauMem=True, calibSynDrivers=True,
               calibIcb=False, rng_seeds=None, writeConfigToFile=False, minimumISI=0.0,
               avoidSpikes=False, ratioSuperthreshSubthresh=0.8, noise=True, chipSeed=None,
               workStationName="", **extra) -> SpikeySettings:
    """Validate the keywords of ``setup()``; unknown keywords raise, physical ones warn."""
    unknown = set(extra) - NO_EFFECT
    if unknown:
        raise TypeError(f"setup(): unknown keyword(s) {sorted(unknown)} for Spikey")
    if extra:
        warnings.warn(f"setup(): {sorted(extra)} concern the physical Spikey setup and have no "
                      "effect in emulation", NeuroemuWarning, stacklevel=4)
    order = topology.hardware_order(int(mappingOffset), list(neuronPermutation))
    if rng_seeds is not None and len(rng_seeds) == 0:
        raise ValueError("setup(rng_seeds=[]): give at least one integer seed")
    seed = int(rng_seeds[0]) if rng_seeds is not None else DEFAULT_SEED
    if chipSeed is not None:
        chip_seed = int(chipSeed)
    elif workStationName:
        chip_seed = zlib.crc32(str(workStationName).encode())
    else:
        chip_seed = DEFAULT_CHIP_SEED
    if minimumISI < 0:
        raise ValueError(f"setup(minimumISI={minimumISI}): must be >= 0 ms")
    if not 0 < ratioSuperthreshSubthresh <= 1.5:
        raise ValueError(f"setup(ratioSuperthreshSubthresh={ratioSuperthreshSubthresh}): "
                         "allowed (0, 1.5]")
    return SpikeySettings(
        mapping_offset=int(mappingOffset), permutation=list(neuronPermutation),
        calib_tau_mem=bool(calibTauMem), calib_syn_drivers=bool(calibSynDrivers),
        calib_icb=bool(calibIcb), seed=seed, chip_seed=chip_seed, noise=bool(noise),
        write_config=bool(writeConfigToFile), minimum_isi=float(minimumISI),
        avoid_spikes=bool(avoidSpikes), ratio_superthresh=float(ratioSuperthreshSubthresh),
        order=order)
