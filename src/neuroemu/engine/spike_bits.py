"""Spike recordings kept as bit fields (one bit per recorded neuron and tick, as
sPyNNaker's spike recording region holds them), turned back into (tick, column) events."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _count(bits):
    n = 0
    for row in range(bits.shape[0]):
        for w in range(bits.shape[1]):
            word = bits[row, w]
            while word:
                word &= word - np.uint32(1)
                n += 1
    return n


@njit(cache=True)
def _fill(bits, tick, column):
    n = 0
    for row in range(bits.shape[0]):
        for w in range(bits.shape[1]):
            word = bits[row, w]
            b = 0
            while word:
                if word & np.uint32(1):
                    tick[n] = row
                    column[n] = w * 32 + b
                    n += 1
                word >>= np.uint32(1)
                b += 1


def spike_events(bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of every set bit of a (rows x words) uint32 array, in row-major
    order; bit b of word w is column 32 w + b (least significant bit first)."""
    n = _count(bits)
    tick = np.empty(n, dtype=np.int64)
    column = np.empty(n, dtype=np.int64)
    _fill(bits, tick, column)
    return tick, column
