"""Importing fastlinreg and fitting NumPy arrays imports neither scikit-learn, SciPy nor pandas.

Each check runs in a fresh interpreter (warnings as errors) and reports the modules it loaded.
Numba itself imports the top of SciPy (a version check) and, when it loads the first kernel,
``scipy.linalg`` (its BLAS bindings); those are measured in an interpreter that only runs a
trivial Numba function, and fastlinreg may load nothing of SciPy beyond them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import fastlinreg

pytestmark = pytest.mark.slow

HEAVY = ("sklearn", "pandas")
NOT_NEEDED = ("fastlinreg.cli", "fastlinreg.bench", "fastlinreg.io", "fastlinreg.dask")


def _loaded_modules(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter and return the names of the modules it loaded."""
    script = textwrap.dedent(code) + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    env = dict(os.environ)
    # The fastlinreg under test, wherever it is imported from.
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(fastlinreg.__file__).parents[1]), env.get("PYTHONPATH", "")]
    )
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def numba_scipy() -> set[str]:
    """The SciPy modules Numba loads by itself, running its first function."""
    modules = _loaded_modules("import numba\nnumba.njit(lambda x: x + 1)(1)")
    return {m for m in modules if m.split(".")[0] == "scipy"}


def _assert_light(modules: list[str], numba_scipy: set[str]) -> None:
    loaded = set(modules)
    assert not [m for m in loaded if m.split(".")[0] in HEAVY]
    assert not {m for m in loaded if m.split(".")[0] == "scipy"} - numba_scipy
    assert "scipy.stats" not in loaded and "scipy.sparse" not in loaded
    assert not loaded & set(NOT_NEEDED)


def test_import_loads_no_heavy_module(numba_scipy):
    modules = _loaded_modules("import fastlinreg")
    _assert_light(modules, numba_scipy)
    assert "scipy.linalg" not in modules  # until Numba loads a kernel
    # The console script takes Ctrl-C from its first import: the package itself loads no NumPy.
    assert "numpy" not in modules


def test_every_public_name_resolves_on_first_use():
    for name in fastlinreg.__all__:
        assert getattr(fastlinreg, name) is not None
    assert set(fastlinreg.__all__) <= set(dir(fastlinreg))
    with pytest.raises(AttributeError, match="no attribute 'fit'"):
        fastlinreg.fit  # noqa: B018


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fit_predict_score_partial_fit_load_no_heavy_module(numba_scipy, dtype):
    code = f"""
    import numpy as np
    from fastlinreg import LinearRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3)).astype(np.{dtype})
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=100)
    w = rng.uniform(0.5, 2.0, size=100)
    for solver in ("auto", "gd", "gram"):
        model = LinearRegression(solver=solver).fit(X, y)
        model.predict(X)
        model.score(X, y)
        model.score(X, y, sample_weight=w)
        LinearRegression(solver=solver).fit(X, np.c_[y, 2 * y], sample_weight=w).score(
            X, np.c_[y, 2 * y]
        )
    model = LinearRegression().partial_fit(X[:50], y[:50]).partial_fit(X[50:], y[50:], w[50:])
    model.predict(X)
    repr(model)
    model.get_params()
    """
    _assert_light(_loaded_modules(code), numba_scipy)
