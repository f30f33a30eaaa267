"""Bad input gets a clear error and leaves every input unchanged; hard-but-valid input fits."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from conftest import assert_coef_close
from naive import lstsq_fit
from sklearn.exceptions import NotFittedError

from fastlinreg import LinearRegression

N, D = 12, 3


def _xy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, D))
    return X, X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=N)


def _with(index, value, which):
    def make():
        X, y = _xy()
        target = X if which == "X" else y
        target[index] = value
        return X, y, None

    return make


def _weights(w):
    def make():
        X, y = _xy()
        return X, y, w

    return make


def _csr_with_nan(X):
    X = sp.csr_matrix(X)
    X.data[X.nnz // 2] = np.nan
    return X


def _xy_as(fx=lambda X: X, fy=lambda y: y):
    def make():
        X, y = _xy()
        return fx(X), fy(y), None

    return make


FIT_CASES = {
    "nan in X": (_with((3, 1), np.nan, "X"), ValueError, "Input X contains NaN"),
    "inf in X": (_with((0, 0), np.inf, "X"), ValueError, "Input X contains infinity"),
    "-inf in X": (_with((5, 2), -np.inf, "X"), ValueError, "Input X contains infinity"),
    "nan in y": (_with(4, np.nan, "y"), ValueError, "Input y contains NaN"),
    "inf in y": (_with(4, np.inf, "y"), ValueError, "Input y contains infinity"),
    "nan in weights": (
        _weights(np.r_[np.nan, np.ones(N - 1)]),
        ValueError,
        "sample_weight contains NaN",
    ),
    "inf in weights": (
        _weights(np.r_[np.inf, np.ones(N - 1)]),
        ValueError,
        "sample_weight contains infinity",
    ),
    "negative weights": (_weights(np.r_[-1.0, np.ones(N - 1)]), ValueError, "Negative values"),
    "all-zero weights": (_weights(np.zeros(N)), ValueError, "at least one non-zero"),
    "short weights": (_weights(np.ones(N - 2)), ValueError, "sample_weight.shape"),
    "2-D weights": (_weights(np.ones((N, 2))), ValueError, "Sample weights must be 1D"),
    "empty X": (_xy_as(lambda X: X[:0], lambda y: y[:0]), ValueError, "0 sample"),
    "zero features": (_xy_as(lambda X: X[:, :0]), ValueError, "0 feature"),
    "3-D X": (_xy_as(lambda X: X[:, :, None]), ValueError, "Found array with dim 3"),
    "1-D X": (_xy_as(lambda X: X[:, 0]), ValueError, "Expected 2D array"),
    "length mismatch": (_xy_as(fy=lambda y: y[:-1]), ValueError, "inconsistent numbers"),
    "3-D y": (_xy_as(fy=lambda y: y[:, None, None]), ValueError, "y"),
    "strings in X": (_xy_as(lambda X: np.where(X > 0, "up", "down")), ValueError, "strings"),
    "object X": (_xy_as(lambda X: np.array([["a", 1, 2]] * N, dtype=object)), ValueError, "float"),
    "complex X": (_xy_as(lambda X: X + 1j), ValueError, "Complex data not supported"),
    "complex y": (_xy_as(fy=lambda y: y + 1j), ValueError, "Complex data not supported"),
    "string y": (
        _xy_as(fy=lambda y: np.where(y > 0, "up", "down").astype(object)),
        ValueError,
        "float",
    ),
    "nan in sparse X": (_xy_as(lambda X: _csr_with_nan(X)), ValueError, "Input X contains NaN"),
    "sparse X, short y": (
        _xy_as(lambda X: sp.csr_matrix(X), lambda y: y[:-1]),
        ValueError,
        "inconsistent numbers",
    ),
}

PARAM_CASES = {
    "learning_rate 0": ({"learning_rate": 0.0}, ValueError, "learning_rate must be"),
    "learning_rate < 0": ({"learning_rate": -0.1}, ValueError, "learning_rate must be"),
    "learning_rate inf": ({"learning_rate": np.inf}, ValueError, "learning_rate must be"),
    "max_iter 0": ({"max_iter": 0}, ValueError, "max_iter must be"),
    "max_iter float": ({"max_iter": 10.0}, ValueError, "max_iter must be"),
    "tol < 0": ({"tol": -1e-3}, ValueError, "tol must be"),
    "alpha < 0": ({"alpha": -1.0}, ValueError, "alpha must be"),
    "alpha string": ({"alpha": "big"}, TypeError, "alpha must be a real number"),
    "unknown solver": ({"solver": "sgd"}, ValueError, "solver must be one of"),
    "standardize not bool": ({"standardize": 1}, TypeError, "standardize must be a bool"),
}


def _snapshot(*arrays):
    return [copy.deepcopy(a) for a in arrays]


def _assert_unchanged(before, after):
    for b, a in zip(before, after, strict=True):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
        elif sp.issparse(a):  # NaN entries compare equal to themselves here
            for name in ("data", "indices", "indptr"):
                np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


@pytest.mark.parametrize("solver", ["gd", "gram"])
@pytest.mark.parametrize("case", sorted(FIT_CASES))
def test_bad_fit_input(case, solver):
    make, exc, match = FIT_CASES[case]
    X, y, w = make()
    before = _snapshot(X, y, w)
    model = LinearRegression(solver=solver).fit(*_xy())
    state = copy.deepcopy(vars(model))
    with pytest.raises(exc, match=match):
        model.fit(X, y, sample_weight=w)
    _assert_unchanged(before, [X, y, w])
    _assert_same_state(model, state)


def _assert_same_state(model, state):
    assert vars(model).keys() == state.keys()
    for name, value in state.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(model, name), value)
        elif not hasattr(value, "__dict__"):
            assert getattr(model, name) == value, name


@pytest.mark.parametrize("case", ["nan in X", "inf in X", "nan in y", "negative weights"])
def test_bad_partial_fit_input(case):
    make, exc, match = FIT_CASES[case]
    X, y, w = make()
    before = _snapshot(X, y, w)
    model = LinearRegression().partial_fit(*_xy())
    state = copy.deepcopy(vars(model))
    with pytest.raises(exc, match=match):
        model.partial_fit(X, y, sample_weight=w)
    _assert_unchanged(before, [X, y, w])
    _assert_same_state(model, state)


def test_nan_in_X_without_standardisation_is_caught_by_the_first_pass():
    X, y, _ = _with((7, 0), np.nan, "X")()
    with pytest.raises(ValueError, match="Input X contains NaN"):
        LinearRegression(solver="gd", standardize=False).fit(X, y)


@pytest.mark.parametrize("case", sorted(PARAM_CASES))
def test_invalid_hyperparameters(case):
    params, exc, match = PARAM_CASES[case]
    X, y = _xy()
    with pytest.raises(exc, match=match):
        LinearRegression(**params).fit(X, y)


def test_predict_before_fit():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        LinearRegression().predict(_xy()[0])


def test_wrong_feature_count_at_predict_and_partial_fit():
    X, y = _xy()
    model = LinearRegression().partial_fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features, but LinearRegression is expecting 3"):
        model.predict(X[:, :2])
    with pytest.raises(ValueError, match="X has 4 features"):
        model.partial_fit(np.c_[X, X[:, 0]], y)


def test_nan_at_predict():
    X, y = _xy()
    model = LinearRegression().fit(X, y)
    X[2, 2] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        model.predict(X)


def test_dataframe_columns_reordered_at_predict():
    X, y = _xy()
    frame = pd.DataFrame(X, columns=["a", "b c", "d-e"])
    model = LinearRegression().fit(frame, y)
    with pytest.raises(ValueError, match="feature names"):
        model.predict(frame[["b c", "a", "d-e"]])


@pytest.mark.parametrize("solver", ["gd", "gram"])
def test_constant_columns_and_constant_y(solver):
    X, y = _xy()
    X = np.c_[X, np.full(N, 3.0), np.zeros(N)]
    model = LinearRegression(solver=solver).fit(X, y)
    coef, intercept = lstsq_fit(X, y)
    assert_coef_close(model.predict(X), X @ coef + intercept, 1e-9)
    constant = LinearRegression(solver=solver).fit(X, np.full(N, -4.0))
    np.testing.assert_allclose(constant.predict(X), -4.0, rtol=1e-12)
    np.testing.assert_allclose(constant.coef_, 0.0, atol=1e-12)


@pytest.mark.parametrize("solver", ["gd", "gram"])
def test_duplicated_columns(solver):
    X, y = _xy()
    X = np.c_[X, X]
    coef, intercept = lstsq_fit(X, y)
    model = LinearRegression(solver=solver).fit(X, y)
    assert_coef_close(model.predict(X), X @ coef + intercept, 1e-9)
    np.testing.assert_allclose(model.coef_[:D], model.coef_[D:], rtol=1e-9)


@pytest.mark.parametrize("solver", ["gd", "gram"])
@pytest.mark.parametrize("kind", [bool, np.int8, np.int64, np.uint16])
def test_boolean_and_integer_X(solver, kind):
    rng = np.random.default_rng(1)
    X = (rng.integers(0, 2 if kind is bool else 50, size=(200, 4))).astype(kind)
    y = X.astype(float) @ np.array([1.0, 2.0, -1.0, 0.0]) + rng.normal(size=200)
    coef, _ = lstsq_fit(X, y)
    model = LinearRegression(solver=solver).fit(X, y)
    assert_coef_close(model.coef_, coef, 1e-7)
    assert model.coef_.dtype == np.float64


@pytest.mark.parametrize("solver", ["gd", "gram"])
def test_values_near_1e150_fit_correctly(solver):
    X, y = _xy()
    X = X * 1e150
    y = y * 1e150
    coef, intercept = lstsq_fit(X, y)
    model = LinearRegression(solver=solver).fit(X, y)
    assert_coef_close(model.coef_, coef, 1e-7)
    assert_coef_close(model.predict(X), X @ coef + intercept, 1e-7)
