"""Ctrl-C during a long fit: a plain KeyboardInterrupt, promptly, with the estimator unchanged.

Runs in a subprocess (with a timeout) that interrupts itself, so a hang or a crash fails the test
rather than pytest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import json, os, signal, sys, threading, time
import numpy as np
from fastlinreg import LinearRegression

rng = np.random.default_rng(0)
X = rng.standard_normal((300_000, 20))
y = X @ np.ones(20) + rng.standard_normal(300_000)
# A short fit first, so that the kernels are compiled before the clock starts.
model = LinearRegression(solver=sys.argv[1], max_iter=5, tol=0).fit(X[:500], y[:500])
model.set_params(max_iter=10**6)
before = {k: np.copy(v) if isinstance(v, np.ndarray) else v for k, v in vars(model).items()}
sent = []

def interrupt():
    sent.append(time.perf_counter())
    os.kill(os.getpid(), signal.SIGINT)

threading.Timer(1.0, interrupt).start()
try:
    model.fit(X, y)
    outcome = "finished"
except KeyboardInterrupt:
    outcome = "KeyboardInterrupt"
except BaseException as exc:
    outcome = type(exc).__name__
delay = time.perf_counter() - sent[0] if sent else None
after = vars(model)
same = before.keys() == after.keys() and all(
    np.array_equal(v, after[k]) if isinstance(v, np.ndarray) else v == after[k]
    for k, v in before.items()
)
print(json.dumps({"outcome": outcome, "delay": delay, "unchanged": bool(same)}))
"""


# Gradient descent with tol=0 runs max_iter iterations; CG would stop at its exact solution.
@pytest.mark.parametrize("solver", ["gd"])
def test_interrupt_during_a_streaming_fit(tmp_path, solver):
    import fastlinreg

    script = tmp_path / "interrupt.py"
    script.write_text(SCRIPT)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(fastlinreg.__file__).parents[1]), env.get("PYTHONPATH", "")]
    )
    try:
        proc = subprocess.run(
            [sys.executable, str(script), solver],
            env=env,
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
