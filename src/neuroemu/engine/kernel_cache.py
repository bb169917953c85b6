"""Keep Numba's on-disk kernel cache consistent with the package's sources.

Numba checks a cached function against its own source file only: a kernel compiled with
inlined code from another module (SpiNNaker's ``run_ticks`` inlines the neuron update, the
router, STDP, ...) keeps running the old code after that other module changes, including
after an upgrade (pip leaves the cache files behind). So the package's cache is dropped
whenever any of its sources differs from the ones the cache was built from.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
STAMP = "neuroemu_sources.sha256"


def sources_digest(root: Path = PACKAGE) -> str:
    """SHA-256 over the relative path and bytes of every ``.py`` file below ``root``."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def drop_stale_kernels(root: Path = PACKAGE) -> bool:
    """Delete the cached kernels (``__pycache__/*.nbi``, ``*.nbc``) below ``root`` if its
    sources changed since they were compiled; True if anything was dropped. A package
    that cannot be written to (numba then caches elsewhere) is left alone."""
    stamp = root / "__pycache__" / STAMP
    digest = sources_digest(root)
    try:
        if stamp.read_text() == digest:
            return False
    except OSError:
        pass
    dropped = False
    for cached in (*root.rglob("__pycache__/*.nbi"), *root.rglob("__pycache__/*.nbc")):
        try:
            cached.unlink()
            dropped = True
        except OSError:
            pass
    try:
        stamp.parent.mkdir(exist_ok=True)
        stamp.write_text(digest)
    except OSError:
        pass
    return dropped
