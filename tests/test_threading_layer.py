"""Every public entry point starts Numba on the layer docs/design.md promises (TBB where installed).

``numba.get_num_threads()`` and any parallel launch start a threading layer on first use; if a
path reached Numba before fastlinreg preloaded TBB, the process would run on OpenMP, and a
process forked from it would fall back to the kernels' serial twins. Each entry point runs
first in a fresh subprocess, so no earlier call can have chosen the layer for it.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest


def _has_tbb() -> bool:
    try:
        metadata.version("tbb")
    except metadata.PackageNotFoundError:
        return False
    return True


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not _has_tbb(), reason="the tbb wheel is a dependency on Linux x86_64 only"),
]

PRELUDE = """
import json, pickle, sys
import numpy as np
rng = np.random.default_rng(0)
X = rng.standard_normal((2000, 6))
y = X @ np.arange(1.0, 7.0) + 0.1 * rng.standard_normal(2000)
"""

REPORT = """
import numba
from fastlinreg import show_config
config = show_config()
print(json.dumps({"layer": numba.threading_layer(), "serial": config["serial_after_fork"]}))
"""

ENTRY_POINTS = {
    "fit-default": "from fastlinreg import LinearRegression\nLinearRegression().fit(X, y)",
    "fit-gd": "from fastlinreg import LinearRegression\nLinearRegression(solver='gd').fit(X, y)",
    "fit-qr": "from fastlinreg import LinearRegression\nLinearRegression(solver='qr').fit(X, y)",
    "partial_fit": "from fastlinreg import LinearRegression\nLinearRegression().partial_fit(X, y)",
    "predict": "model = pickle.load(open(sys.argv[1], 'rb'))\nmodel.predict(X)",
    "kernels.residual_gradient": (
        "from fastlinreg import kernels\nkernels.residual_gradient(X, y, np.zeros(6), 0.0)"
    ),
    "kernels.predict": "from fastlinreg import kernels\nkernels.predict(X, np.ones(6), 0.0)",
    "kernels.gram": "from fastlinreg import kernels\nkernels.gram(X, y)",
    "io_chunks.fit_chunks": (
        "from fastlinreg import LinearRegression\nfrom fastlinreg.io_chunks import fit_chunks\n"
        "fit_chunks(LinearRegression(), [(X[i:i + 500], y[i:i + 500])"
        " for i in range(0, 2000, 500)])"
    ),
}


def _run(code: str, *args: str, timeout: float = 240) -> dict:
    import fastlinreg

    env = dict(os.environ)
    env.pop("NUMBA_THREADING_LAYER", None)
    env.pop("FASTLINREG_PRELOAD_TBB", None)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(fastlinreg.__file__).parents[1]), env.get("PYTHONPATH", "")]
    )
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"no result in {timeout} s")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def pickled_model(tmp_path_factory) -> str:
    from fastlinreg import LinearRegression

    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 6))
    path = tmp_path_factory.mktemp("model") / "model.pkl"
    path.write_bytes(pickle.dumps(LinearRegression().fit(X, X.sum(axis=1))))
    return str(path)


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_first_call_starts_tbb(entry, pickled_model):
    result = _run(PRELUDE + ENTRY_POINTS[entry] + REPORT, pickled_model)
    assert result["layer"] == "tbb"


DASK_FIT = """
import dask.array as da
from distributed import Client, LocalCluster
from fastlinreg import LinearRegression
from fastlinreg.dask import fit
with LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                  dashboard_address=None) as cluster, Client(cluster) as client:
    fit(LinearRegression(), da.from_array(X, chunks=(500, 6)), da.from_array(y, chunks=500))
    layers = client.run(lambda: __import__("numba").threading_layer())
print(json.dumps({"workers": sorted(set(layers.values()))}))
"""


def test_dask_workers_run_on_tbb():
    pytest.importorskip("distributed")
    assert _run(PRELUDE + DASK_FIT)["workers"] == ["tbb"]


def test_a_process_forked_after_a_default_fit_runs_the_parallel_kernels():
    code = PRELUDE + (
        "import multiprocessing\n"
        "from fastlinreg import LinearRegression\n"
        "LinearRegression().fit(X, y)\n"
        "def child(_):\n"
        "    import numba\n"
        "    from fastlinreg import show_config\n"
        "    model = LinearRegression(solver='gd').fit(X, y)\n"
        "    return numba.threading_layer(), show_config()['serial_after_fork'], "
        "model.coef_.tolist()\n"
        "with multiprocessing.get_context('fork').Pool(1) as pool:\n"
        "    layer, serial, coef = pool.map(child, [0])[0]\n"
        "print(json.dumps({'layer': layer, 'serial': serial, 'coef': coef}))\n"
    )
    result = _run(code)
    assert result["layer"] == "tbb"
    assert result["serial"] is False
    np.testing.assert_allclose(result["coef"], np.arange(1.0, 7.0), atol=0.02)
