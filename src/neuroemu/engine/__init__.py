"""Machine-independent Numba primitives (fixed point, RNG streams, ...)."""
