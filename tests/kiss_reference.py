"""Independent pure-Python reading of SpiNNaker's KISS64 stream and Knuth Poisson loop
(spec spinnaker.md §4.1), the reference for the compiled Poisson paths' tests."""

from __future__ import annotations

M32 = (1 << 32) - 1


def python_kiss_knuth(state: list[int], eml: list[int]) -> tuple[list[int], list[int]]:
    """Independent pure-Python (int) KISS64 + Knuth of §4.1: (counts, final state)."""
    x, y, z, c = state
    counts = []
    for e in eml:
        if e == 0:
            counts.append(0)
            continue
        p, k = M32, -1
        while True:
            k += 1
            x = (314527869 * x + 1234567) & M32
            y ^= (y << 5) & M32
            y ^= y >> 7
            y ^= (y << 22) & M32
            t = 4294584393 * z + c
            c, z = t >> 32, t & M32
            p = (p * ((x + y + z) & M32)) >> 32
            if p <= e:
                break
        counts.append(k)
    return counts, [x, y, z, c]
