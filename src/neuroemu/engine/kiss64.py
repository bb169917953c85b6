"""Marsaglia KISS64 generator as used by SpiNNaker, and sPyNNaker's host seeding rule.

Behaviour reproduced (facts taken from the public sources, code written anew):

* ``sPyNNaker: neural_modelling/src/spike_source/poisson/spike_source_poisson.c``
  (7.x, Apache-licensed header): the Poisson source keeps an ``rng_seed_t {x, y, z, c}``
  of four uint32 words and advances it with an inlined KISS64 step::

      x = 314527869 * x + 1234567                   (mod 2^32)
      y ^= y << 5;  y ^= y >> 7;  y ^= y << 22      (32-bit xorshift)
      t = 4294584393 * z + c                        (64-bit multiply-with-carry)
      c = t >> 32;  z = t mod 2^32
      return x + y + z                              (mod 2^32)

* ``sPyNNaker: spynnaker/pyNN/utilities/utility_calls.py`` (7.x):
  ``create_mars_kiss_seeds(rng)`` draws four words, each
  ``rng.randint(-0x80000000, 0x7FFFFFFF) + 0x80000000`` (four scalar calls, in the order
  x, y, z, c), then validates: ``y == 0`` is replaced by ``13031301`` and
  ``c = c % 698769068 + 1`` (avoids z = c = 0 and keeps c below the MWC modulus).
* ``sPyNNaker: spynnaker/pyNN/models/spike_source/spike_source_poisson_vertex.py`` (7.x):
  one ``numpy.random.RandomState(seed)`` per population; every machine vertex (core slice)
  gets its own four words from it, drawn when the slice's data are written (slice order).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "ARBITRARY_Y",
    "MARS_C_MAX",
    "MWC_A",
    "X_ADD",
    "X_MUL",
    "create_mars_kiss_seeds",
    "kiss64_next",
    "kiss64_step",
    "kiss_seeds_for_slices",
]

#: host seeding constants (sPyNNaker utility_calls.py)
BASE_RANDOM_FOR_MARS_64 = 0x80000000
CAP_RANDOM_FOR_MARS_64 = 0x7FFFFFFF
N_RANDOM_NUMBERS = 4
ARBITRARY_Y = 13031301
MARS_C_MAX = 698769068

_M32 = np.uint64(0xFFFFFFFF)
#: the generator's constants: x = X_MUL * x + X_ADD; t = MWC_A * z + c
X_MUL = np.uint64(314527869)
X_ADD = np.uint64(1234567)
MWC_A = np.uint64(4294584393)
_S5 = np.uint64(5)
_S7 = np.uint64(7)
_S22 = np.uint64(22)
_S32 = np.uint64(32)


@njit(cache=True, inline="always")
def kiss64_step(x, y, z, c):
    """One KISS64 step on the state words held in registers (uint64 holding uint32 values):
    returns the new (x, y, z, c) and the output. Hot loops keep the state in locals with
    this (an array state is reloaded and stored at every draw)."""
    # linear congruential part (mod 2^32)
    x = (X_MUL * x + X_ADD) & _M32
    # 32-bit xorshift part
    y = y ^ ((y << _S5) & _M32)
    y = y ^ (y >> _S7)
    y = y ^ ((y << _S22) & _M32)
    # multiply-with-carry part; a * (2^32 - 1) + (2^32 - 1) < 2^64, so no overflow
    t = MWC_A * z + c
    c = t >> _S32
    z = t & _M32
    return x, y, z, c, (x + y + z) & _M32


@njit(cache=True)
def kiss64_next(state):
    """Advance ``state`` (uint32[4] = x, y, z, c) in place; return the next uint32 output."""
    x, y, z, c, out = kiss64_step(np.uint64(state[0]), np.uint64(state[1]),
                                  np.uint64(state[2]), np.uint64(state[3]))
    state[0] = np.uint32(x)
    state[1] = np.uint32(y)
    state[2] = np.uint32(z)
    state[3] = np.uint32(c)
    return np.uint32(out)


def create_mars_kiss_seeds(rng: np.random.RandomState) -> np.ndarray:
    """Draw and validate one KISS64 seed quadruple (x, y, z, c) exactly as the host does."""
    words = [
        int(rng.randint(-BASE_RANDOM_FOR_MARS_64, CAP_RANDOM_FOR_MARS_64))
        + BASE_RANDOM_FOR_MARS_64
        for _ in range(N_RANDOM_NUMBERS)
    ]
    if words[1] == 0:
        words[1] = ARBITRARY_Y
    words[3] = words[3] % MARS_C_MAX + 1
    return np.array(words, dtype=np.uint32)


def kiss_seeds_for_slices(seed: int | None, n_slices: int) -> np.ndarray:
    """Seed quadruples for ``n_slices`` core slices, drawn in slice order from one stream.

    ``seed=None`` uses an unseeded ``numpy.random.RandomState()`` (non-reproducible), as
    sPyNNaker does when the population has no ``seed``.
    """
    n_slices = int(n_slices)
    if n_slices < 0:
        raise ValueError(f"n_slices must be >= 0, got {n_slices}")
    rng = np.random.RandomState(seed)
    out = np.empty((n_slices, 4), dtype=np.uint32)
    for i in range(n_slices):
        out[i] = create_mars_kiss_seeds(rng)
    return out
