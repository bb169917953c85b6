"""Host-side mapping rules of sPyNNaker 7.4.1: partitioning, weight scaling, delays.

Each function states one rule of spec §2 and §3 so it can be tested on its own numbers.
"""

from __future__ import annotations

import math
import sys

import numpy as np
from scipy import special, stats

#: POP_TABLE_MAX_ROW_LENGTH: default neurons per core for neuron models (spec §3.1)
DEFAULT_NEURONS_PER_CORE = 256
#: SpikeSourcePoisson DEFAULT_MAX_ATOMS_PER_CORE
DEFAULT_POISSON_PER_CORE = 500
#: SpikeSourceArray: no model limit (the splitter decides by resources)
DEFAULT_ARRAY_PER_CORE = sys.maxsize
#: MAX_RING_BUFFER_BITS
MAX_RING_BUFFER_BITS = 14
#: DelayExtensionVertex.MAX_SLOTS (stages)
MAX_DELAY_STAGES = 8
#: spynnaker.cfg [Simulation] defaults
SPIKES_PER_SECOND = 30.0
RING_BUFFER_SIGMA = 5.0
POISSON_SIGMA_SUMMATION_LIMIT = 3.0
N_SYNAPSE_TYPES = 2


def slice_bounds(n_atoms: int, max_per_core: int) -> np.ndarray:
    """Contiguous slices of at most ``max_per_core`` atoms: [0, m, 2m, ..., n]."""
    if max_per_core < 1:
        raise ValueError(f"neurons per core must be >= 1, got {max_per_core}")
    inner = np.arange(0, n_atoms, max_per_core, dtype=np.int64)
    return np.append(inner, np.int64(n_atoms))


def atom_bits(n_atoms: int, max_per_core: int) -> int:
    """``ceil(log2(min(n, max_per_core)))`` (0 for a single atom)."""
    n = min(n_atoms, max_per_core)
    return math.ceil(math.log2(n)) if n > 1 else 0


def ring_buffer_shift(max_weight: float) -> int:
    """Smallest shift >= 0 with ``max_weight < 2**shift`` (spec §2)."""
    if max_weight <= 0:
        return 0
    shift = math.ceil(max(0.0, math.log2(max_weight)))
    if 2**shift <= max_weight:
        shift += 1
    return shift


def weight_scale(shift: int, global_scale: float) -> float:
    """``2**(15 - shift) * global_scale``: machine integer units per weight unit."""
    return 2.0 ** (15 - shift) * global_scale


def quantise_weights(weights: np.ndarray, scale: float) -> np.ndarray:
    """Host path: ``uint16(rint(|w| * scale) & 0xFFFF)`` (wraps, as the host code does)."""
    return (np.rint(np.abs(weights) * scale).astype(np.int64) & 0xFFFF).astype(np.uint16)


def delay_ticks(delays_ms: np.ndarray, dt: float) -> np.ndarray:
    """Host delays: ``rint(delay / dt)`` (half to even) in ticks, at least one tick."""
    return np.maximum(1, np.rint(np.asarray(delays_ms, dtype=float) / dt).astype(np.int64))


def type_bits(n_synapse_types: int) -> int:
    """Bits of the synapse-type field of a synaptic word (1 for 2 types, 2 for 3)."""
    return max(1, math.ceil(math.log2(n_synapse_types)))


def delay_slots(n_atom_bits: int, max_delay: int,
                n_synapse_types: int = N_SYNAPSE_TYPES) -> tuple[int, int]:
    """(slots used, slots available) of a core's ring buffer for ``max_delay`` ticks."""
    n_delay_bits = MAX_RING_BUFFER_BITS - (n_atom_bits + type_bits(n_synapse_types))
    available = 2**n_delay_bits
    wanted = 2 ** math.ceil(math.log2(max(1, max_delay)))
    return min(wanted, available), available


def max_supported_delay(slots_used: int) -> int:
    """Ticks reachable with the ring buffer plus all delay-extension stages."""
    return slots_used * (1 + MAX_DELAY_STAGES)


#: chance used by FixedProbabilityConnector.get_n_connections_to_post_vertex_maximum
FIXED_PROBABILITY_CHANCE = 1.0 / 10000.0

