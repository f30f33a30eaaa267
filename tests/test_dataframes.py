"""pandas and polars input: scikit-learn's feature-name semantics, Series targets, dtypes."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_coef_close

from fastlinreg import LinearRegression, _chunked

pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")

NAMES = ["alpha", "beta", "gamma", "delta"]


@pytest.fixture
def problem(rng):
    X = rng.normal(size=(400, 4)) * [1.0, 10.0, 0.1, 3.0] + 2.0
    y = X @ np.array([1.0, -0.2, 5.0, 0.7]) + 3.0 + 0.05 * rng.normal(size=400)
    return X, y


def _frame(kind, X, names=NAMES):
    if kind == "pandas":
        return pd.DataFrame(X, columns=names)
    return pl.DataFrame(X, schema=names)


def _series(kind, y, name="target"):
    return pd.Series(y, name=name) if kind == "pandas" else pl.Series(name, y)


def _reorder(kind, frame, names):
    return frame[names] if kind == "pandas" else frame.select(names)


@pytest.mark.parametrize("kind", ["pandas", "polars"])
@pytest.mark.parametrize("solver", ["gd", "gram"])
def test_frame_with_series_target_equals_array_fit(problem, kind, solver):
    X, y = problem
    model = LinearRegression(solver=solver).fit(_frame(kind, X), _series(kind, y))
    ref = LinearRegression(solver=solver).fit(X, y)
    assert_coef_close(model.coef_, ref.coef_, 1e-12)
    assert model.feature_names_in_.dtype == object
    assert list(model.feature_names_in_) == NAMES and model.n_features_in_ == 4
    pred = model.predict(_frame(kind, X))
    assert isinstance(pred, np.ndarray) and pred.shape == (400,)
    np.testing.assert_allclose(pred, ref.predict(X), rtol=1e-12)


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_reordered_missing_or_extra_columns_raise(problem, kind):
    X, y = problem
    frame = _frame(kind, X)
    model = LinearRegression().fit(frame, y)
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        model.predict(_reorder(kind, frame, ["beta", "alpha", "gamma", "delta"]))
    with pytest.raises(ValueError, match="Feature names seen at fit time, yet now missing"):
        model.predict(_reorder(kind, frame, ["alpha", "beta", "gamma"]))
    renamed = _frame(kind, np.c_[X, X[:, 0]], [*NAMES, "extra"])
    with pytest.raises(ValueError, match="Feature names unseen at fit time"):
        model.predict(renamed)


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_names_are_dropped_and_checked_like_scikit_learn(problem, kind):
    X, y = problem
    model = LinearRegression().fit(_frame(kind, X), y)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        model.predict(X)
    unnamed = LinearRegression().fit(X, y)
    assert not hasattr(unnamed, "feature_names_in_")
    with pytest.warns(UserWarning, match="X has feature names"):
        unnamed.predict(_frame(kind, X))
    refit = LinearRegression().fit(_frame(kind, X), y).fit(X, y)
    assert not hasattr(refit, "feature_names_in_")


def test_pandas_non_string_column_names_give_no_names(problem):
    X, y = problem
    model = LinearRegression().fit(pd.DataFrame(X), y)
    assert not hasattr(model, "feature_names_in_") and model.n_features_in_ == 4


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_frame_targets_give_multi_output(problem, kind):
    X, y = problem
    Y = np.c_[y, 2 * y - 1]
    targets = (
        pd.DataFrame(Y, columns=["u", "v"])
        if kind == "pandas"
        else pl.DataFrame(Y, schema=["u", "v"])
    )
    model = LinearRegression().fit(_frame(kind, X), targets)
    assert model.coef_.shape == (2, 4)
    assert_coef_close(model.coef_, LinearRegression().fit(X, Y).coef_, 1e-12)


@pytest.mark.parametrize("kind", ["pandas", "polars"])
def test_float32_frames_keep_float32_and_mixed_columns_give_float64(problem, kind):
    X, y = problem
    X32 = X.astype(np.float32)
    model = LinearRegression().fit(_frame(kind, X32), y)
    assert model.coef_.dtype == np.float32
    assert model.predict(_frame(kind, X32)).dtype == np.float32
    ints = np.rint(X).astype(np.int64)
    if kind == "pandas":
        mixed = pd.DataFrame({"a": ints[:, 0], "b": X32[:, 1], "c": X[:, 2], "d": ints[:, 3]})
    else:
        mixed = pl.DataFrame({"a": ints[:, 0], "b": X32[:, 1], "c": X[:, 2], "d": ints[:, 3]})
    model = LinearRegression().fit(mixed, y)
    assert model.coef_.dtype == np.float64
    as_array = np.c_[ints[:, 0], X32[:, 1].astype(np.float64), X[:, 2], ints[:, 3]]
    assert_coef_close(model.coef_, LinearRegression().fit(as_array, y).coef_, 1e-12)


def test_pandas_missing_values_are_rejected(problem):
    X, y = problem
    frame = pd.DataFrame(X, columns=NAMES).astype("Float64")
    frame.iloc[3, 1] = pd.NA
    with pytest.raises(ValueError, match="NaN"):
        LinearRegression().fit(frame, y)
    with pytest.raises(ValueError, match="NaN"):
        LinearRegression().fit(X, pd.Series(y).where(np.arange(400) != 7))


def test_polars_nulls_and_string_columns_are_rejected(problem):
    X, y = problem
    frame = pl.DataFrame(X, schema=NAMES).with_columns(
        pl.when(pl.int_range(pl.len()) == 5).then(None).otherwise(pl.col("beta")).alias("beta")
    )
    with pytest.raises(ValueError, match="NaN"):
        LinearRegression().fit(frame, y)
    text = pl.DataFrame({"a": ["x"] * 400, "b": X[:, 0]})
    with pytest.raises(ValueError):
        LinearRegression().fit(text, y)


def test_single_dtype_pandas_frame_is_not_copied(problem, monkeypatch):
    X, y = problem
    frame = pd.DataFrame(X, columns=NAMES)
    seen = []
    compute_stats = _chunked.compute_stats
    monkeypatch.setattr(
        _chunked, "compute_stats", lambda X, *a: seen.append(X) or compute_stats(X, *a)
    )
    LinearRegression(solver="gram").fit(frame, y)
    assert np.shares_memory(seen[0], frame.to_numpy())
