"""Shared fixtures and helpers for the test suite."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

import fastlinreg

#: Programs the tests run in subprocesses; not test modules, so not collected.
PROGRAMS = Path(__file__).parent / "programs"
collect_ignore = ["programs"]


def program(name: str) -> list[str]:
    """Return the command that runs ``tests/programs/<name>`` with this interpreter."""
    return [sys.executable, str(PROGRAMS / name)]


def env_under_test(**overrides: str) -> dict[str, str]:
    """Return this process's environment with the fastlinreg under test first on the path."""
    env = dict(os.environ, **overrides)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(fastlinreg.__file__).parents[1]), env.get("PYTHONPATH", "")]
    )
    return env


def tolerance(dtype) -> float:
    """Relative tolerance that reflects the storage precision of ``dtype``."""
    return 1e-5 if np.dtype(dtype) == np.float32 else 1e-10


@pytest.fixture
def rng():
    """A fresh, seeded random generator."""
    return np.random.default_rng(12345)


def assert_coef_close(got, want, rtol):
    """Normwise relative agreement: every entry within ``rtol`` of the largest one."""
    want = np.asarray(want, dtype=np.float64)
    scale = max(float(np.max(np.abs(want))), np.finfo(np.float64).tiny)
    np.testing.assert_allclose(
        np.asarray(got, dtype=np.float64), want, rtol=rtol, atol=rtol * scale
    )


def relative_error(got, want) -> float:
    """Normwise relative error ``||got - want|| / ||want||``."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    return float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-300))
