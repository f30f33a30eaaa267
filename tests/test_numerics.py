"""Numerical safety: NaN detection fastmath cannot remove, float64 sums, determinism."""

from __future__ import annotations

import json
import subprocess
import warnings
from functools import partial

import numpy as np
import pytest
from conftest import assert_coef_close, env_under_test, program
from naive import numpy_residual_gradient

from fastlinreg import DivergenceError, LinearRegression, kernels
from fastlinreg._solvers import (
    GramObjective,
    Reparametrization,
    SummedObjective,
    fused_pass_sums,
    gradient_descent,
)
from fastlinreg._stats import compute_stats


@pytest.mark.parametrize("standardize", [True, False])
def test_nan_past_validation_still_stops_the_streaming_solver(standardize):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 4))
    X[123, 2] = np.nan
    Y = rng.normal(size=(500, 1))
    reparam = Reparametrization(np.zeros(4), np.ones(4), True)
    objective = SummedObjective(partial(fused_pass_sums, X, Y, np.empty(0)), 500.0, 0.0, reparam)
    step = None if standardize else 0.1
    with pytest.raises(DivergenceError, match="non-finite"):
        gradient_descent(
            objective,
            np.zeros((1, 4)),
            np.zeros(1),
            step=step,
            accelerate=True,
            max_iter=50,
            tol=1e-10,
        )


def test_nan_past_validation_still_stops_the_gram_solver():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 30))
    X[77, 5] = np.inf
    stats = compute_stats(X, rng.normal(size=(500, 1)), np.empty(0))
    assert not stats.is_finite()
    reparam = Reparametrization(stats.mean_x, np.ones(30), True)
    with pytest.raises(DivergenceError, match="non-finite"):
        gradient_descent(
            GramObjective(stats, 0.0, reparam),
            np.zeros((1, 30)),
            np.zeros(1),
            step=None,
            accelerate=True,
            max_iter=50,
            tol=1e-10,
        )


def test_float32_passes_accumulate_beyond_float32_precision():
    # One million rows near 1: summed in float32 alone, the gradient would be off by > 1e-5.
    rng = np.random.default_rng(0)
    X = (1.0 + 1e-3 * rng.standard_normal((1_000_000, 3))).astype(np.float32)
    y = np.zeros(1_000_000, dtype=np.float32)
    coef = np.array([0.25, 0.5, 0.25])
    got = kernels.residual_gradient(X, y, coef, 0.1)
    want = numpy_residual_gradient(X, y, coef, 0.1)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-6)
    stats = kernels.gram(X, y)
    np.testing.assert_allclose(stats.x_sum, X.sum(axis=0, dtype=np.float64), rtol=1e-10)


@pytest.mark.parametrize("solver", ["gd", "gram"])
def test_float32_fit_of_a_million_rows_agrees_with_float64(solver):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((1_000_000, 6)) * [1, 10, 100, 0.1, 5, 1] + 50
    y = X @ rng.normal(size=6) + rng.normal(size=1_000_000)
    m64 = LinearRegression(solver=solver).fit(X, y)
    m32 = LinearRegression(solver=solver).fit(X.astype(np.float32), y.astype(np.float32))
    assert m32.coef_.dtype == np.float32
    assert_coef_close(m32.coef_, m64.coef_, 1e-4)


@pytest.mark.parametrize("n_features", [9, 50, 200])
def test_float32_gd_converges_at_float32_rounding(n_features):
    # The general kernel adds float32 gradient terms in float32 within 256 rows: the streaming
    # solver must recognise that noise level and stop, not run to max_iter (it did, at 1e-10).
    rng = np.random.default_rng(2)
    X = (rng.standard_normal((2048, n_features)) + 3).astype(np.float32)
    y = (X @ rng.normal(size=n_features) + 0.05 * rng.normal(size=2048)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gd = LinearRegression(solver="gd").fit(X, y)
    gram = LinearRegression(solver="gram").fit(X, y)
    assert gd.converged_ and gd.n_iter_ < 200
    assert_coef_close(gd.coef_, gram.coef_, 1e-5)


def _run_fits(threads: int) -> dict:
    proc = subprocess.run(
        program("bitwise_fits.py"),
        env=env_under_test(NUMBA_NUM_THREADS=str(threads)),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_results_are_bitwise_identical_for_any_thread_count_and_run():
    one = _run_fits(1)
    assert _run_fits(2) == one
    assert _run_fits(3) == one
    assert _run_fits(1) == one
