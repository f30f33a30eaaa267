"""Wide data (fewer rows than features), dense or sparse: the n x n dual system, no d x d matrix."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import assert_coef_close
from sklearn.linear_model import Ridge

from fastlinreg import LinearRegression, _chunked, _driver, _dual, _sparse_data


def _wide(n, d, seed, sparse=False, dtype=np.float64):
    rng = np.random.default_rng(seed)
    if sparse:
        X = sp.random(n, d, density=0.05, format="csr", random_state=seed, dtype=np.float64)
        X.data = rng.normal(size=X.nnz) + 0.5
        X = X.astype(dtype)
    else:
        X = (rng.normal(size=(n, d)) + rng.normal(size=d)).astype(dtype)
    y = X[:, :10] @ rng.normal(size=10) + 1.0 + rng.normal(size=n)
    return X, y, rng


def _min_norm(X, y, w=None):
    """np.linalg.lstsq's minimum-norm least squares with an intercept (centred, root-weighted)."""
    X = np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float64)
    w = np.ones(len(y)) if w is None else w
    mu, ybar = w @ X / w.sum(), w @ y / w.sum()
    root = np.sqrt(w)
    coef = np.linalg.lstsq((X - mu) * root[:, None], (y - ybar) * root, rcond=None)[0]
    return coef, ybar - mu @ coef


@pytest.fixture
def no_d_by_d(monkeypatch):
    """Fail on any route to a d x d matrix: the Gram statistics, the Gram factor, a QR factor."""

    def refuse(*args, **kwargs):
        raise AssertionError("a d x d matrix was requested")

    monkeypatch.setattr(_driver, "_gram_factor", refuse)
    monkeypatch.setattr(_driver, "_direct", refuse)
    monkeypatch.setattr(_chunked, "compute_stats", refuse)
    monkeypatch.setattr(_sparse_data.SparseData, "stats", refuse)
    shapes = []
    kernel = _dual._Design.kernel

    def spy(self, scale2):
        K = kernel(self, scale2)
        shapes.append(K.shape)
        return K

    monkeypatch.setattr(_dual._Design, "kernel", spy)
    yield shapes
    assert shapes and all(s[0] == s[1] < 1000 for s in shapes)  # n x n, never d x d


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("alpha", [0.5, 20.0])
def test_ridge_equals_sklearn(no_d_by_d, sparse, alpha):
    X, y, rng = _wide(150, 1200, seed=1, sparse=sparse)
    w = rng.uniform(0.3, 2.0, size=150)
    model = LinearRegression(alpha=alpha).fit(X, y, sample_weight=w)
    ref = Ridge(alpha=alpha, solver="cholesky").fit(
        X.toarray() if sparse else X, y, sample_weight=w
    )
    assert model.solver_ == "dual" and model.converged_
    assert_coef_close(model.coef_, ref.coef_, 1e-10)
    assert model.intercept_ == pytest.approx(ref.intercept_, rel=1e-10, abs=1e-10)


@pytest.mark.parametrize("sparse", [False, True])
def test_alpha_zero_gives_lstsq_minimum_norm(no_d_by_d, sparse):
    X, y, rng = _wide(120, 900, seed=2, sparse=sparse)
    w = rng.uniform(0.5, 2.0, size=120)
    model = LinearRegression(standardize=False).fit(X, y, sample_weight=w)
    coef, intercept = _min_norm(X, y, w)
    assert model.solver_ == "dual" and model.converged_
    assert model.rank_ == 119  # centring takes one dimension
    assert_coef_close(model.coef_, coef, 1e-9)
    assert model.intercept_ == pytest.approx(intercept, rel=1e-9, abs=1e-9)
    # standardize=True: the minimum norm of the standardised coefficients, as the Gram path
    scaled = LinearRegression().fit(X, y, sample_weight=w)
    dense = X.toarray() if sparse else X
    sigma = np.sqrt(w @ (dense - w @ dense / w.sum()) ** 2 / w.sum())
    sigma[sigma == 0] = 1.0  # empty columns: zero coefficients either way
    coef_s, _ = _min_norm(dense / sigma, y, w)
    assert_coef_close(scaled.coef_, coef_s / sigma, 1e-9)
    np.testing.assert_allclose(scaled.predict(X), model.predict(X), rtol=1e-9, atol=1e-9)


def test_multi_output_no_intercept_constant_column_and_float32(no_d_by_d):
    X, y, rng = _wide(80, 600, seed=3)
    X[:, 5] = 3.0  # a constant column gets a zero coefficient, as in scikit-learn
    Y = np.c_[y, -2 * y + rng.normal(size=80)]
    model = LinearRegression(alpha=1.0).fit(X, Y)
    ref = Ridge(alpha=1.0, solver="cholesky").fit(X, Y)
    assert_coef_close(model.coef_, ref.coef_, 1e-10)
    assert np.all(model.coef_[:, 5] == 0.0)
    model = LinearRegression(alpha=1.0, fit_intercept=False).fit(X, Y)
    ref = Ridge(alpha=1.0, fit_intercept=False, solver="cholesky").fit(X, Y)
    assert_coef_close(model.coef_, ref.coef_, 1e-10)
    X32 = X.astype(np.float32)
    model = LinearRegression(alpha=1.0).fit(X32, y)
    ref = Ridge(alpha=1.0, solver="cholesky").fit(X32.astype(np.float64), y)
    assert model.coef_.dtype == np.float32
    assert_coef_close(model.coef_, ref.coef_, 1e-5)


def test_memory_stays_far_below_one_d_by_d_matrix():
    n, d = 200, 6000  # a d x d float64 matrix would be 288 MB
    X, y, _ = _wide(n, d, seed=4)
    LinearRegression(alpha=1.0).fit(X[:20], y[:20])  # compile and warm up outside the trace
    tracemalloc.start()
    model = LinearRegression(alpha=1.0).fit(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert model.solver_ == "dual"
    # The n x n system, a few (n, d) blocks' worth of products and (d, k) vectors only.
    assert peak < 4 * X.nbytes + 8 * n * n * 4
    assert peak < 8 * d * d / 20


def test_tall_data_and_explicit_solvers_do_not_take_the_dual_path():
    X, y, _ = _wide(300, 50, seed=5)
    assert LinearRegression().fit(X, y).solver_ == "gram"
    X, y, _ = _wide(100, 300, seed=5)
    assert LinearRegression(solver="cg", alpha=1.0).fit(X, y).solver_ == "cg"
    assert not _dual.applies(_driver_data(X[:, :50], y))


def _driver_data(X, y):
    return _chunked.ArrayData(X, y[:, None], np.empty(0), 1)
