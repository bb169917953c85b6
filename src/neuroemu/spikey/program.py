"""Chip mapping + settings -> the flat arrays the kernel runs on (spec §3.2, §4).

``neuron_arrays`` and ``driver_arrays`` translate the mapped network into per-neuron and
per-driver constants; ``ChipState`` is what the analogue chip carries from one run to the
next (membranes, PSC ramps, STP partitions); ``input_events`` turns source spike times into
packed, possibly thinned, input events.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from neuroemu.spikey import bandwidth, cells, neuron, noise, topology
from neuroemu.spikey.kernel import BINS_PER_MS, STEP_BINS, STEP_MS
from neuroemu.spikey.mapping import ChipMapping
from neuroemu.spikey.topology import (
    DRIVERS_PER_BLOCK,
    EXTERNAL,
    N_DRIVERS,
    N_NEURONS,
    NEURONS_PER_BLOCK,
)

#: PSC fall time constant at drvifall factor 1 (estimator tau_syn = 5 ms, spec §1.2)
TAU_FALL_MS = 5.0
#: PSC rise time constant at drvirise factor 1 (neuroemu's choice; the spec has no number)
TAU_RISE_MS = 0.5
#: chip conductance per weight LSB at drviout factor 1 (nS). The calibration makes 7 LSB act
#: like 7 nS in the software model with e_rev_E = 0 mV (spec §3.2, §5.3), but the chip's E_x
#: is -35 mV, so the excitatory LSB is scaled by 1.5: then three weight-15 inputs fire a
#: resting neuron 3.0 ms later, as the hardware's ~2.9 ms (spec §3.3, test_stdp_basic).
#: Inhibitory: 4 nS (LSB 4x, same reversal as the software model).
LSB_NS = {1: 1.5, -1: 4.0}
#: (2^31 - 2^21) / 320 ms: last representable input time (spec §1.7)
MAX_TIME_MS = (2 ** 31 - 2 ** 21) / BINS_PER_MS


def neuron_arrays(populations, m: ChipMapping, settings, pattern: noise.FixedPattern):
    """(neu_f, neu_i, initial v, programmed iLeak µA) per hardware neuron; warns like the
    mapping code."""
    neu_f = np.zeros((N_NEURONS, 6))
    i_leak = np.zeros(N_NEURONS)
    neu_i = np.zeros((N_NEURONS, 1), np.int64)
    v0 = np.zeros(N_NEURONS)
    pops = [p for p in populations if id(p) in m.hw_neuron]
    if not pops:
        return neu_f, neu_i, v0, i_leak
    hw = np.concatenate([m.hw_neuron[id(p)] for p in pops])
    param = {name: np.concatenate([np.asarray(p._parameters[name], dtype=float) for p in pops])
             for name in cells.IF_facets_hardware1.default_parameters}
    shared = neuron.shared_values(hw, {n: param[n] for n in neuron.SHARED})
    neuron.warn_voltage_range(shared)
    g = neuron.leak_conductance(param["g_leak"])
    i_leak[hw] = g * neuron.UA_PER_NS
    neu_f[hw, 0] = g / pattern.tau_factor[hw]
    neu_f[hw, 1] = shared["v_rest"]
    neu_f[hw, 2] = neuron.to_bio(neuron.AVOID_SPIKES_V) if settings.avoid_spikes \
        else shared["v_thresh"]
    neu_f[hw, 3] = shared["v_reset"]
    neu_f[hw, 4] = shared["e_rev_I"]
    neu_f[hw, 5] = neuron.refractory_period(param["tau_refrac"], settings.icb, settings.calib_icb)
    neu_i[hw, 0] = 1
    v0[hw] = np.concatenate([p.initial_value_array("v") for p in pops])
    return neu_f, neu_i, v0, i_leak


def _norm(tau_f: np.ndarray, tau_r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(1 / peak of exp(-t/tau_f) - exp(-t/tau_r), tau_r nudged off tau_f): peak-1 PSCs."""
    tau_r = np.where(np.isclose(tau_r, tau_f), tau_f * (1 - 1e-6), tau_r)
    t_peak = tau_f * tau_r / (tau_f - tau_r) * np.log(tau_f / tau_r)
    return 1.0 / (np.exp(-t_peak / tau_f) - np.exp(-t_peak / tau_r)), tau_r


