"""Description -> chip: neuron placement, line-driver allocation, 4-bit weights (spec §2, §3).

``ChipMapping`` is rebuilt whenever populations or connections change; it holds per-driver
configuration, the 512 x 192 digital weight matrix (rows = drivers, columns = neurons of the
driver's block) and, per projection, where each connection landed.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from pyNN import errors as pynn_errors

from neuroemu.errors import MappingError, NeuroemuWarning
from neuroemu.pynn.cells import resolve
from neuroemu.spikey import cells, stp, topology, weights
from neuroemu.spikey.topology import (
    DRIVERS_PER_BLOCK,
    EXTERNAL,
    FEEDBACK_OTHER,
    FEEDBACK_SAME,
    N_DRIVERS,
    NEURONS_PER_BLOCK,
)

MACHINE = cells.MACHINE
DRIVER_FACTOR_RANGE = {"drvifall": (0.02, 2.5), "drviout": (0.02 / 1.5, 2.5 / 1.5),
                       "drvirise": (0.02, 2.5)}


@dataclass
class ProjectionPlacement:
    """Where each connection of one projection sits on the chip."""

    driver: np.ndarray          # global line driver per connection
    column: np.ndarray          # column (post neuron % 192) per connection
    digital: np.ndarray         # discretised weight requested at mapping
    receptor: str
    stp_code: np.ndarray        # per connection (0 = static)
    stdp: bool


@dataclass
class ChipMapping:
    hw_neuron: dict = field(default_factory=dict)      # id(pop) -> hardware neuron per cell
    source_number: dict = field(default_factory=dict)  # id(pop) -> source number per cell
    placements: dict = field(default_factory=dict)     # id(proj) -> ProjectionPlacement
    drivers: dict = field(default_factory=dict)        # topology.configure_drivers output
    weights: np.ndarray = field(default_factory=lambda: np.zeros((N_DRIVERS,
                                                                  NEURONS_PER_BLOCK), np.uint8))
    stp_use: np.ndarray = field(default_factory=lambda: np.zeros(N_DRIVERS))
    stp_chip: tuple | None = None                      # (depressing, k, tau) of the chip
    stdp_local_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    block1_used: bool = False
    n_neurons: int = 0


def check_source_index(number: int, projection) -> None:
    """Source numbers >= 512 fail at connect time (spec §1.7)."""
    if number >= topology.MAX_SOURCE_CONTAINER:
        raise pynn_errors.ConnectionError(
            f"Projection '{projection.label}': external source number {number} >= "
            f"{topology.MAX_SOURCE_CONTAINER}: ERROR: Invalid source index!")


def _locate(cells_obj, m: ChipMapping) -> tuple[np.ndarray, np.ndarray]:
    """(is_source, hardware neuron or source number) for every cell of a population, view or
    assembly, in its own order."""
    is_source = np.zeros(cells_obj.size, bool)
    where = np.zeros(cells_obj.size, np.int64)
    for root, idx, pos in resolve(cells_obj):
        if id(root) in m.source_number:
            is_source[pos] = True
            where[pos] = m.source_number[id(root)][idx]
        else:
            where[pos] = m.hw_neuron[id(root)][idx]
    return is_source, where


def _stp_codes(projection, n_conn: int, values: dict) -> tuple[np.ndarray, tuple | None]:
    if not isinstance(projection.synapse_type, cells.TsodyksMarkramSynapse):
        return np.zeros(n_conn, np.int64), None
    U, tau_rec, tau_facil = (np.asarray(values[n], dtype=float) for n in
                             ("U", "tau_rec", "tau_facil"))
    codes = np.zeros(n_conn, np.int64)
    last = None
    for i in range(n_conn):
        dep, tau = stp.mode(tau_rec[i], tau_facil[i])
        k = stp.capacitor_level(U[i])
        codes[i] = stp.stp_code(dep, k)
        last = (dep, k, tau)
    return codes, last


def build(populations, projections, order: np.ndarray, rng: np.random.Generator,
          factors: dict) -> ChipMapping:
    """Place neurons and sources, discretise weights, configure drivers (raises on conflict).

    ``order`` is the hardware neuron of each created neuron (mappingOffset/permutation);
    ``factors[id(proj)]`` holds optional per-connection 'drvifall'/'drviout' factors.
    """
    m = ChipMapping()
    n_neu = n_src = 0
    for pop in populations:
        if isinstance(pop.celltype, cells.IF_facets_hardware1):
            m.hw_neuron[id(pop)] = order[n_neu:n_neu + pop.size]
            n_neu += pop.size
        else:
            m.source_number[id(pop)] = np.arange(n_src, n_src + pop.size)
            n_src += pop.size
    m.n_neurons = n_neu
    if n_neu == 0:
        raise MappingError("neurons", 0, topology.N_NEURONS, "Spikey chip",
                           "ERROR: Network size is zero!")
    m.block1_used = bool(any((h >= NEURONS_PER_BLOCK).any() for h in m.hw_neuron.values()))
    all_drv, all_kind, all_sblk, all_sign, all_stp = [], [], [], [], []
    stdp_rows = []
    stp_requests: set[float] = set()
    for proj in projections:
        pre, post = proj._pre_idx, proj._post_idx
        values = proj._values
        receptor = proj.receptor_type
        synapse = proj.synapse_type
        codes, stp_last = _stp_codes(proj, pre.size, values)
        w = np.asarray(values["weight"], dtype=float)
        if stp_last is not None:
            stp_requests.add(stp_last[2])
            w = stp.prescale(w, np.asarray(values["U"], dtype=float), codes >= 16)
            m.stp_chip = stp_last
        digital = weights.discretise(w, receptor, rng)
        post_hw = _locate(proj.post, m)[1][post]
        block = post_hw // NEURONS_PER_BLOCK
        pre_is_source, pre_where = _locate(proj.pre, m)
        ext, number = pre_is_source[pre], pre_where[pre]
        if ext.any() and number[ext].max() >= topology.MAX_SOURCES:
            raise MappingError("external sources", int(number[ext].max()) + 1,
                               topology.MAX_SOURCES, "Spikey chip",
                               f"Projection '{proj.label}': ERROR: Invalid source index!")
        driver = np.where(ext, topology.external_driver(np.minimum(number, 255), block),
                          topology.feedback_driver(number, block))
        src_block = np.where(ext, -1, number // NEURONS_PER_BLOCK)
        kind = np.where(ext, EXTERNAL,
                        np.where(src_block == block, FEEDBACK_SAME, FEEDBACK_OTHER))
        source_row = topology.pynn_row(~ext, number)
        is_stdp = isinstance(synapse, cells.STDPMechanism)
        if is_stdp and pre.size:
            stdp_rows.append(source_row)
        used = digital > 0
        all_drv.append(driver[used])
        all_kind.append(kind[used])
        all_sblk.append(src_block[used])
        all_sign.append(np.full(int(used.sum()), 1 if receptor == "excitatory" else -1))
        all_stp.append(codes[used])
        m.placements[id(proj)] = ProjectionPlacement(driver, post_hw % NEURONS_PER_BLOCK,
                                                     digital, receptor, codes, is_stdp)
    cat = (lambda parts: np.concatenate(parts) if parts else np.zeros(0, np.int64))
    _warn_shared_lines(cat(all_drv), cat(all_kind))
    m.drivers = topology.configure_drivers(cat(all_drv), cat(all_kind), cat(all_sblk),
                                           cat(all_sign), cat(all_stp))
    _fill_weights(m, projections)
    for d in np.flatnonzero(m.drivers["stp_code"]):
        k = (int(m.drivers["stp_code"][d]) % 16 - 1) // 2
        m.stp_use[d] = stp.use_fraction(k)
    if m.stp_chip is not None:
        dep, k, tau = m.stp_chip
        m.stp_chip = (dep, k, stp.chip_tau(dep, k, tau))
        if len(stp_requests) > 1:
            warnings.warn(f"STP time constants {sorted(stp_requests)} ms requested, but the "
                          f"chip has one: the last STP projection's wins ({m.stp_chip[2]} ms "
                          "from the calibration table)", NeuroemuWarning, stacklevel=4)
    if stdp_rows:
        rows = np.concatenate(stdp_rows)
        lo, hi = int(rows.min()), int(rows.max())
        m.stdp_local_rows = DRIVERS_PER_BLOCK - 1 - np.arange(lo, hi + 1)
    return m


def _warn_shared_lines(driver: np.ndarray, kind: np.ndarray) -> None:
    """Sources from number 64 on use lines that are also neuron feedback lines (spec §1.7:
    the Spikey software warns; a real double use raises in configure_drivers)."""
    local = driver[kind == EXTERNAL] % DRIVERS_PER_BLOCK
    shared = np.unique(local[local < NEURONS_PER_BLOCK])
    if shared.size:
        warnings.warn(f"{shared.size} external source line(s) (local drivers {shared.min()}.."
                      f"{shared.max()}, sources >= {topology.EXTERNAL_ONLY_DRIVERS}) are also "
                      "the feedback lines of neurons; those neurons cannot project into the "
                      "same block", NeuroemuWarning, stacklevel=4)


def _fill_weights(m: ChipMapping, projections) -> None:
    seen = np.zeros(m.weights.shape, dtype=bool)
    duplicates = 0
    for proj in projections:
        pl = m.placements[id(proj)]
        used = pl.digital > 0
        d, c = pl.driver[used], pl.column[used]
        duplicates += int(seen[d, c].sum()) + (d.size - np.unique(d * 256 + c).size)
        m.weights[d, c] = pl.digital[used]
        seen[d, c] = True
    if duplicates:
        warnings.warn(f"{duplicates} connection(s) land on an already used hardware synapse "
                      "(same line driver and neuron); the last one mapped sets its weight",
                      NeuroemuWarning, stacklevel=4)


def driver_factors(m: ChipMapping, projections, factors: dict) -> dict[str, np.ndarray]:
    """Per-driver drvifall/drviout factors (1 unless a projection set them; last wins)."""
    out = {name: np.ones(N_DRIVERS) for name in ("drvifall", "drviout")}
    for proj in projections:
        for name, per_conn in factors.get(id(proj), {}).items():
            out[name][m.placements[id(proj)].driver] = per_conn
    return out


def check_factor(name: str, values) -> np.ndarray:
    """Driver factors must lie in the allowed range (spec §1.3 message)."""
    lo, hi = DRIVER_FACTOR_RANGE[name]
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    bad = (arr < lo - 1e-12) | (arr > hi + 1e-12)
    if bad.any():
        label = name.capitalize()
        raise ValueError(f"ERROR: {label} factor outside of allowed range [{lo:.4g}, {hi:.4g}]: "
                         f"{arr[bad][0]}")
    return arr
