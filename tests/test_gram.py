"""Sufficient statistics, the Gram solver, the automatic choice and exact partial_fit."""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
import pytest
from conftest import assert_coef_close
from naive import lstsq_fit
from sklearn.linear_model import Ridge

from fastlinreg import LinearRegression, _cost, _stats, kernels
from fastlinreg._driver import MAX_REFINEMENTS


def _weighted_moments(X, Y, w):
    W = w.sum()
    mx, my = w @ X / W, w @ Y / W
    Xc, Yc = X - mx, Y - my
    return W, mx, my, (Xc * w[:, None]).T @ Xc, (Xc * w[:, None]).T @ Yc, w @ Yc**2


@pytest.mark.parametrize("d", [1, 3, 7, 23, 24, 31, 60])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [False, True])
def test_gram_matches_numpy(rng, d, dtype, weighted):
    n = 1000
    X = (rng.normal(size=(n, d)) + 50.0).astype(dtype)
    Y = rng.normal(size=(n, 2))
    w = rng.uniform(0, 2, size=n) if weighted else np.ones(n)
    stats = kernels.gram(X, Y, sample_weight=w if weighted else None)
    want = _weighted_moments(X.astype(np.float64), Y, w)
    got = (stats.sum_w, stats.mean_x, stats.mean_y, stats.cxx, stats.cxy, stats.cyy)
    for g, v in zip(got, want, strict=True):
        np.testing.assert_allclose(g, v, rtol=1e-9, atol=1e-9 * n)
    np.testing.assert_allclose(stats.xtx, (X.T.astype(float) * w) @ X, rtol=1e-10)
    np.testing.assert_allclose(stats.xty, (X.T.astype(float) * w) @ Y, rtol=1e-10)
    np.testing.assert_allclose(stats.yty, w @ Y**2, rtol=1e-10)
    np.testing.assert_allclose(stats.x_sum, w @ X, rtol=1e-10)
    np.testing.assert_allclose(stats.y_sum, w @ Y, rtol=1e-10)


