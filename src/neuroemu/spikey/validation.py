"""Checks of the network description that the Spikey software makes before mapping.

Cell and synapse types, the chip's 384 neurons, parameter signs, spike-time order and the
32-bit time limit (spec spikey §1.2-1.7); STDP and STP settings that cannot exist on the chip.
"""

from __future__ import annotations

import warnings

import numpy as np
from pyNN import errors as pynn_errors

from neuroemu.errors import MappingError, NeuroemuWarning, UnsupportedFeatureError
from neuroemu.pynn.cells import resolve
from neuroemu.pynn.populations import spike_trains
from neuroemu.spikey import cells, mapping, program, stdp, stp, topology

MACHINE = cells.MACHINE


def check_population(pop, populations) -> None:
    """Supported cell type, room on the chip, non-negative parameters, valid spike times."""
    if not isinstance(pop.celltype, cells.SUPPORTED_CELLS):
        raise UnsupportedFeatureError(f"cell type {type(pop.celltype).__name__}", MACHINE,
                                      "only IF_facets_hardware1 and spike sources")
    if isinstance(pop.celltype, cells.IF_facets_hardware1):
        others = sum(p.size for p in populations if p is not pop and
                     isinstance(p.celltype, cells.IF_facets_hardware1))
        if others + pop.size > topology.N_NEURONS:
            raise MappingError("neurons", others + pop.size, topology.N_NEURONS,
                               "Spikey chip", "ERROR: Network is larger than chip size!")
    p = pop._parameters
    for name in ("g_leak", "tau_refrac", "rate", "start", "duration"):
        if name in p:
            arr = np.asarray(p[name], dtype=float)
            if (arr < 0).any() or np.isnan(arr).any():
                raise pynn_errors.InvalidParameterValueError(
                    f"Population '{pop.label}': {name}={float(arr[~(arr >= 0)][0])} "
                    "(allowed: >= 0)")
    if "spike_times" in p:
        for i, times in enumerate(spike_trains(pop)):
            if times.size and (times.min() < 0 or np.any(np.diff(times) < 0)):
                raise pynn_errors.InvalidParameterValueError(
                    f"Population '{pop.label}': spike_times[{i}] must be non-negative and "
                    "ascending")
            if times.size and times.max() > program.MAX_TIME_MS:
                raise ValueError(
                    f"Population '{pop.label}': spike time {times.max()} ms: maximum "
                    "runtime (due to 32-bit time stamps) is approx. 6600s "
                    f"({program.MAX_TIME_MS:.1f} ms)")


def check_projection(projection, populations) -> None:
    """Synapse type and its settings, receptor, target cells, source numbers < 512."""
    syn = projection.synapse_type
    if not isinstance(syn, (cells.StaticSynapse, cells.TsodyksMarkramSynapse,
                            cells.STDPMechanism)):
        raise UnsupportedFeatureError(f"synapse type {type(syn).__name__}", MACHINE,
                                      "static, TsodyksMarkramSynapse or STDPMechanism")
    if isinstance(syn, cells.STDPMechanism):
        stdp.check_mechanism(syn)
        td = syn.timing_dependence.parameter_space
        for name in ("tau_plus", "tau_minus"):
            value = float(td[name].base_value)
            if value != stdp.TAU_MS:
                warnings.warn(f"{name}={value} ms is not possible via PyNN on Spikey: the "
                              f"chip uses {stdp.TAU_MS} ms", NeuroemuWarning, stacklevel=5)
    if isinstance(syn, cells.TsodyksMarkramSynapse):
        ps = syn.parameter_space
        stp.mode(float(ps["tau_rec"].base_value), float(ps["tau_facil"].base_value))
    if projection.receptor_type not in ("excitatory", "inhibitory"):
        raise UnsupportedFeatureError(f"receptor type {projection.receptor_type!r}", MACHINE)
    for root, _, _ in resolve(projection.post):
        if not isinstance(root.celltype, cells.IF_facets_hardware1):
            raise UnsupportedFeatureError(
                f"projection onto {type(root.celltype).__name__}", MACHINE)
    for root, idx, _ in resolve(projection.pre):
        if isinstance(root.celltype, cells.SOURCE_CELLS) and idx.size:
            mapping.check_source_index(source_offset(root, populations) + int(idx.max()),
                                       projection)


def source_offset(pop, populations) -> int:
    """Number of the first source of ``pop`` (sources count in creation order)."""
    n = 0
    for p in populations:
        if p is pop:
            return n
        if isinstance(p.celltype, cells.SOURCE_CELLS):
            n += p.size
    return n
