"""Input that only looks degenerate fits correctly; odd types are converted or refused clearly.

References are scikit-learn and ``numpy.linalg.lstsq`` on equivalent, well-scaled data (least
squares is equivariant under rescaling by powers of two, which are exact).
"""

from __future__ import annotations

import copy
import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from conftest import assert_coef_close
from naive import exact_fit_quality, lstsq_fit
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.linear_model import Ridge

from fastlinreg import LinearRegression, kernels

SOLVERS = ["auto", "gram", "qr", "cg", "gd"]
TRUE_COEF = np.array([1.0, -2.0, 3.0, 0.5])


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    return X, X @ TRUE_COEF + 1.0 + 0.01 * rng.standard_normal(n)


def _fit_quietly(model, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no ConvergenceWarning, no RuntimeWarning
        return model.fit(*args, **kwargs)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("scale", [1e-200, 1e-170, 1e-160, 1e170, 1e200])
def test_tiny_and_huge_X_fit_like_the_unscaled_data(scale, solver):
    X, y = _data()
    coef, intercept = lstsq_fit(X, y)
    Xs = X * scale
    before = Xs.copy()
    model = _fit_quietly(LinearRegression(solver=solver), Xs, y)
    assert model.converged_
    assert_coef_close(model.coef_ * scale, coef, 1e-8)
    assert model.intercept_ == pytest.approx(intercept, rel=1e-8)
    np.testing.assert_allclose(model.predict(Xs), X @ coef + intercept, rtol=1e-8, atol=1e-8)
    np.testing.assert_array_equal(Xs, before)


def test_columns_of_very_different_magnitudes():
    X, y = _data()
    scales = np.array([1e-200, 1.0, 1e200, 1e-170])
    coef, _ = lstsq_fit(X, y)
    model = _fit_quietly(LinearRegression(), X * scales, y)
    assert_coef_close(model.coef_ * scales, coef, 1e-8)


@pytest.mark.parametrize(("scale", "alpha"), [(1e-200, 1e-300), (1e200, 1e300), (1e-160, 1e-319)])
def test_ridge_on_rescaled_X_equals_ridge_with_the_rescaled_penalty(scale, alpha):
    X, y = _data()
    # Ridge(alpha) on s X has coefficients Ridge(alpha / s**2) on X, divided by s.
    reference = Ridge(alpha=alpha / scale / scale).fit(X, y)
    model = _fit_quietly(LinearRegression(alpha=alpha), X * scale, y)
    assert_coef_close(model.coef_ * scale, reference.coef_, 1e-8)


def test_targets_near_1e300():
    X, y = _data()
    coef, intercept = lstsq_fit(X, y)
    model = _fit_quietly(LinearRegression(), X, y * 1e300)
    assert_coef_close(model.coef_, coef * 1e300, 1e-8)
    assert model.intercept_ == pytest.approx(intercept * 1e300, rel=1e-8)


@pytest.mark.parametrize("weight", [1e-320, 1e-310, 1e300])
def test_uniform_extreme_weights_equal_unit_weights(weight):
    X, y = _data()
    coef, _ = lstsq_fit(X, y)
    model = _fit_quietly(LinearRegression(), X, y, sample_weight=np.full(X.shape[0], weight))
    assert_coef_close(model.coef_, coef, 1e-8)


def test_tiny_varying_weights_equal_the_weights_rescaled():
    X, y = _data()
    w = np.random.default_rng(3).uniform(0.0, 1.0, X.shape[0])
    reference = SkLinearRegression().fit(X, y, sample_weight=w)
    model = _fit_quietly(LinearRegression(), X, y, sample_weight=w * 1e-310)
    assert_coef_close(model.coef_, reference.coef_, 1e-8)


def test_partial_fit_refuses_what_it_cannot_rescale():
    X, y = _data()
    model = LinearRegression().partial_fit(X, y)
    state = copy.deepcopy(vars(model))
    with pytest.raises(ValueError, match="use fit on a dense array, which rescales them"):
        model.partial_fit(X * 1e-200, y)
    assert vars(model).keys() == state.keys()
    np.testing.assert_array_equal(model.coef_, state["coef_"])


def test_squares_that_overflow_past_the_leading_rows_get_a_clear_error():
    X, y = _data(n=3000)
    X[2500] *= 1e200
    before = X.copy()
    with pytest.raises(ValueError, match="too large"):
        LinearRegression().fit(X, y)
    np.testing.assert_array_equal(X, before)


@pytest.mark.parametrize("solver", SOLVERS)
def test_one_nonzero_weight_gives_scikit_learns_answer(solver):
    X, y = _data()
    w = np.zeros(X.shape[0])
    w[7] = 2.5
    reference = SkLinearRegression().fit(X, y, sample_weight=w)
    model = _fit_quietly(LinearRegression(solver=solver), X, y, sample_weight=w)
    np.testing.assert_array_equal(model.coef_, reference.coef_)
    assert model.intercept_ == pytest.approx(y[7], rel=1e-15)


def test_a_huge_penalty_gives_zero_coefficients():
    X, y = _data()
    model = _fit_quietly(LinearRegression(alpha=1e300), X, y)
    reference = Ridge(alpha=1e300).fit(X, y)
    assert np.all(np.abs(model.coef_) < 1e-290)
    assert_coef_close(model.coef_, reference.coef_, 1e-8)
    assert model.intercept_ == pytest.approx(y.mean(), rel=1e-12)


def test_integer_columns_near_2_to_the_62_are_fitted():
    rng = np.random.default_rng(0)
    offsets = rng.integers(-(2**20), 2**20, (2000, 3))
    X = 2**62 + offsets
    y = offsets @ np.array([1.0, 2.0, 3.0]) + 1000.0 * rng.standard_normal(2000)
    reference = SkLinearRegression().fit(X, y)
    model = _fit_quietly(LinearRegression(), X, y)
    np.testing.assert_allclose(model.coef_, [1.0, 2.0, 3.0], rtol=1e-3)
    # Both fit the float64 values of X (1024 apart here), whose intercept, near 2**64, is 4096
    # apart: squared errors of evaluated predictions differ by rounding luck. Measured exactly,
    # the coefficients fit as well as scikit-learn's and the intercept is correctly rounded.
    values = X.astype(np.float64)
    best, ours = exact_fit_quality(values, y, model.coef_)
    _, theirs = exact_fit_quality(values, y, reference.coef_)
    assert ours <= Fraction(101, 100) * theirs
    assert abs(Fraction(model.intercept_) - best) <= Fraction(abs(np.spacing(model.intercept_))) / 2


@pytest.mark.parametrize("kind", ["int64-min", "uint64-max"])
def test_integers_at_their_limits_match_scikit_learn(kind):
    rng = np.random.default_rng(1)
    small = rng.integers(0, 2**20, (500, 3))
    if kind == "int64-min":
        X = np.iinfo(np.int64).min + small
    else:
        X = np.uint64(np.iinfo(np.uint64).max - 2**21) + small.astype(np.uint64)
    y = small @ np.array([1.0, -1.0, 2.0]) + 100.0 * rng.standard_normal(500)
    reference = SkLinearRegression().fit(X, y)
    model = _fit_quietly(LinearRegression(), X, y)
    np.testing.assert_allclose(model.coef_, [1.0, -1.0, 2.0], rtol=1e-2)
    assert np.mean((model.predict(X) - y) ** 2) <= 1.01 * np.mean((reference.predict(X) - y) ** 2)


def test_float16_is_computed_in_float64():
    X, y = _data()
    X16 = X.astype(np.float16)
    model = _fit_quietly(LinearRegression(), X16, y)
    as64 = LinearRegression().fit(X16.astype(np.float64), y)
    assert model.coef_.dtype == np.float64
    np.testing.assert_array_equal(model.coef_, as64.coef_)
    np.testing.assert_array_equal(model.predict(X16), as64.predict(X16.astype(np.float64)))


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize("what", ["y", "weights", "both"])
def test_big_endian_targets_and_weights(method, what):
    X, y = _data()
    w = np.random.default_rng(2).uniform(0.5, 2.0, X.shape[0])
    y_in = y.astype(">f8") if what in ("y", "both") else y
    w_in = w.astype(">f4") if what in ("weights", "both") else w
    before = (y_in.copy(), w_in.copy())
    model = getattr(LinearRegression(), method)(X, y_in, sample_weight=w_in)
    native = getattr(LinearRegression(), method)(X, y, sample_weight=w_in.astype(np.float64))
    np.testing.assert_array_equal(model.coef_, native.coef_)
    np.testing.assert_array_equal(y_in, before[0])
    np.testing.assert_array_equal(w_in, before[1])
    assert y_in.dtype.byteorder == before[0].dtype.byteorder


@pytest.mark.parametrize("container", ["array", "list"])
def test_numeric_strings_in_X_are_refused_like_scikit_learn(container):
    X, y = _data(n=20)
    text = X.astype(str)
    X_in = text if container == "array" else text.tolist()
    with pytest.raises(ValueError) as theirs:
        SkLinearRegression().fit(X_in, y)
    with pytest.raises(ValueError) as ours:
        LinearRegression().fit(X_in, y)
    assert str(ours.value) == str(theirs.value)
    fitted = LinearRegression().fit(X, y)
    with pytest.raises(ValueError, match="strings"):
        fitted.predict(X_in)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_residual_gradient_refuses_a_non_finite_model(bad):
    X, y = _data(n=20)
    with pytest.raises(ValueError, match="must be finite"):
        kernels.residual_gradient(X, y, np.zeros(4), bad)
    coef = np.zeros(4)
    coef[2] = bad
    with pytest.raises(ValueError, match="must be finite"):
        kernels.residual_gradient(X, y, coef, 0.0)
    with pytest.raises(ValueError, match="must be finite"):
        kernels.predict(X, coef, 0.0)


EXTENSION_DTYPES = [
    "Int64",
    "Float64",
    "boolean",
    "int64[pyarrow]",
    "double[pyarrow]",
    "float[pyarrow]",
    "bool[pyarrow]",
]


@pytest.mark.parametrize("dtype", EXTENSION_DTYPES)
def test_extension_dtype_frames_are_fitted_and_left_unchanged(dtype):
    pytest.importorskip("pyarrow")
    X, y = _data(n=200)
    values = X > 0 if "bool" in dtype else (np.round(X * 10) if "int" in dtype.lower() else X)
    frame = pd.DataFrame(values, columns=list("abcd")).astype(dtype)
    target = pd.Series(y).astype("Float64")
    before_frame, before_target = frame.copy(deep=True), target.copy(deep=True)
    model = LinearRegression().fit(frame, target)
    reference = SkLinearRegression().fit(np.asarray(values, dtype=np.float64), y)
    assert_coef_close(model.coef_, reference.coef_, 1e-8)
    pd.testing.assert_frame_equal(frame, before_frame)
    pd.testing.assert_series_equal(target, before_target)
    assert list(model.feature_names_in_) == list("abcd")


def test_polars_frames_are_left_unchanged():
    pl = pytest.importorskip("polars")
    X, y = _data(n=200)
    frame = pl.DataFrame({name: X[:, j] for j, name in enumerate("abcd")})
    before = frame.clone()
    LinearRegression().fit(frame, y)
    assert frame.equals(before)


def test_wide_tiny_X_fits_like_the_unscaled_data():
    # Rescaled data go through the blockwise passes, not the dual system (which reads X itself).
    rng = np.random.default_rng(11)
    X = rng.standard_normal((30, 60))
    y = rng.standard_normal(30)
    plain = LinearRegression().fit(X, y)
    model = _fit_quietly(LinearRegression(), X * 1e-200, y)
    np.testing.assert_allclose(model.predict(X * 1e-200), plain.predict(X), atol=1e-8)
    assert_coef_close(model.coef_ * 1e-200, plain.coef_, 1e-8)


def test_sparse_X_of_extreme_magnitudes_is_refused():
    sparse = pytest.importorskip("scipy.sparse")
    X, y = _data()
    Xs = sparse.csr_matrix(X * 1e-200)
    with pytest.raises(ValueError, match="sparse X is fitted as it is"):
        LinearRegression().fit(Xs, y)
    with pytest.raises(ValueError, match="partial_fit accumulates squares"):
        LinearRegression().partial_fit(Xs, y)