def driver_arrays(m: ChipMapping, factors: dict[str, np.ndarray], settings,
                  pattern: noise.FixedPattern, stp_lambda: float, stp_beta: float):
    """(drv_f, drv_i, group_tau): amplitude per LSB (nS), PSC normalisation, STP constants,
    sign and PSC group per driver; group_tau[g] = (fall, rise) time constants (ms)."""
    sign = m.drivers["sign"]
    lsb = np.where(sign < 0, LSB_NS[-1], LSB_NS[1])
    tau_f = TAU_FALL_MS / factors["drvifall"]
    tau_r = np.full(N_DRIVERS, TAU_RISE_MS / settings.drvirise_factor)
    norm, tau_r = _norm(tau_f, tau_r)
    group_tau, group = np.unique(np.stack([tau_f, tau_r], axis=1), axis=0,
                                 return_inverse=True)
    drv_f = np.zeros((N_DRIVERS, 8))
    drv_f[:, 0] = lsb * factors["drviout"] * pattern.driver_factor
    drv_f[:, 3] = norm
    drv_f[:, 4] = m.stp_use
    drv_f[:, 5] = m.stp_chip[2] if m.stp_chip is not None else 1.0
    drv_f[:, 6] = stp_lambda
    drv_f[:, 7] = stp_beta
    drv_i = np.zeros((N_DRIVERS, 4), np.int64)
    drv_i[:, 0] = sign
    drv_i[:, 1] = m.drivers["stp_code"] > 0
    drv_i[:, 2] = m.drivers["stp_code"] >= 16
    drv_i[:, 3] = group.ravel()
    return drv_f, drv_i, group_tau


