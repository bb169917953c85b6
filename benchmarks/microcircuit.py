"""The cortical microcircuit of Potjans & Diesmann (2014), Cereb. Cortex 24:785, written for
neuroemu from the paper's parameter tables (Tables 4 and 5; the Tables' numbers below).

Eight populations (layers 2/3, 4, 5, 6; excitatory and inhibitory) of current-based LIF
neurons with exponential synaptic currents; random connectivity with the paper's
connection probabilities, realised as a fixed total number of synapses per projection
(multapses allowed), K = log(1 - C) / log(1 - 1 / (N_pre N_post)) (the paper's eq. 1);
Poisson background of K_ext inputs at 8 Hz per neuron, one SpikeSourcePoisson of rate
8 K_ext per neuron; no thalamic input.

Scaling (``scale``): neuron numbers are multiplied by ``scale`` and so are the synapse
numbers, so that every neuron keeps its full-scale in-degree and no weight or DC
compensation is needed (mean and variance of the input are kept). At scale 1: 77,169
neurons and about 0.3 billion synapses. The price: a neuron's K inputs come from only
``scale`` N sources, so small scales have many multapses (at scale 0.01 up to ~37 synapses
per L5I -> L5E pair), correlated input and population bursts instead of the paper's
asynchronous irregular state.

In-degree scaling (``k_scale`` < 1, the downscaling of the NEST and PyNN microcircuit
examples after van Albada et al. 2015, PLoS Comput Biol 11:e1004490): recurrent and
background in-degrees multiplied by ``k_scale``, weights divided by sqrt(k_scale) (keeps
the input variance) and a DC current adding the lost mean input,
``tau_syn (1 - sqrt(k_scale)) (sum_s w_ts K_ts nu_s + w K_ext nu_bg)`` with the full-scale
in-degrees K and the full-scale rates nu of :data:`FULL_MEAN_RATES`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from lif_theory import exp_psp_peak_per_nA
from pyNN.random import NumpyRNG, RandomDistribution

from neuroemu.bench.seeds import setup_seed_kwargs, source_seed_kwargs

POPULATIONS = ("L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I")
#: full-scale neuron numbers (Table 5)
N_FULL = np.array([20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948])
#: connection probabilities, rows = target, columns = source, order of POPULATIONS (Table 5)
CONN_PROBS = np.array([
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.1350, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.0600, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.0010, 0.0034, 0.0005, 0.0277, 0.0080, 0.0658, 0.1443],
])
#: external (background) in-degrees (Table 5)
K_EXT = np.array([1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100])
BG_RATE = 8.0                   # Hz per background input
PSP_MEAN = 0.15                 # mV, mean EPSP peak
W_REL_SD = 0.1                  # relative sd of weights
G = -4.0                        # inhibitory / excitatory weight
DELAY_E, DELAY_I = 1.5, 0.75    # ms, mean delays
DELAY_REL_SD = 0.5              # relative sd of delays
MAX_DELAY = 10.0                # ms, delays are drawn from a normal clipped to [dt, 10]
V0_MEAN, V0_SD = -58.0, 10.0    # mV, initial membrane potentials
CELL = {"cm": 0.25, "tau_m": 10.0, "tau_refrac": 2.0, "tau_syn_E": 0.5, "tau_syn_I": 0.5,
        "v_rest": -65.0, "v_reset": -65.0, "v_thresh": -50.0, "i_offset": 0.0}
SEED = 55555
#: mean rates (Hz) of the full-scale model, for the DC compensation of in-degree scaling
#: (``full_mean_rates`` of the NEST microcircuit example, Potjans & Diesmann 2014 Fig. 6)
FULL_MEAN_RATES = np.array([0.971, 2.868, 4.746, 5.396, 8.142, 9.078, 0.991, 7.523])


def _full_synapse_numbers() -> np.ndarray:
    n_outer = np.outer(N_FULL, N_FULL).astype(float)
    return np.log(1.0 - CONN_PROBS) / np.log(1.0 - 1.0 / n_outer)


def synapse_numbers(scale: float = 1.0, k_scale: float = 1.0) -> np.ndarray:
    """Synapses per projection [target, source]: eq. 1 at full scale, times ``scale`` and
    the in-degree factor ``k_scale``."""
    return np.round(_full_synapse_numbers() * scale * k_scale).astype(np.int64)


def full_in_degrees() -> np.ndarray:
    """Mean in-degree per projection [target, source] of the full-scale model."""
    return _full_synapse_numbers() / N_FULL[:, None]


def dc_compensation(k_scale: float) -> np.ndarray:
    """DC (nA) per population that restores the mean input lost by scaling the in-degrees
    by ``k_scale`` with weights divided by sqrt(k_scale): zero for ``k_scale`` 1."""
    recurrent = (weight_matrix() * full_in_degrees() * FULL_MEAN_RATES).sum(axis=1)
    background = mean_weight() * K_EXT * BG_RATE
    return CELL["tau_syn_E"] * 1e-3 * (1.0 - np.sqrt(k_scale)) * (recurrent + background)


def mean_weight() -> float:
    """Mean excitatory PSC amplitude (nA) giving a PSP peak of PSP_MEAN (87.8 pA)."""
    return PSP_MEAN / exp_psp_peak_per_nA(CELL["cm"], CELL["tau_m"], CELL["tau_syn_E"])


def weight_matrix() -> np.ndarray:
    """Mean weight (nA) per projection [target, source]; L4E -> L23E doubled."""
    w = mean_weight()
    matrix = np.tile(np.where(np.arange(8) % 2 == 0, w, G * w), (8, 1))
    matrix[0, 2] *= 2.0
    return matrix


def population_sizes(scale: float) -> np.ndarray:
    sizes = np.round(N_FULL * scale).astype(np.int64)
    if np.any(sizes < 1):
        raise ValueError(f"scale {scale} leaves a population empty (sizes {sizes.tolist()})")
    return sizes


@dataclasses.dataclass
class Microcircuit:
    populations: dict[str, Any]
    projections: dict[tuple[str, str], Any]
    background: dict[str, Any]
    sizes: np.ndarray
    synapses: np.ndarray
    k_scale: float = 1.0

    def configuration(self) -> dict:
        return {"populations": dict(zip(POPULATIONS, self.sizes.tolist())),
                "n_synapses": int(self.synapses.sum()), "cell": CELL,
                "k_scale": self.k_scale,
                "mean_weight_nA": mean_weight() / np.sqrt(self.k_scale), "g": G,
                "bg_rate_Hz": BG_RATE, "k_ext": (K_EXT * self.k_scale).tolist(),
                "dc_nA": dc_compensation(self.k_scale).tolist(),
                "delays_ms": [DELAY_E, DELAY_I]}


def build(sim, scale: float, dt: float, seed: int = SEED, system: str = "",
          k_scale: float = 1.0) -> Microcircuit:
    """``sim.setup()`` and the network at ``scale`` with in-degrees scaled by ``k_scale``
    (compensated as in the module docstring); spikes of every neuron recorded. ``system``
    (the backend name) selects how the Poisson background is seeded."""
    if not 0.0 < k_scale <= 1.0:
        raise ValueError(f"k_scale must be in (0, 1], got {k_scale}")
    sizes = population_sizes(scale)
    n_syn = synapse_numbers(scale, k_scale)
    weights = weight_matrix() / np.sqrt(k_scale)
    w_ext = mean_weight() / np.sqrt(k_scale)
    dc = dc_compensation(k_scale)
    sim.setup(timestep=dt, min_delay=dt, max_delay=MAX_DELAY, **setup_seed_kwargs(system, seed))
    rng = NumpyRNG(seed=seed, parallel_safe=True)
    v0 = RandomDistribution("normal", mu=V0_MEAN, sigma=V0_SD, rng=rng)
    pops = {}
    background = {}
    for i, name in enumerate(POPULATIONS):
        cell = sim.IF_curr_exp(**{**CELL, "i_offset": float(dc[i])})
        pops[name] = sim.Population(int(sizes[i]), cell, label=name, initial_values={"v": v0})
        pops[name].record("spikes")
        background[name] = sim.Population(
            int(sizes[i]), sim.SpikeSourcePoisson(rate=BG_RATE * K_EXT[i] * k_scale),
            label=f"{name}_bg", **source_seed_kwargs(system, seed + 1 + i))
        sim.Projection(background[name], pops[name], sim.OneToOneConnector(),
                       sim.StaticSynapse(weight=w_ext, delay=dt),
                       receptor_type="excitatory")
    projections = {}
    for t, target in enumerate(POPULATIONS):
        for s, source in enumerate(POPULATIONS):
            if n_syn[t, s] == 0:
                continue
            w = weights[t, s]
            excitatory = s % 2 == 0
            mean_delay = DELAY_E if excitatory else DELAY_I
            weight = RandomDistribution(
                "normal_clipped", mu=w, sigma=abs(w) * W_REL_SD,
                low=0.0 if excitatory else -np.inf, high=np.inf if excitatory else 0.0, rng=rng)
            delay = RandomDistribution("normal_clipped", mu=mean_delay,
                                       sigma=mean_delay * DELAY_REL_SD, low=dt, high=MAX_DELAY,
                                       rng=rng)
            projections[source, target] = sim.Projection(
                pops[source], pops[target],
                sim.FixedTotalNumberConnector(int(n_syn[t, s]), with_replacement=True, rng=rng),
                sim.StaticSynapse(weight=weight, delay=delay),
                receptor_type="excitatory" if excitatory else "inhibitory")
    return Microcircuit(pops, projections, background, sizes, n_syn, k_scale)