@pytest.mark.parametrize("n", [1, 2, 5, 63])
def test_gram_on_fewer_rows_than_chunks(rng, n):
    X = rng.normal(size=(n, 30))
    y = rng.normal(size=n)
    stats = kernels.gram(X, y)
    np.testing.assert_allclose(stats.xtx, X.T @ X, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(stats.xty[:, 0], X.T @ y, rtol=1e-12, atol=1e-12)
    assert stats.n_samples == n and stats.cxy.shape == (30, 1)


def test_numba_and_blas_chunks_agree(rng, monkeypatch):
    X = rng.normal(size=(777, 30)) * np.arange(1, 31)
    Y = rng.normal(size=(777, 3))
    w = rng.uniform(0, 1, size=777)
    blas = _stats.compute_stats(X, Y, w)
    monkeypatch.setattr(_stats, "_BLAS_MIN_FEATURES", 10**6)
    numba_ = _stats.compute_stats(X, Y, w)
    for a, b in zip(
        (blas.cxx, blas.cxy, blas.cyy, blas.mean_x),
        (numba_.cxx, numba_.cxy, numba_.cyy, numba_.mean_x),
        strict=True,
    ):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("weighted", [False, True])
def test_in_place_syrk_and_numpy_product_agree(rng, monkeypatch, weighted):
    # Blocks of 100 rows, so both ways accumulate over several blocks per chunk.
    monkeypatch.setattr(_stats, "_BLOCK_BYTES", 8 * 100 * 34)
    X = rng.normal(size=(5003, 30)) * np.arange(1, 31) + 7.0
    Y = rng.normal(size=(5003, 3))
    w = rng.uniform(0, 1, size=5003) if weighted else np.empty(0)
    by_numpy = _stats.compute_stats(X, Y, w)
    monkeypatch.setattr(_stats, "_SYRK_MIN_FEATURES", 1)
    by_syrk = _stats.compute_stats(X, Y, w)
    for name in ("sum_w", "mean_x", "mean_y", "cxx", "cxy", "cyy"):
        np.testing.assert_allclose(
            getattr(by_syrk, name), getattr(by_numpy, name), rtol=1e-12, atol=1e-9
        )


def test_merge_equals_stats_of_concatenation(rng):
    X = rng.normal(size=(500, 5)) + 1e6
    Y = rng.normal(size=(500, 2))
    w = rng.uniform(0, 3, size=500)
    parts = [kernels.gram(X[a:b], Y[a:b], w[a:b]) for a, b in [(0, 1), (1, 200), (200, 500)]]
    merged = parts[0].merge(parts[1]).merge(parts[2])
    whole = kernels.gram(X, Y, w)
    np.testing.assert_allclose(merged.cxx, whole.cxx, rtol=1e-9)
    np.testing.assert_allclose(merged.cxy, whole.cxy, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(merged.mean_x, whole.mean_x, rtol=1e-15)
    assert merged.n_samples == 500 and merged.sum_w == pytest.approx(w.sum(), rel=1e-14)


def _problem(rng, n=2000, d=12, k=None, offset=20.0):
    X = rng.normal(size=(n, d)) * rng.uniform(0.1, 10, size=d) + rng.normal(size=d) * offset
    w = rng.normal(size=(d,) if k is None else (d, k))
    return X, X @ w + 1.5 + 0.3 * rng.normal(size=(n,) if k is None else (n, k))


@pytest.mark.parametrize("standardize", [True, False])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_gram_solver_matches_lstsq_to_1e8(rng, standardize, fit_intercept):
    # Without an intercept, column offsets make the problem ill-conditioned: keep them small.
    X, y = _problem(rng, offset=20.0 if fit_intercept else 0.1)
    model = LinearRegression(
        solver="gram", standardize=standardize, fit_intercept=fit_intercept
    ).fit(X, y)
    coef, intercept = lstsq_fit(X, y, fit_intercept=fit_intercept)
    # One pass for the statistics, then refinement passes until the correction is at rounding.
    assert model.solver_ == "gram" and 2 <= model.n_passes_ <= 1 + MAX_REFINEMENTS
    assert model.converged_ and model.rank_ == X.shape[1]
    assert_coef_close(model.coef_, coef, 1e-8)
    # The intercept absorbs coef @ mean(X): its error is relative to that scale.
    scale = abs(intercept) + abs(coef @ X.mean(axis=0))
    assert abs(model.intercept_ - intercept) <= 1e-8 * scale


def test_gram_and_gd_agree_with_weights_and_targets(rng):
    X, Y = _problem(rng, k=3)
    w = rng.uniform(0, 2, size=len(X))
    # The intercept inherits the coefficients' error times the column offsets (~20 here).
    gram = LinearRegression(solver="gram", tol=1e-12).fit(X, Y, sample_weight=w)
    gd = LinearRegression(solver="gd", tol=1e-12).fit(X, Y, sample_weight=w)
    coef, intercept = lstsq_fit(X, Y, w)
    for m in (gram, gd):
        assert_coef_close(m.coef_, coef, 1e-8)
        assert_coef_close(m.intercept_, intercept, 1e-8)


@pytest.mark.parametrize("alpha", [0.5, 50.0])
def test_gram_solver_matches_ridge(rng, alpha):
    X, y = _problem(rng, n=400, d=6)
    ours = LinearRegression(solver="gram", alpha=alpha).fit(X, y)
    ridge = Ridge(alpha=alpha, solver="cholesky").fit(X, y)
    assert_coef_close(ours.coef_, ridge.coef_, 1e-8)
    assert_coef_close(ours.intercept_, ridge.intercept_, 1e-8)


def test_rank_deficient_gives_minimum_norm(rng):
    X, y = _problem(rng, n=300, d=4)
    X = np.c_[X, X[:, 0] + X[:, 1], 3.0 * X[:, 2]]
    euclidean, intercept = lstsq_fit(X, y, scale_columns=False)
    standardised, _ = lstsq_fit(X, y, scale_columns=True)
    for solver in ("gram", "gd"):
        plain = LinearRegression(solver=solver, standardize=False, max_iter=200000).fit(X, y)
        assert_coef_close(plain.coef_, euclidean, 1e-6)
        scaled = LinearRegression(solver=solver).fit(X, y)
        assert_coef_close(scaled.coef_, standardised, 1e-7)
        assert_coef_close(scaled.predict(X), X @ euclidean + intercept, 1e-9)


def test_partial_fit_equals_fit_on_concatenation(rng):
    X, y = _problem(rng, n=3000, d=9)
    w = rng.uniform(0.2, 2, size=3000)
    model = LinearRegression()
    for a, b in [(0, 1), (1, 700), (700, 701), (701, 3000)]:
        model.partial_fit(X[a:b], y[a:b], sample_weight=w[a:b])
    full = LinearRegression(solver="gd").fit(X, y, sample_weight=w)
    assert_coef_close(model.coef_, full.coef_, 1e-8)
    assert_coef_close(model.intercept_, full.intercept_, 1e-8)
    assert model.solver_ == "gram"


def test_partial_fit_continues_a_gram_fit(rng):
    X, y = _problem(rng, n=1000, d=5)
    model = LinearRegression(solver="gram").fit(X[:400], y[:400]).partial_fit(X[400:], y[400:])
    assert_coef_close(model.coef_, LinearRegression().fit(X, y).coef_, 1e-8)


def test_partial_fit_from_an_exact_fit(rng):
    # y exactly linear in X: the loss at the previous solution rounds to about -1e-16, which
    # once made the start look diverged ("non-finite loss at the starting point").
    X = rng.normal(size=(200, 3))
    y = X @ np.array([1.0, 2.0, 3.0]) + 0.5
    model = LinearRegression(solver="gram").fit(X, y).partial_fit(X, y)
    again = LinearRegression().partial_fit(X, y).partial_fit(X, y)
    for fitted in (model, again):
        assert_coef_close(fitted.coef_, [1.0, 2.0, 3.0], 1e-9)
        assert abs(fitted.intercept_ - 0.5) < 1e-9


def test_partial_fit_rejects_changed_shapes(rng):
    X, y = _problem(rng, n=100, d=5)
    model = LinearRegression().partial_fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(X[:, :4], y)
    with pytest.raises(ValueError, match="targets"):
        model.partial_fit(X, np.c_[y, y])


def test_auto_records_its_choice_from_the_cost_model(rng):
    X, y = _problem(rng, n=200, d=5)
    assert LinearRegression().fit(X, y).solver_ == _cost.choose_solver(200, 5, 8) == "gram"
    assert _cost.choose_solver(10**6, 5000, 8) == "gd"
    assert _cost.choose_solver(10**6, 2000, 8) == "gd"
    # The measured crossovers: float64 gram faster at d = 200, gd at 250; float32 at 40 / 50.
    assert [_cost.choose_solver(10**6, d, 8) for d in (200, 250)] == ["gram", "gd"]
    assert [_cost.choose_solver(10**6, d, 4) for d in (40, 50)] == ["gram", "gd"]


def _correlated(rng, n, d, rho):
    X = rng.standard_normal((n, d))
    for j in range(1, d):  # neighbouring columns correlated by rho
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * X[:, j]
    return X, X @ rng.standard_normal(d) + 0.1 * rng.standard_normal(n)


def test_auto_finishes_with_gram_when_streaming_is_slow(rng):
    X, y = _correlated(rng, 3000, 300, 0.9)
    assert _cost.choose_solver(3000, 300, 8) == "gd"
    budget = math.ceil(_cost.gram_cost_in_passes(300, 8))
    model = LinearRegression().fit(X, y)  # warnings are errors: no ConvergenceWarning either
    assert model.solver_ == "cg+gram" and model.converged_
    # Passes: column moments, the first gradient, the budget of iterations, the Gram pass and
    # its refinement.
    assert budget + 4 <= model.n_passes_ <= budget + 4 + MAX_REFINEMENTS
    gd = LinearRegression(solver="gd").fit(X, y)
    assert gd.n_passes_ > 5 * model.n_passes_
    coef, intercept = lstsq_fit(X, y)
    assert_coef_close(model.coef_, coef, 1e-8)
    np.testing.assert_allclose(model.intercept_, intercept, rtol=1e-8, atol=1e-8)


def test_auto_keeps_streaming_when_it_converges_and_when_tol_is_zero(rng):
    # float32 switches at 44 features; 50,000 rows keep 60 random columns well-conditioned.
    X, y = (a.astype(np.float32) for a in _correlated(rng, 50_000, 60, 0.0))
    assert _cost.choose_solver(50_000, 60, 4) == "gd"
    model = LinearRegression().fit(X, y)
    assert model.solver_ == "cg" and model.converged_
    slow = _correlated(rng, 50_000, 60, 0.9)[0].astype(np.float32)
    exact = LinearRegression(tol=0.0, max_iter=40).fit(slow, y)
    assert exact.solver_ == "cg" and exact.n_iter_ == 40


def test_crossover_is_monotone_in_d():
    choices = [_cost.choose_solver(10**6, d, 8) for d in range(1, 3000, 7)]
    flips = sum(a != b for a, b in itertools.pairwise(choices))
    assert choices[0] == "gram" and choices[-1] == "gd" and flips == 1


def test_column_moments_merge_equals_moments_of_concatenation(rng):
    X = rng.normal(size=(900, 4)) * [1.0, 1e3, 1e-3, 5.0] + 1e5
    w = rng.uniform(0, 2, size=900)
    w[300:400] = 0.0
    bounds = [(0, 0), (0, 300), (300, 400), (400, 900)]
    parts = [_stats.compute_moments(X[a:b], w[a:b]) for a, b in bounds]
    merged = functools.reduce(_stats.ColumnMoments.merge, parts)
    whole = _stats.compute_moments(X, w)
    np.testing.assert_allclose(merged.mean, whole.mean, rtol=1e-15)
    np.testing.assert_allclose(merged.m2, whole.m2, rtol=1e-9)
    np.testing.assert_allclose(merged.sumsq, whole.sumsq, rtol=1e-12)
    assert merged.n_samples == 900 and merged.sum_w == pytest.approx(w.sum(), rel=1e-14)


def test_merge_counts_the_rows_of_zero_weight_and_empty_blocks(rng):
    X, Y = rng.normal(size=(50, 3)), rng.normal(size=(50, 1))
    stats = kernels.gram(X, Y)
    zero = _stats.compute_stats(X[:10], Y[:10], np.zeros(10))
    empty = _stats.SufficientStats.empty(3, 1)
    for merged in (stats.merge(zero), zero.merge(stats), empty.merge(stats).merge(empty)):
        np.testing.assert_array_equal(merged.cxx, stats.cxx)
    assert stats.merge(zero).n_samples == zero.merge(stats).n_samples == 60
    assert _stats.compute_stats(X[:0], Y[:0], np.empty(0)).n_samples == 0
