"""A failed or rejected call leaves the estimator as it was; a refit of a new shape starts cold."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from fastlinreg import DivergenceError, LinearRegression


def _snapshot(model):
    return {
        k: (v.copy() if isinstance(v, np.ndarray) else v)
        for k, v in model.__dict__.items()
        if not k.startswith("_")
    }


def _assert_same(before, model):
    after = _snapshot(model)
    assert after.keys() == before.keys()
    for key, value in before.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(after[key], value)
        else:
            assert after[key] == value, key


@pytest.fixture
def fitted(rng):
    X = rng.standard_normal((200, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 1.0
    return LinearRegression(solver="gd").fit(X, y), X, y


BAD_CALLS = ["NaN in X", "negative weight", "all-zero weights", "bad alpha", "diverging step"]


def _bad_calls(rng):
    X6 = rng.standard_normal((50, 6))
    y = rng.standard_normal(50)
    nan = X6.copy()
    nan[3, 2] = np.nan
    return {
        "NaN in X": (lambda m: m.fit(nan, y), ValueError),
        "negative weight": (lambda m: m.fit(X6, y, sample_weight=-np.ones(50)), ValueError),
        "all-zero weights": (lambda m: m.fit(X6, y, sample_weight=np.zeros(50)), ValueError),
        "bad alpha": (lambda m: m.set_params(alpha=-1.0).fit(X6, y), ValueError),
        "diverging step": (
            lambda m: m.set_params(learning_rate=1e3, accelerate=False).fit(X6, y),
            DivergenceError,
        ),
    }


@pytest.mark.parametrize("case", BAD_CALLS)
def test_failed_fit_leaves_the_previous_model(fitted, rng, case):
    model, X, y = fitted
    call, exc = _bad_calls(rng)[case]
    params = model.get_params()
    before = _snapshot(model)
    with pytest.raises(exc):
        call(model)
    model.set_params(**params)
    _assert_same(before, model)
    # The old model still predicts its own data.
    np.testing.assert_allclose(model.predict(X), y, rtol=1e-7, atol=1e-7)


def test_failed_partial_fit_leaves_the_accumulation(rng):
    X = rng.standard_normal((100, 3))
    y = X @ np.array([1.0, 2.0, 3.0])
    model = LinearRegression().partial_fit(X[:50], y[:50])
    before = _snapshot(model)
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(X[50:, :2], y[50:])
    _assert_same(before, model)
    model.partial_fit(X[50:], y[50:])
    np.testing.assert_allclose(model.coef_, [1.0, 2.0, 3.0], rtol=1e-10)


def test_predict_after_a_failed_first_fit_is_not_fitted(rng):
    X = rng.standard_normal((30, 3))
    X[0, 0] = np.inf
    model = LinearRegression()
    with pytest.raises(ValueError):
        model.fit(X, rng.standard_normal(30))
    assert not any(k.endswith("_") and not k.startswith("_") for k in vars(model))
    with pytest.raises(NotFittedError):
        model.predict(X[:, :3])


@pytest.mark.parametrize("solver", ["cg", "gd"])
def test_warm_start_with_a_new_shape_starts_cold(rng, solver):
    X = rng.standard_normal((300, 6))
    y = X @ rng.standard_normal(6) + 2.0
    model = LinearRegression(solver=solver, warm_start=True).fit(X[:, :4], y)
    model.fit(X, y)
    cold = LinearRegression(solver=solver).fit(X, y)
    np.testing.assert_allclose(model.coef_, cold.coef_, rtol=1e-8)
    model.fit(X, np.c_[y, -y])
    assert model.coef_.shape == (2, 6)
