"""LinearRegression against the closed form, Ridge, and its own contract."""

from __future__ import annotations

import numpy as np
import pytest
from naive import lstsq_fit
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge

from fastlinreg import DivergenceError, LinearRegression


def _problem(rng, n=500, d=7, k=None, offset=0.0, scales=None, noise=0.1):
    X = rng.normal(size=(n, d)) + offset
    if scales is not None:
        X *= scales
    w = rng.normal(size=(d,) if k is None else (d, k))
    if scales is not None:
        w = (w.T / scales).T
    y = X @ w + 3.0 + noise * rng.normal(size=(n,) if k is None else (n, k))
    return X, y


def _assert_matches(model, X, y, sample_weight=None, fit_intercept=True, rtol=1e-6):
    coef, intercept = lstsq_fit(X, y, sample_weight, fit_intercept)
    np.testing.assert_allclose(model.coef_, coef, rtol=rtol, atol=rtol * np.abs(coef).max())
    np.testing.assert_allclose(
        model.intercept_, intercept, rtol=rtol, atol=rtol * max(np.abs(intercept).max(), 1)
    )


@pytest.mark.parametrize(("n", "d"), [(500, 1), (500, 7), (1000, 13), (40, 3), (2000, 101)])
def test_matches_lstsq(rng, n, d):
    X, y = _problem(rng, n, d)
    model = LinearRegression().fit(X, y)
    assert model.converged_
    _assert_matches(model, X, y)


def test_uncentred_data(rng):
    X, y = _problem(rng, offset=100.0)
    _assert_matches(LinearRegression().fit(X, y), X, y)


def test_column_scales_differing_by_many_orders(rng):
    scales = np.array([1e-6, 1e-3, 1.0, 1e3, 1e6, 1e8, 1e-8])
    X, y = _problem(rng, scales=scales)
    _assert_matches(LinearRegression().fit(X, y), X, y)


def test_no_intercept(rng):
    X, y = _problem(rng, offset=2.0)
    model = LinearRegression(fit_intercept=False).fit(X, y)
    assert model.intercept_ == 0.0
    _assert_matches(model, X, y, fit_intercept=False)


@pytest.mark.parametrize("standardize", [True, False])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha", [0.1, 10.0, 1000.0])
def test_matches_ridge(rng, alpha, fit_intercept, standardize):
    X, y = _problem(rng, n=300, d=6, offset=1.0)
    sw = rng.uniform(0.5, 2.0, size=300)
    ours = LinearRegression(
        alpha=alpha, fit_intercept=fit_intercept, standardize=standardize, max_iter=20000
    ).fit(X, y, sample_weight=sw)
    ridge = Ridge(alpha=alpha, fit_intercept=fit_intercept, solver="cholesky", tol=1e-12)
    ridge.fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(ours.coef_, ridge.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ours.intercept_, ridge.intercept_, rtol=1e-7, atol=1e-9)


def test_multi_output(rng):
    X, Y = _problem(rng, k=3)
    model = LinearRegression().fit(X, Y)
    assert model.coef_.shape == (3, 7) and model.intercept_.shape == (3,)
    _assert_matches(model, X, Y)
    assert model.predict(X).shape == (500, 3)
    single = LinearRegression().fit(X, Y[:, 1])
    np.testing.assert_allclose(model.coef_[1], single.coef_, rtol=1e-8)


def test_multi_output_with_one_column_keeps_2d_shapes(rng):
    X, y = _problem(rng)
    model = LinearRegression().fit(X, y[:, None])
    assert model.coef_.shape == (1, 7) and model.intercept_.shape == (1,)
    assert model.predict(X).shape == (500, 1)


def test_sample_weight_equals_repeated_rows(rng):
    X, y = _problem(rng, n=60, d=4)
    counts = rng.integers(0, 4, size=60)
    weighted = LinearRegression().fit(X, y, sample_weight=counts)
    repeated = LinearRegression().fit(np.repeat(X, counts, axis=0), np.repeat(y, counts))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-8)
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, rtol=1e-8)
    _assert_matches(weighted, X, y, sample_weight=counts)


def test_float32_is_preserved_and_agrees_with_float64(rng):
    X, y = _problem(rng, n=2000, d=9, offset=5.0)
    m64 = LinearRegression().fit(X, y)
    m32 = LinearRegression().fit(X.astype(np.float32), y.astype(np.float32))
    assert m32.coef_.dtype == np.float32 and np.asarray(m32.intercept_).dtype == np.float32
    assert m32.predict(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(m32.coef_, m64.coef_, rtol=1e-4, atol=1e-4)
    # float32 storage, float64 arithmetic: the float32 fit is the exact solution of its data
    _assert_matches(m32, X.astype(np.float32), y.astype(np.float32), rtol=1e-5)


@pytest.mark.parametrize("kind", ["F", "readonly", "strided", "int", "bool"])
def test_input_layouts_and_types(rng, kind):
    X, y = _problem(rng, n=300, d=5)
    if kind == "F":
        X = np.asfortranarray(X)
    elif kind == "readonly":
        X.flags.writeable = False
        y.flags.writeable = False
    elif kind == "strided":
        X = np.repeat(X, 2, axis=1)[:, ::2]
    elif kind == "int":
        X = np.round(X * 10).astype(np.int32)
    elif kind == "bool":
        X = X > 0
    model = LinearRegression().fit(X, y)
    _assert_matches(model, X, y)
    np.testing.assert_allclose(
        model.predict(X), X @ model.coef_ + model.intercept_, rtol=1e-10, atol=1e-9
    )


def test_inputs_are_not_modified(rng):
    X, y = _problem(rng)
    sw = rng.uniform(0.5, 2, size=len(y))
    copies = [X.copy(), y.copy(), sw.copy()]
    model = LinearRegression().fit(X, y, sample_weight=sw)
    model.predict(X)
    model.score(X, y)
    for a, c in zip((X, y, sw), copies, strict=True):
        np.testing.assert_array_equal(a, c)


def test_constant_and_duplicated_columns(rng):
    X, y = _problem(rng, d=4)
    X = np.c_[X, np.full(len(X), 7.0), X[:, 0]]
    model = LinearRegression().fit(X, y)
    coef, intercept = lstsq_fit(X, y)
    np.testing.assert_allclose(model.predict(X), X @ coef + intercept, rtol=1e-8, atol=1e-9)
    assert model.coef_[4] == 0.0
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-6, atol=1e-8)


