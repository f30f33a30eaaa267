"""The on-disk kernel cache never hands one specialisation another's machine code.

The reproduction: processes that compile different feature counts at the same time into one
empty cache directory, then a fresh process on that cache that computes the fused pass for
every width they compiled, in both dtypes, and compares it with NumPy. Before each
specialisation had its own cache identity, a d = 3 gradient came back with its third component
exactly 0.0 (a narrower kernel).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow

FILL = textwrap.dedent(
    """
    import sys
    import numpy as np
    from fastlinreg import kernels
    rng = np.random.default_rng(0)
    for d in map(int, sys.argv[1].split(",")):
        for dtype in (np.float64, np.float32):
            X = rng.standard_normal((300, d)).astype(dtype)
            kernels.residual_gradient(X, rng.standard_normal(300), np.ones(d), 0.5)
    """
)

CHECK = textwrap.dedent(
    """
    import sys
    import numpy as np
    from fastlinreg import kernels
    rng = np.random.default_rng(1)
    bad = []
    for d in map(int, sys.argv[1].split(",")):
        for dtype in (np.float64, np.float32):
            X = rng.standard_normal((257, d)).astype(dtype)
            y = rng.standard_normal(257)
            coef = rng.standard_normal(d)
            g, gb, loss = kernels.residual_gradient(X, y, coef, 0.25)
            X64 = X.astype(np.float64)
            r = X64 @ coef + 0.25 - y
            if not (np.allclose(g, X64.T @ r / 257, rtol=1e-9, atol=1e-12)
                    and np.isclose(gb, r.mean(), rtol=1e-9, atol=1e-12)):
                bad.append((d, np.dtype(dtype).name))
    print("BAD", bad)
    """
)

# Two dedicated kernels (1, 3) compiled by both processes at once, in opposite orders, while
# each also compiles a different four-lane group (9, 13) into the same cache.
SEQUENCES = ["1,3,9", "3,1,13"]
WIDTHS = ",".join(sorted({w for seq in SEQUENCES for w in seq.split(",")}, key=int))


def _env(cache_dir):
    return dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))


def test_concurrent_compilations_into_one_cache_never_load_the_wrong_width(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    fillers = [
        subprocess.Popen(
            [sys.executable, "-c", FILL, seq],
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
        [sys.executable, "-c", CHECK, WIDTHS],
        env=_env(cache),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    assert check.stdout.strip().splitlines()[-1] == "BAD []"
