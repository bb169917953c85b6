"""Keep Numba's on-disk kernel cache consistent with the package's sources.

Numba checks a cached function against its own source file only: a kernel compiled with
inlined code from another module (SpiNNaker's ``run_ticks`` inlines the neuron update, the
router, STDP, ...) keeps running the old code after that other module changes, including
after an upgrade (pip leaves the cache files behind). So every cache directory Numba uses
for the package is emptied whenever any of the package's sources differs from the ones its
kernels were compiled from (a stamp file in the directory records which).
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


def _probe() -> None:
    """Stands for a cached function when asking Numba where a file's kernels go."""


def cache_directories(root: Path = PACKAGE) -> set[Path]:
    """The directories Numba caches the package's kernels in: per source directory, the
    first of its cache locators (``NUMBA_CACHE_DIR``, next to the source, the user's
    cache) that can be written, as Numba chooses; next to the source if Numba's locators
    are unavailable."""
    try:
        from numba.core.caching import CacheImpl
        locators = CacheImpl._locator_classes
    except (ImportError, AttributeError):
        locators = ()
    chosen = set()
    one_source_per_directory = {path.parent: path for path in sorted(root.rglob("*.py"))}
    for source in one_source_per_directory.values():
        where = source.parent / "__pycache__"
        for locator_class in locators:
            try:
                locator = locator_class.from_function(_probe, str(source))
                if locator is None:
                    continue
                locator.ensure_cache_path()
            except (OSError, RuntimeError, ValueError):
                continue
            where = Path(locator.get_cache_path())
            break
        chosen.add(where)
    return chosen


def drop_stale_kernels(root: Path = PACKAGE) -> bool:
    """Delete the cached kernels (``*.nbi``, ``*.nbc``) in every cache directory of
    ``root`` whose stamp differs from the sources' digest, then stamp it; True if anything
    was dropped. Directories that cannot be written are left alone."""
    digest = sources_digest(root)
    dropped = False
    for directory in cache_directories(root):
        stamp = directory / STAMP
        try:
            if stamp.read_text() == digest:
                continue
        except OSError:
            pass
        for cached in (*directory.glob("*.nbi"), *directory.glob("*.nbc")):
            try:
                cached.unlink()
                dropped = True
            except OSError:
                pass
        try:
            directory.mkdir(parents=True, exist_ok=True)
            stamp.write_text(digest)
        except OSError:
            pass
    return dropped
