"""Ctrl-C during a long fit: a plain KeyboardInterrupt, promptly, with the estimator unchanged.

Runs in a subprocess (with a timeout) that interrupts itself, so a hang or a crash fails the test
rather than pytest.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from conftest import env_under_test, program


# Gradient descent with tol=0 runs max_iter iterations; CG would stop at its exact solution.
@pytest.mark.parametrize("solver", ["gd"])
def test_interrupt_during_a_streaming_fit(solver):
    try:
        proc = subprocess.run(
            [*program("fit_then_interrupt.py"), solver],
            env=env_under_test(),
            capture_output=True,
            text=True,
            timeout=240,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the interrupted fit did not stop within 240 s")
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if result["outcome"] == "finished":
        pytest.fail(f"{solver} finished within a second; the test needs a longer fit")
    assert result["outcome"] == "KeyboardInterrupt"
    assert result["delay"] < 0.5  # a fused pass over these 48 MB takes milliseconds
    assert result["unchanged"]
