"""Test-time access to the PyNN 0.13.0 source distribution and to PyNN backends.

PyNN's examples (``examples/``) and system scenarios (``test/system/scenarios/``) are
third-party files: they are never committed here. :func:`pynn_sdist_dir` fetches the sdist
with pip the first time it is needed and reuses the unpacked copy afterwards.

Where the sdist lives:

* ``$NEUROEMU_PYNN_SDIST`` pointing at an unpacked sdist (a directory holding ``examples/``
  and ``test/system/scenarios/``) is used as it is;
* ``$NEUROEMU_PYNN_SDIST`` pointing anywhere else is taken as the cache directory;
* otherwise the cache is ``$XDG_CACHE_HOME/neuroemu`` (default ``~/.cache/neuroemu``).

The download is ``python -m pip download --no-deps --no-binary :all: pyNN==0.13.0``; if it
fails (no network, no pip), the calling test is skipped with the reason.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest

PYNN_VERSION = "0.13.0"
DOWNLOAD_TIMEOUT_S = 600

#: simulator name -> the top-level package PyNN's backend needs; missing => skip, not fail
_ENGINE_PACKAGES = {"nest": "nest", "neuron": "neuron", "brian2": "brian2"}


def _looks_like_sdist(path: Path) -> bool:
    return (path / "examples" / "VAbenchmarks.py").is_file() and (
        path / "test" / "system" / "scenarios" / "__init__.py"
    ).is_file()


def _cache_root() -> Path:
    env = os.environ.get("NEUROEMU_PYNN_SDIST")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "neuroemu"


@contextlib.contextmanager
def _exclusive_lock(lock_path: Path):
    """Serialise concurrent downloads (e.g. pytest-xdist workers); no-op without fcntl."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not Linux
        yield
        return
    with open(lock_path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _safe_extract(archive: Path, dest: Path) -> None:
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, filter="data")
        else:  # pragma: no cover - Python < 3.11.4
            for member in tar.getmembers():
                target = (dest / member.name).resolve()
                if not str(target).startswith(str(dest.resolve())):
                    raise RuntimeError(f"unsafe path in sdist: {member.name}")
            tar.extractall(dest)


def _download_and_unpack(cache: Path, final: Path) -> None:
    with tempfile.TemporaryDirectory(dir=cache, prefix=".download-") as tmp:
        tmp = Path(tmp)
        cmd = [
            sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
            "--disable-pip-version-check", "--dest", str(tmp / "dl"),
            f"pyNN=={PYNN_VERSION}",
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True,
                                  timeout=DOWNLOAD_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            pytest.skip(f"could not download the PyNN {PYNN_VERSION} sdist: {exc!r}")
        archives = sorted((tmp / "dl").glob("*.tar.gz")) if (tmp / "dl").is_dir() else []
        if proc.returncode != 0 or not archives:
            tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-5:]
            pytest.skip(
                f"could not download the PyNN {PYNN_VERSION} sdist "
                f"(pip exit {proc.returncode}): {' | '.join(tail)}"
            )
        _safe_extract(archives[0], tmp / "x")
        unpacked = [p for p in (tmp / "x").iterdir() if _looks_like_sdist(p)]
        if not unpacked:
            pytest.skip(f"{archives[0].name} does not contain examples/ and test/system/")
        if final.exists():  # half-written leftover from an interrupted run
            shutil.rmtree(final)
        unpacked[0].rename(final)


@functools.cache
def _sdist_dir_cached() -> Path:
    root = _cache_root()
    if _looks_like_sdist(root):
        return root
    final = root / f"pynn-{PYNN_VERSION}"
    if _looks_like_sdist(final):
        return final
    root.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(root / f".pynn-{PYNN_VERSION}.lock"):
        if not _looks_like_sdist(final):
            _download_and_unpack(root, final)
    return final


def pynn_sdist_dir() -> Path:
    """The unpacked PyNN 0.13.0 sdist, downloaded into the cache when absent.

    Calls ``pytest.skip`` (with the reason) when it cannot be obtained.
    """
    return _sdist_dir_cached()


def require_pynn_backend(simulator: str):
    """Import ``pyNN.<simulator>``; skip if it (or its engine, e.g. NEST) is not installed.

    Any other import error (a backend that is installed but broken) propagates, so the
    calling test fails rather than being silently skipped.
    """
    modname = f"pyNN.{simulator}"
    try:
        return importlib.import_module(modname)
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").split(".")[0]
        if exc.name == modname or missing == _ENGINE_PACKAGES.get(simulator):
            hint = ' (pip install ".[test]")' if simulator.startswith("neuroemu") else ""
            pytest.skip(f"{modname} is not available: {exc}{hint}")
        raise
