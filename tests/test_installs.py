"""Installs: read-only package and HOME, NUMBA_CACHE_DIR, concurrent cold-cache imports.

Each scenario runs in a subprocess with a timeout, on a copy of the package without any cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import program

import fastlinreg

pytestmark = pytest.mark.slow


def _copy_package(root: Path) -> Path:
    source = Path(fastlinreg.__file__).parent
    shutil.copytree(source, root / "fastlinreg", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _run(root: Path, solvers: tuple[str, ...], **env_overrides: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(PYTHONPATH=str(root), **env_overrides)
    return subprocess.Popen(
        [*program("install_fit.py"), *solvers],
        env=env,
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _ok(proc: subprocess.Popen) -> None:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0 and "fit ok" in out, err


def _immutable(paths, on: bool) -> bool:
    flag = "+i" if on else "-i"
    return all(
        subprocess.run(["chattr", flag, str(p)], capture_output=True).returncode == 0 for p in paths
    )


def test_read_only_package_and_home(tmp_path):
    root = _copy_package(tmp_path / "site")
    home = tmp_path / "home"
    home.mkdir()
    locked = [root / "fastlinreg", home]
    if os.geteuid() == 0:
        # root ignores permission bits; the immutable attribute stops it from writing.
        if shutil.which("chattr") is None or not _immutable(locked, True):
            pytest.skip("cannot make a directory unwritable for root here (no chattr +i)")
    else:
        for p in locked:
            p.chmod(0o555)
    try:
        _ok(_run(root, ("gram",), HOME=str(home)))
        assert not (root / "fastlinreg" / "__pycache__").exists()
    finally:
        if os.geteuid() == 0:
            _immutable(locked, False)
        else:
            for p in locked:
                p.chmod(0o755)


def test_two_processes_on_a_cold_numba_cache_dir_at_once(tmp_path):
    root = _copy_package(tmp_path / "site")
    cache = tmp_path / "cache"
    procs = [_run(root, ("gd", "gram"), NUMBA_CACHE_DIR=str(cache)) for _ in range(2)]
    for proc in procs:
        _ok(proc)
    # The kernels went to NUMBA_CACHE_DIR, not into the package.
    cached = {p.name.split("-")[0] for p in cache.rglob("*.nbi")}
    assert "_kernels.gram_chunk" in cached
    # Each fused-pass specialisation has its own index, named after it (e.g. fused_pass_d3).
    assert any(name.startswith("_fused._fused_pass_kernel.locals.fused_pass_") for name in cached)
    assert not list((root / "fastlinreg").rglob("*.nbi"))
    _ok(_run(root, ("gd", "gram"), NUMBA_CACHE_DIR=str(cache)))