#: analytic (mean, variance) of PyNN RandomDistributions, as sPyNNaker's random_stats
_DISTRIBUTIONS = {
    "uniform": lambda p: stats.uniform(loc=p["low"], scale=p["high"] - p["low"]),
    "normal": lambda p: stats.norm(loc=p["mu"], scale=p["sigma"]),
    "normal_clipped": lambda p: stats.truncnorm((p["low"] - p["mu"]) / p["sigma"],
                                                (p["high"] - p["mu"]) / p["sigma"],
                                                loc=p["mu"], scale=p["sigma"]),
    "exponential": lambda p: stats.expon(scale=p["beta"]),
    "gamma": lambda p: stats.gamma(p["k"], scale=p["theta"]),
    "lognormal": lambda p: stats.lognorm(p["sigma"], scale=math.exp(p["mu"])),
}


def parameter_moments(spec, values) -> tuple[float, float]:
    """sPyNNaker's (|mean|, variance) of a weight or delay parameter (``get_weight_mean``,
    ``get_weight_variance``, ``get_delay_variance``): analytic for a RandomDistribution,
    (|value|, 0) for a constant, else those of the connections' values ``|values|``
    (an array, or a function returning it, called only in that last case)."""
    base = getattr(spec, "base_value", spec)
    if not getattr(spec, "operations", None):
        name = getattr(base, "name", None)
        if name in _DISTRIBUTIONS:
            dist = _DISTRIBUTIONS[name](base.parameters)
            return abs(float(dist.mean())), float(dist.var())
        if np.isscalar(base):
            return abs(float(base)), 0.0
    magnitude = np.abs(np.asarray(values() if callable(values) else values, dtype=float))
    return (float(magnitude.mean()), float(magnitude.var())) if magnitude.size else (0.0, 0.0)


def combine_stats(items) -> tuple[float, float, int]:
    """(mean, variance, n) of groups given as (mean, variance, n): sPyNNaker's
    ``RunningStats.add_items`` applied in order (n <= 0 skipped; variance 0 if n <= 1)."""
    n_total, mean, m2 = 0, 0.0, 0.0
    for m, var, n in items:
        if n <= 0:
            continue
        new_n = n_total + n
        delta = m - mean
        new_mean = (n_total * mean + n * m) / new_n
        m2 = m2 + var * (n - 1.0) + delta * delta * n_total * n / new_n
        n_total, mean = new_n, new_mean
    return mean, (m2 / (n_total - 1.0) if n_total > 1 else 0.0), n_total


def probable_maximum_selected(n_total_trials: int, n_trials: int, p: float,
                              chance: float = 1.0 / 100.0) -> float:
    """sPyNNaker's bound on a binomial maximum (``get_probable_maximum_selected``)."""
    prob = 1.0 - chance / float(n_total_trials)
    return float(stats.binom.ppf(prob, n_trials, p))


def poisson_max_spikes_per_tick(max_rate_hz: float, dt_ms: float) -> int:
    """Worst-case spikes of one Poisson source in one tick (``max_spikes_per_ts``)."""
    per_tick = max_rate_hz * dt_ms / 1000.0
    if per_tick < 0.01:
        return 1
    return math.ceil(stats.poisson.ppf(1.0 - 1.0 / 1000.0, per_tick)) + 1


def expected_upper_bound(weight_mean: float, weight_std: float, spikes_per_second: float,
                         n_synapses_in: int, steps_per_second: float,
                         sigma: float = RING_BUFFER_SIGMA) -> float:
    """Mean plus ``sigma`` standard deviations of the summed input in one tick (spec §2)."""
    avg = float(n_synapses_in * spikes_per_second) / steps_per_second
    poisson_variance = avg * weight_mean**2
    upper = round(avg + POISSON_SIGMA_SUMMATION_LIMIT * math.sqrt(avg))
    weight_variance = 0.0
    if weight_std > 0 and avg > 0:
        lngamma = special.gammaln(1 + upper)
        gammai = special.gammaincc(1 + upper, avg)
        big_ratio = math.log(avg) * upper - lngamma
        if -701.0 < big_ratio < 701.0 and big_ratio != 0.0:
            inner = math.exp(avg) * gammai - math.exp(big_ratio)
            if inner > 0:
                weight_variance = math.exp(-avg + math.log(avg) + 2.0 * math.log(weight_std)
                                           + math.log(inner))
    return avg * weight_mean + sigma * math.sqrt(poisson_variance + weight_variance)
