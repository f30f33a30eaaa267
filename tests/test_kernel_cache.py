"""The on-disk kernel cache never hands one specialisation another's machine code.

The reproduction: processes that compile different feature counts at the same time into one
empty cache directory, then a fresh process on that cache that computes the fused pass for
every width they compiled, in both dtypes, and compares it with NumPy. Before each
specialisation had its own cache identity, a d = 3 gradient came back with its third component
exactly 0.0 (a narrower kernel).
"""

from __future__ import annotations

import subprocess

import pytest
from conftest import env_under_test, program

pytestmark = pytest.mark.slow

# Two dedicated kernels (1, 3) compiled by both processes at once, in opposite orders, while
# each also compiles a different four-lane group (9, 13) into the same cache.
SEQUENCES = ["1,3,9", "3,1,13"]
WIDTHS = ",".join(sorted({w for seq in SEQUENCES for w in seq.split(",")}, key=int))


def _env(cache_dir):
    return env_under_test(NUMBA_CACHE_DIR=str(cache_dir))


def test_concurrent_compilations_into_one_cache_never_load_the_wrong_width(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    fillers = [
        subprocess.Popen(
            [*program("kernel_cache_fill.py"), seq],
            env=_env(cache),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seq in SEQUENCES
    ]
    for proc in fillers:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
    assert any(cache.rglob("*.nbi")), "the fillers wrote no cache"
    check = subprocess.run(
        [*program("kernel_cache_check.py"), WIDTHS],
        env=_env(cache),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    assert check.stdout.strip().splitlines()[-1] == "BAD []"