def feedback_table(m: ChipMapping) -> np.ndarray:
    """Driver fed by hardware neuron h into block b (-1 when that line is not a feedback line
    of h)."""
    h = np.arange(N_NEURONS)
    table = np.full((N_NEURONS, 2), -1, np.int64)
    for b in range(2):
        d = topology.feedback_driver(h, b)
        ok = (m.drivers["kind"][d] > EXTERNAL) & \
            (m.drivers["source_block"][d] == h // NEURONS_PER_BLOCK)
        table[ok, b] = d[ok]
    return table


@dataclass
class ChipState:
    """Analogue state carried across consecutive runs (reset() makes a new one).

    ``psc_a``/``psc_b`` hold the fall/rise PSC states per (group, exc/inh, neuron) of the
    groups ``group_tau``; ``regroup`` carries them over when the groups change.
    """

    v: np.ndarray
    ref_left: np.ndarray = field(default_factory=lambda: np.zeros(N_NEURONS))
    group_tau: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    psc_a: np.ndarray = field(default_factory=lambda: np.zeros((0, 2, N_NEURONS)))
    psc_b: np.ndarray = field(default_factory=lambda: np.zeros((0, 2, N_NEURONS)))
    stp_I: np.ndarray = field(default_factory=lambda: np.zeros(N_DRIVERS))
    stp_last: np.ndarray = field(default_factory=lambda: np.zeros(N_DRIVERS))
    last_pre: np.ndarray = field(default_factory=lambda: np.full(N_DRIVERS, -1e30))
    last_post: np.ndarray = field(default_factory=lambda: np.full(N_NEURONS, -1e30))
    allocated: np.ndarray = field(default_factory=lambda: np.zeros(N_NEURONS, bool))

    def allocate(self, allocated: np.ndarray, v0: np.ndarray) -> None:
        """Neurons that join the network between runs start from their initial value."""
        new = allocated & ~self.allocated
        self.v[new] = v0[new]
        self.allocated = allocated.copy()

    def regroup(self, group_tau: np.ndarray) -> None:
        """Adopt new PSC groups; states of groups that no longer exist are dropped."""
        if np.array_equal(group_tau, self.group_tau):
            return
        a = np.zeros((len(group_tau), 2, N_NEURONS))
        b = np.zeros_like(a)
        for old, tau in enumerate(self.group_tau):
            same = np.flatnonzero((group_tau == tau).all(axis=1))
            if same.size:
                a[same[0]] = self.psc_a[old]
                b[same[0]] = self.psc_b[old]
        self.group_tau, self.psc_a, self.psc_b = group_tau, a, b

    def group_decay(self) -> np.ndarray:
        """Per-step decay factors (fall, rise) of each PSC group."""
        return np.exp(-STEP_MS / self.group_tau)


def quantise(times_ms) -> np.ndarray:
    """Input times floored to 1/320 ms bins (a 1e-6-bin guard absorbs float error)."""
    return np.floor(np.asarray(times_ms, dtype=float) * BINS_PER_MS + 1e-6).astype(np.int64)


@dataclass
class InputEvents:
    step: np.ndarray          # kernel step of each delivered event (sorted)
    driver: np.ndarray        # global driver of each delivered event
    lost: int                 # events dropped by the link
    sent: int                 # events offered to the link
    applied: dict             # source number -> applied spike times (ms)
    link_bins: np.ndarray     # delivered time bin of every event that passed the link
    link_addr: np.ndarray     # its hardware input address


def input_events(spikes: dict[int, np.ndarray], m: ChipMapping, t0_bin: int,
                 n_bins: int) -> InputEvents:
    """Pack the run window's input spikes onto the link (mirrored to block 1 when used)."""
    numbers = [i for i in spikes if i < topology.MAX_SOURCES]
    if numbers:
        bins = np.concatenate([spikes[i] for i in numbers])
        src = np.concatenate([np.full(spikes[i].size, i) for i in numbers])
    else:
        bins = src = np.zeros(0, np.int64)
    # window [t0, t_end) so consecutive runs deliver every spike once; t = 0 is dropped
    keep = (bins >= t0_bin) & (bins < t0_bin + n_bins) & (bins > 0)
    bins, src = bins[keep], src[keep]
    addr = DRIVERS_PER_BLOCK - 1 - src
    if m.block1_used:
        bins = np.concatenate([bins, bins])
        src = np.concatenate([src, src])
        addr = np.concatenate([addr, addr + DRIVERS_PER_BLOCK])
    order = np.lexsort((addr, bins))
    bins, src, addr = bins[order], src[order], addr[order]
    delivered = bandwidth.pack_events(bins, addr)
    ok = delivered >= 0
    applied = {}
    for i in np.unique(src[ok]):
        applied[int(i)] = np.unique(bins[ok & (src == i)]) / BINS_PER_MS
    rel = delivered[ok] - t0_bin
    step = rel // STEP_BINS
    driver = addr[ok]
    external = m.drivers["kind"][driver] == EXTERNAL
    inside = rel < n_bins
    sel = external & inside
    order = np.argsort(step[sel], kind="stable")
    return InputEvents(step[sel][order], driver[sel][order], int((~ok).sum()), int(bins.size),
                       applied, delivered[ok], addr[ok])


@dataclass
class STDPProgram:
    """Per-run STDP arrays: which drivers are plastic rows, the correlation capacitors
    (cleared at every run start: the identity pass), and the row controller's state."""

    row: np.ndarray           # 1 for drivers in the STDP row range (both blocks)
    drivers: np.ndarray       # their indices
    local_rows: np.ndarray    # local driver of each controller row, in controller order
    causal: np.ndarray        # (driver, column) causal charge
    acausal: np.ndarray
    controller: np.ndarray    # [next evaluation (ms from run start), row pointer]
    period: float

    @classmethod
    def start(cls, m: ChipMapping, period_ms: float) -> STDPProgram:
        row = np.zeros(N_DRIVERS, np.int64)
        for b in range(topology.N_BLOCKS):
            row[b * DRIVERS_PER_BLOCK + m.stdp_local_rows] = 1
        shape = (N_DRIVERS, NEURONS_PER_BLOCK)
        return cls(row, np.flatnonzero(row).astype(np.int64),
                   m.stdp_local_rows.astype(np.int64), np.zeros(shape), np.zeros(shape),
                   np.array([period_ms, 0.0]), float(period_ms))
