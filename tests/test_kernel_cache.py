"""The package's Numba cache is dropped when any of its sources changes (Numba itself only
checks the file that defines a cached function)."""

from __future__ import annotations

from neuroemu.engine.kernel_cache import STAMP, drop_stale_kernels


def _cache_files(root):
    cache = root / "sub" / "__pycache__"
    cache.mkdir(parents=True, exist_ok=True)
    files = [cache / "kernel.run_ticks-1.py311.nbi", cache / "kernel.run_ticks-1.py311.1.nbc"]
    for f in files:
        f.write_bytes(b"compiled")
    return files


def test_cache_kept_while_sources_are_unchanged_and_dropped_when_one_changes(tmp_path):
    (tmp_path / "sub").mkdir()
    kernel = tmp_path / "sub" / "kernel.py"
    helper = tmp_path / "sub" / "helper.py"
    kernel.write_text("X = 1\n")
    helper.write_text("Y = 2\n")
    drop_stale_kernels(tmp_path)                      # first use: stamp written
    assert (tmp_path / "__pycache__" / STAMP).exists()
    files = _cache_files(tmp_path)
    assert drop_stale_kernels(tmp_path) is False       # same sources: cache kept
    assert all(f.exists() for f in files)
    helper.write_text("Y = 3\n")                       # another module than the kernel's
    assert drop_stale_kernels(tmp_path) is True
    assert not any(f.exists() for f in files)
    files = _cache_files(tmp_path)
    assert drop_stale_kernels(tmp_path) is False       # recompiled against the new sources
    assert all(f.exists() for f in files)


def test_a_new_source_file_counts_as_a_change(tmp_path):
    (tmp_path / "a.py").write_text("A = 1\n")
    drop_stale_kernels(tmp_path)
    files = _cache_files(tmp_path)
    (tmp_path / "b.py").write_text("B = 1\n")
    assert drop_stale_kernels(tmp_path) is True
    assert not any(f.exists() for f in files)
