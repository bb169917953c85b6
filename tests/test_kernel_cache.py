"""The package's Numba cache is dropped when any of its sources changes (Numba itself only
checks the file that defines a cached function)."""

from __future__ import annotations

from neuroemu.engine.kernel_cache import STAMP, cache_directories, drop_stale_kernels


def _cache_files(directory):
    directory.mkdir(parents=True, exist_ok=True)
    files = [directory / "kernel.run_ticks-1.py311.nbi",
             directory / "kernel.run_ticks-1.py311.1.nbc"]
    for f in files:
        f.write_bytes(b"compiled")
    return files


def _package(tmp_path):
    (tmp_path / "sub").mkdir(parents=True)
    (tmp_path / "sub" / "kernel.py").write_text("X = 1\n")
    (tmp_path / "sub" / "helper.py").write_text("Y = 2\n")
    return tmp_path


def test_numba_caches_next_to_a_writable_source(tmp_path):
    root = _package(tmp_path)
    assert cache_directories(root) == {root / "sub" / "__pycache__"}


def test_cache_kept_while_sources_are_unchanged_and_dropped_when_one_changes(tmp_path):
    root = _package(tmp_path)
    cache = root / "sub" / "__pycache__"
    drop_stale_kernels(root)                           # first use: stamp written
    assert (cache / STAMP).exists()
    files = _cache_files(cache)
    assert drop_stale_kernels(root) is False           # same sources: cache kept
    assert all(f.exists() for f in files)
    (root / "sub" / "helper.py").write_text("Y = 3\n")  # not the kernel's own file
    assert drop_stale_kernels(root) is True
    assert not any(f.exists() for f in files)
    files = _cache_files(cache)
    assert drop_stale_kernels(root) is False           # recompiled against the new sources
    assert all(f.exists() for f in files)


def test_a_new_source_file_counts_as_a_change(tmp_path):
    root = _package(tmp_path)
    drop_stale_kernels(root)
    files = _cache_files(root / "sub" / "__pycache__")
    (root / "sub" / "extra.py").write_text("B = 1\n")
    assert drop_stale_kernels(root) is True
    assert not any(f.exists() for f in files)


def test_numba_cache_dir_setting_is_followed(tmp_path, monkeypatch):
    """With NUMBA_CACHE_DIR set Numba caches there (its user-provided locator); so do the
    stamp and the clean-up."""
    from numba.core import config

    root = _package(tmp_path / "pkg")
    monkeypatch.setattr(config, "CACHE_DIR", str(tmp_path / "numba_cache"))
    directories = cache_directories(root)
    assert all(str(d).startswith(str(tmp_path / "numba_cache")) for d in directories)
    drop_stale_kernels(root)
    (directory,) = directories
    files = _cache_files(directory)
    (root / "sub" / "helper.py").write_text("Y = 5\n")
    assert drop_stale_kernels(root) is True
    assert not any(f.exists() for f in files)
