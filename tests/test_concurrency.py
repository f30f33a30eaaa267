"""Threads, forked and spawned worker processes, under each Numba threading layer.

Every scenario runs in a subprocess with a timeout, so an abort or a hang fails the test instead
of killing pytest.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

WORKER = textwrap.dedent(
    """
    import json, multiprocessing, sys, threading
    import numpy as np
    import fastlinreg
    from fastlinreg import LinearRegression

    SOLVERS = ("gd", "gram", "auto")

    def data(seed):
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((3000, 30)) * rng.uniform(0.5, 2, 30) + 1
        return X, X @ rng.standard_normal(30) + rng.standard_normal(3000)

    def fit(seed):
        X, y = data(seed)
        out = []
        for solver in SOLVERS:
            m = LinearRegression(solver=solver).fit(X, y)
            out.append(m.coef_.tobytes().hex() + m.predict(X[:50]).tobytes().hex())
        return out

    def threads():
        want = [fit(s) for s in range(8)]
        got = [None] * 8
        def run(i):
            for _ in range(3):
                got[i] = fit(i)
        ts = [threading.Thread(target=run, args=(i,)) for i in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        return got == want

    def pool(method):
        want = [fit(s) for s in range(4)]
        with multiprocessing.get_context(method).Pool(2) as p:
            got = p.map(fit, range(4))
        return got == want

    if __name__ == "__main__":
        scenario = sys.argv[1]
        ok = threads() if scenario == "threads" else pool(scenario)
        config = fastlinreg.show_config()
        print(json.dumps({"ok": ok, "layer": config["threading_layer_active"],
                          "lock": config["launch_lock"]}))
    """
)

LAYERS = {
    "default": {},
    "workqueue": {"NUMBA_THREADING_LAYER": "workqueue"},
    "omp": {"NUMBA_THREADING_LAYER": "omp"},
    "no-tbb-preload": {"FASTLINREG_PRELOAD_TBB": "0"},
}


def _scenario(tmp_path: Path, scenario: str, env_overrides: dict) -> dict:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    env = dict(os.environ, **env_overrides)
    # The worker must import the fastlinreg under test, wherever it is.
    import fastlinreg

    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(fastlinreg.__file__).parents[1]), env.get("PYTHONPATH", "")]
    )
    try:
        proc = subprocess.run(
            [sys.executable, str(script), scenario],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{scenario} hung (no result in 300 s)")
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_eight_threads_fit_and_predict_like_serial(tmp_path, layer):
    result = _scenario(tmp_path, "threads", LAYERS[layer])
    assert result["ok"]
    if layer == "workqueue":
        assert result["layer"] == "workqueue" and result["lock"]


@pytest.mark.parametrize("layer", sorted(LAYERS))
@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_worker_pools_after_a_fit_in_the_parent(tmp_path, layer, method):
    assert _scenario(tmp_path, method, LAYERS[layer])["ok"]


def test_default_layer_is_tbb_when_installed(tmp_path):
    try:
        metadata.version("tbb")
    except metadata.PackageNotFoundError:
        pytest.skip("the tbb wheel is a dependency on Linux x86_64 only")
    assert _scenario(tmp_path, "threads", {})["layer"] == "tbb"
