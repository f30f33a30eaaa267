"""Threads, forked and spawned worker processes, under each Numba threading layer.

Every scenario runs in a subprocess with a timeout, so an abort or a hang fails the test instead
of killing pytest.
"""

from __future__ import annotations

import json
import subprocess
from importlib import metadata

import pytest
from conftest import env_under_test, program

pytestmark = pytest.mark.slow


LAYERS = {
    "default": {},
    "workqueue": {"NUMBA_THREADING_LAYER": "workqueue"},
    "omp": {"NUMBA_THREADING_LAYER": "omp"},
    "no-tbb-preload": {"FASTLINREG_PRELOAD_TBB": "0"},
}


def _scenario(scenario: str, env_overrides: dict) -> dict:
    try:
        proc = subprocess.run(
            [*program("worker_pools.py"), scenario],
            env=env_under_test(**env_overrides),
            capture_output=True,
            text=True,
            timeout=300,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{scenario} hung (no result in 300 s)")
    assert proc.returncode == 0, f"exit {proc.returncode}: {proc.stderr[-2000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_eight_threads_fit_and_predict_like_serial(layer):
    result = _scenario("threads", LAYERS[layer])
    assert result["ok"]
    if layer == "workqueue":
        assert result["layer"] == "workqueue" and result["lock"]


@pytest.mark.parametrize("layer", sorted(LAYERS))
@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_worker_pools_after_a_fit_in_the_parent(layer, method):
    assert _scenario(method, LAYERS[layer])["ok"]


def test_default_layer_is_tbb_when_installed():
    try:
        metadata.version("tbb")
    except metadata.PackageNotFoundError:
        pytest.skip("the tbb wheel is a dependency on Linux x86_64 only")
    assert _scenario("threads", {})["layer"] == "tbb"
