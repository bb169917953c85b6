"""The chip's topology: neuron allocation, line-driver assignment, configuration conflicts.

Numbers (spec §2, §7.1-7.3): 2 blocks x 192 neurons, 256 line drivers per block (global
driver index ``256*block + local``), external source i on local driver ``255 - i``, at most
256 external sources, membrane pins ``h % 4 + 4*block``.
"""

from __future__ import annotations

import numpy as np

N_BLOCKS = 2
NEURONS_PER_BLOCK = 192
N_NEURONS = N_BLOCKS * NEURONS_PER_BLOCK          # 384
DRIVERS_PER_BLOCK = 256
N_DRIVERS = N_BLOCKS * DRIVERS_PER_BLOCK          # 512
MAX_SOURCES = 256                                 # mapping limit (spec §2.3)
MAX_SOURCE_CONTAINER = 512                        # index limit at connect (spec §1.7)
EXTERNAL_ONLY_DRIVERS = DRIVERS_PER_BLOCK - NEURONS_PER_BLOCK  # 64 (192..255)

# driver kinds in the configuration word (spec §2.4)
UNUSED, EXTERNAL, FEEDBACK_SAME, FEEDBACK_OTHER = 0, 1, 2, 3

AMBIGUOUS = "Ambiguous synapse driver configuration! "


def hardware_order(mapping_offset: int = 0, permutation=None) -> np.ndarray:
    """Hardware neuron index for the k-th created neuron (spec §2.1).

    ``permutation`` (a full permutation of 0..383) replaces the identity order; the result is
    rotated left by ``mapping_offset``.
    """
    if not 0 <= int(mapping_offset) < N_NEURONS:
        raise ValueError(f"setup(mappingOffset={mapping_offset}): ERROR: Mapping offset is "
                         f"equal to or larger than available neuron number ({N_NEURONS}); "
                         f"allowed 0..{N_NEURONS - 1}")
    if permutation is None or len(permutation) == 0:
        perm = np.arange(N_NEURONS, dtype=np.int64)
    else:
        perm = np.asarray(permutation, dtype=np.int64)
        if perm.shape != (N_NEURONS,) or not np.array_equal(np.sort(perm),
                                                             np.arange(N_NEURONS)):
            missing = sorted(set(range(N_NEURONS)) - set(perm.tolist()))
            raise ValueError("setup(neuronPermutation=...): must be a permutation of all "
                             f"indices 0..{N_NEURONS - 1}; missing indices: {missing[:20]}"
                             f"{' ...' if len(missing) > 20 else ''}")
    return np.roll(perm, -int(mapping_offset))


def feedback_driver(source_neuron, target_block):
    """Global line driver carrying hardware neuron ``source_neuron`` into ``target_block``.

    Same block: local = s % 192; other block: even/odd swapped (spec §2.2, guidebook table).
    """
    s = np.asarray(source_neuron, dtype=np.int64)
    b = np.asarray(target_block, dtype=np.int64)
    local = s % NEURONS_PER_BLOCK
    other = (s // NEURONS_PER_BLOCK) != b
    local = np.where(other, local + 1 - 2 * (local % 2), local)
    return DRIVERS_PER_BLOCK * b + local


def external_driver(source_number, target_block):
    """Global line driver of external source ``i`` in ``target_block``: local 255 - i."""
    i = np.asarray(source_number, dtype=np.int64)
    return DRIVERS_PER_BLOCK * np.asarray(target_block, dtype=np.int64) + \
        (DRIVERS_PER_BLOCK - 1 - i)


def membrane_pin(hardware_neuron: int) -> int:
    """Output pin of a neuron's membrane (spec §4.3): h % 4 + 4 * block, 8 pins."""
    return int(hardware_neuron) % 4 + 4 * (int(hardware_neuron) // NEURONS_PER_BLOCK)


def pynn_row(source_is_neuron: bool, source_index):
    """'PyNN row' (spec §2.6 convention 3): input i -> i, neuron s -> 255 - s % 192."""
    return np.where(source_is_neuron, DRIVERS_PER_BLOCK - 1 - np.asarray(source_index) %
                    NEURONS_PER_BLOCK, np.asarray(source_index))


def configure_drivers(driver, kind, source_block, sign, stp_code) -> dict[str, np.ndarray]:
    """One configuration per line driver from the synapses that use it; conflicts raise.

    Each argument has one entry per used synapse (non-zero weight: a zero-weight synapse never
    configures its driver, spec §1.7). ``kind`` is EXTERNAL or FEEDBACK_*, ``source_block``
    the block of a feedback source (-1 for external), ``sign`` +1 exc / -1 inh, ``stp_code``
    0 = off, else ``1 + 2*k + 16*dep`` (k = capacitor level 1, 3, 5, 7). Returns per-driver
    arrays ``kind``, ``source_block``, ``sign`` (0 unused), ``stp_code`` (spec §2.4 messages,
    raised as ``ConfigurationConflictError``).
    """
    from neuroemu.errors import ConfigurationConflictError

    out = {"kind": np.zeros(N_DRIVERS, np.int64), "source_block": np.full(N_DRIVERS, -1),
           "sign": np.zeros(N_DRIVERS, np.int64), "stp_code": np.zeros(N_DRIVERS, np.int64)}
    driver = np.asarray(driver, dtype=np.int64)
    if driver.size == 0:
        return out
    is_ext = np.asarray(kind) == EXTERNAL

    def differs(values) -> np.ndarray:
        values = np.asarray(values, dtype=np.int64)
        lo = np.full(N_DRIVERS, np.iinfo(np.int64).max)
        hi = np.full(N_DRIVERS, np.iinfo(np.int64).min)
        np.minimum.at(lo, driver, values)
        np.maximum.at(hi, driver, values)
        used = np.zeros(N_DRIVERS, bool)
        used[driver] = True
        return used & (lo != hi)

    def first(mask) -> int:
        return int(np.flatnonzero(mask)[0])

    if differs(sign).any():
        d = first(differs(sign))
        raise ConfigurationConflictError(
            AMBIGUOUS + f"Can't be excitatory and inhibitory at the same time! (driver {d})")
    if differs(is_ext).any():
        d = first(differs(is_ext))
        raise ConfigurationConflictError(
            AMBIGUOUS + f"Source can't be external and feedback at the same time! (driver {d})")
    if differs(source_block).any():
        d = first(differs(source_block))
        raise ConfigurationConflictError(
            AMBIGUOUS + f"Feedback can't be from both blocks at the same time! (driver {d})")
    stp = np.asarray(stp_code, dtype=np.int64)
    if differs(stp > 0).any():
        d = first(differs(stp > 0))
        raise ConfigurationConflictError(
            AMBIGUOUS + f"Short term plasticity can't be turned ON and OFF at the same time! "
            f"(driver {d})")
    if differs(stp >= 16).any():
        d = first(differs(stp >= 16))
        raise ConfigurationConflictError(
            AMBIGUOUS + f"Short term plasticity can't be depressing and facilitating at the "
            f"same time! (driver {d})")
    if differs(stp).any():
        d = first(differs(stp))
        raise ConfigurationConflictError(
            AMBIGUOUS + f"Hardware only supports one STP-configuration for C_2 per driver! "
            f"(driver {d})")
    out["kind"][driver] = kind
    out["source_block"][driver] = source_block
    out["sign"][driver] = sign
    out["stp_code"][driver] = stp
    return out