def test_divergence_raises_a_clear_error_and_keeps_the_previous_model(rng):
    X, y = _problem(rng, offset=3.0)
    model = LinearRegression(solver="gd", learning_rate=0.01, standardize=False, tol=1e-6)
    model.fit(X, y)
    previous = model.coef_.copy()
    model.set_params(learning_rate=10.0, accelerate=False)
    with pytest.raises(DivergenceError, match=r'iteration \d+.*learning_rate="auto"'):
        model.fit(X, y)
    np.testing.assert_array_equal(model.coef_, previous)


def test_convergence_warning_when_max_iter_is_reached(rng):
    X, y = _problem(rng, offset=10.0)
    with pytest.warns(ConvergenceWarning, match=r"max_iter \(now 3\)"):
        model = LinearRegression(solver="gd", max_iter=3, standardize=False).fit(X, y)
    assert not model.converged_ and model.n_iter_ == 3
    assert np.all(np.isfinite(model.coef_))


def test_loss_curve_is_the_objective(rng):
    X, y = _problem(rng)
    model = LinearRegression(solver="gd", alpha=2.0).fit(X, y)
    assert len(model.loss_curve_) == model.n_iter_
    final = (np.sum((model.predict(X) - y) ** 2) + 2.0 * model.coef_ @ model.coef_) / (2 * len(y))
    assert model.loss_curve_[-1] == pytest.approx(final, rel=1e-9)
    # Centred coordinates start from zero coefficients and the intercept at mean(y).
    assert model.loss_curve_[0] == pytest.approx(np.sum((y - y.mean()) ** 2) / (2 * len(y)))


def test_warm_start_starts_from_the_previous_solution(rng):
    X, y = _problem(rng)
    model = LinearRegression(solver="cg", warm_start=True).fit(X, y)
    first = model.n_iter_
    model.fit(X, y)
    assert model.n_iter_ < first
    _assert_matches(model, X, y)


def test_accelerate_reduces_iterations_on_ill_conditioned_data(rng):
    X, y = _problem(rng, n=400, d=6)
    X[:, 1] = X[:, 0] + 0.05 * X[:, 1]
    plain = LinearRegression(solver="gd", accelerate=False, max_iter=100000).fit(X, y)
    fast = LinearRegression(solver="gd").fit(X, y)
    assert fast.n_iter_ < plain.n_iter_ / 2
    _assert_matches(fast, X, y, rtol=1e-5)


def test_verbose_prints_progress(rng, capsys):
    X, y = _problem(rng)
    LinearRegression(solver="gd", verbose=1).fit(X, y)
    assert "objective" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("params", "exc", "match"),
    [
        ({"learning_rate": 0.0}, ValueError, "learning_rate"),
        ({"learning_rate": -1.0}, ValueError, "learning_rate"),
        ({"learning_rate": "fast"}, ValueError, "learning_rate"),
        ({"max_iter": 0}, ValueError, "max_iter"),
        ({"max_iter": 2.5}, ValueError, "max_iter"),
        ({"tol": -1.0}, ValueError, "tol"),
        ({"alpha": -0.1}, ValueError, "alpha"),
        ({"alpha": np.nan}, ValueError, "alpha"),
        ({"solver": "lbfgs"}, ValueError, "solver"),
        ({"verbose": -1}, ValueError, "verbose"),
        ({"fit_intercept": "yes"}, TypeError, "fit_intercept"),
    ],
)
def test_invalid_parameters(rng, params, exc, match):
    X, y = _problem(rng, n=20, d=2)
    with pytest.raises(exc, match=match):
        LinearRegression(**params).fit(X, y)


@pytest.mark.parametrize("solver", ["gd", "gram"])
def test_noise_free_data_converges_without_warning(rng, solver):
    X = rng.normal(size=(100, 3))
    model = LinearRegression(solver=solver).fit(X, X.sum(axis=1) + 2.0)
    assert model.converged_ and model.n_iter_ < 100
    np.testing.assert_allclose(model.coef_, 1.0, rtol=1e-9)
    assert model.intercept_ == pytest.approx(2.0, rel=1e-9)
