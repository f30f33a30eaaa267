"""Exact answers: NIST's certified values, and an extended-precision reference on hard designs.

The thresholds are those of the project's acceptance criteria: the default estimator must get at
least as many digits as the certified problems allow a float64 QR method (statsmodels'
``OLS(method="qr")`` and ``np.linalg.lstsq`` reach about these), and on generated correlated,
polynomial and offset designs its coefficient error must be within 10x that of
``np.linalg.lstsq``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from conftest import relative_error
from naive import exact_lstsq
from nist_strd import NAMES, load, lre, min_coef_lre
from sklearn.exceptions import ConvergenceWarning

from fastlinreg import LinearRegression

#: Fewest correct digits over the coefficients (intercept included) for the default fit.
MIN_COEF_LRE = {
    "Norris": 12,
    "Pontius": 12,
    "NoInt1": 14,
    "NoInt2": 14,
    "Longley": 12,
    "Wampler1": 9,
    "Wampler2": 12,
    "Wampler3": 9,
    "Wampler4": 7.5,
    "Wampler5": 5.5,
    "Filip": 7,
}


def _residual_sd_and_r2(ds, model):
    r = ds.y - model.predict(ds.X)
    p = ds.X.shape[1] + int(ds.fit_intercept)
    rss = float(r @ r)
    sd = np.sqrt(rss / (len(ds.y) - p))
    tss = float(((ds.y - ds.y.mean()) ** 2).sum()) if ds.fit_intercept else float(ds.y @ ds.y)
    return sd, 1.0 - rss / tss


@pytest.mark.parametrize("name", NAMES)
def test_default_fit_meets_the_certified_digits(name):
    ds = load(name)
    model = LinearRegression(fit_intercept=ds.fit_intercept).fit(ds.X, ds.y)
    assert min_coef_lre(ds, model.coef_, model.intercept_) >= MIN_COEF_LRE[name]
    assert model.converged_
    assert model.rank_ == ds.X.shape[1]
    if name != "Filip":
        sd, r2 = _residual_sd_and_r2(ds, model)
        # A certified residual SD of zero is met to the absolute rounding level of y.
        sd_digits = (
            lre(sd, ds.residual_sd)
            if ds.residual_sd
            else -np.log10(max(sd, 1e-300) / np.abs(ds.y).max())
        )
        assert sd_digits >= 10
        assert lre(r2, ds.r_squared) >= 10


def test_filip_moves_to_qr_and_says_so():
    ds = load("Filip")
    model = LinearRegression().fit(ds.X, ds.y)
    assert model.solver_ == "gram+qr"
    assert model.n_passes_ == 2
    assert model.cond_ > 1e8
    # The explicit Gram solver cannot resolve Filip's normal equations: it reports the
    # numerical rank it sees rather than pretending to full rank.
    gram = LinearRegression(solver="gram").fit(ds.X, ds.y)
    assert gram.rank_ < ds.X.shape[1]


@pytest.mark.parametrize("name", ["Longley", "Wampler3", "Pontius", "NoInt1"])
def test_qr_solver_on_certified_data(name):
    ds = load(name)
    model = LinearRegression(fit_intercept=ds.fit_intercept, solver="qr").fit(ds.X, ds.y)
    assert model.solver_ == "qr" and model.n_passes_ == 1
    assert min_coef_lre(ds, model.coef_, model.intercept_) >= min(MIN_COEF_LRE[name], 9)


def _correlated(rng, n, d, rho):
    """Columns whose neighbours correlate ``rho``: an AR(1) design."""
    Z = rng.standard_normal((n, d))
    X = np.empty_like(Z)
    X[:, 0] = Z[:, 0]
    for j in range(1, d):
        X[:, j] = rho * X[:, j - 1] + np.sqrt(1 - rho**2) * Z[:, j]
    return X


def _design(kind, rng):
    n = 4000
    if kind.startswith("correlated"):
        rho = float(kind.split("-")[1])
        X = _correlated(rng, n, 12, rho)
    elif kind.startswith("polynomial"):
        degree = int(kind.split("-")[1])
        x = rng.uniform(0.0, 2.0, n)
        X = x[:, None] ** np.arange(1, degree + 1)
    elif kind == "offset":
        X = rng.standard_normal((n, 9)) + 1e6 * np.arange(1, 10)
    elif kind == "blocks":
        base = rng.standard_normal((n, 2))
        X = np.repeat(base, 4, axis=1) + 1e-4 * rng.standard_normal((n, 8))
    else:
        raise AssertionError(kind)
    coef = rng.uniform(-2, 2, X.shape[1])
    y = X @ coef + 3.0 + 0.1 * rng.standard_normal(n)
    return X, y


KINDS = [
    "correlated-0.999",
    "correlated-0.999999",
    "polynomial-3",
    "polynomial-6",
    "polynomial-8",
    "offset",
    "blocks",
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", KINDS)
def test_default_fit_within_10x_of_lstsq(kind, dtype, rng):
    X, y = _design(kind, rng)
    X = X.astype(dtype)
    coef_ref, b_ref = exact_lstsq(X, y)
    ref = np.append(coef_ref, b_ref)
    A = np.c_[np.ones(len(X)), np.asarray(X, dtype=np.float64)]
    lstsq = np.linalg.lstsq(A, y, rcond=None)[0]
    lstsq_err = relative_error(np.append(lstsq[1:], lstsq[0]), ref)
    model = LinearRegression().fit(X, y)
    ours = np.append(np.asarray(model.coef_, dtype=np.float64), float(model.intercept_))
    # float32 coefficients are rounded to float32 on the way out.
    floor = 4 * np.finfo(dtype).eps if dtype == np.float32 else 1e-15
    assert relative_error(ours, ref) <= 10 * lstsq_err + floor
    assert model.converged_


@pytest.mark.parametrize("solver", ["cg", "gd"])
def test_streaming_solvers_reach_1e_10_on_well_conditioned_data(solver, rng):
    X = rng.standard_normal((3000, 17))
    y = X @ rng.standard_normal(17) + 0.5 + 0.01 * rng.standard_normal(3000)
    coef_ref, b_ref = exact_lstsq(X, y)
    model = LinearRegression(solver=solver).fit(X, y)
    assert model.converged_ and model.n_iter_ < 1000
    assert relative_error(model.coef_, coef_ref) <= 1e-10
    assert model.intercept_ == pytest.approx(b_ref, rel=1e-10)
    assert model.error_estimate_ <= 1e-10


@pytest.mark.parametrize("solver", ["cg", "gd"])
@pytest.mark.parametrize("data", ["Wampler1", "polynomial-8"])
def test_converged_certifies_the_error(solver, data, rng):
    """Either the fit converged and is within a small multiple of tol, or it warned."""
    if data in NAMES:
        ds = load(data)
        X, y = ds.X, ds.y
    else:
        X, y = _design(data, rng)
    coef_ref, _ = exact_lstsq(X, y)
    scale = np.sqrt(((X - X.mean(0)) ** 2).sum(0))
    tol = 1e-8
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = LinearRegression(solver=solver, max_iter=3000, tol=tol).fit(X, y)
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    err = relative_error(model.coef_ * scale, coef_ref * scale)
    if model.converged_:
        assert not warned
        assert err <= 100 * tol
    else:
        assert warned
        assert model.error_estimate_ > tol


def test_auto_streaming_finishes_exactly(rng):
    """When auto starts with conjugate gradient on ill-conditioned data, the Gram fit finishes."""
    X = _correlated(rng, 3000, 300, 0.999)
    y = X @ rng.uniform(-1, 1, 300) + 0.1 * rng.standard_normal(3000)
    coef_ref, _ = exact_lstsq(X, y)
    model = LinearRegression().fit(X, y)
    assert model.solver_.startswith("cg+gram")
    assert model.converged_
    assert relative_error(model.coef_, coef_ref) <= 1e-8


@pytest.mark.parametrize(
    "shape", [(1, 1), (1, 3), (5, 1), (7, 13), (13, 7), (40, 31)], ids=lambda s: f"{s[0]}x{s[1]}"
)
@pytest.mark.parametrize("solver", ["auto", "gram", "qr"])
def test_odd_shapes_give_the_minimum_norm_solution(shape, solver, rng):
    n, d = shape
    X = rng.standard_normal((n, d))
    y = rng.standard_normal(n)
    model = LinearRegression(solver=solver).fit(X, y)
    np.testing.assert_allclose(model.predict(X), _lstsq_predict(X, y), rtol=1e-9, atol=1e-9)
    assert model.rank_ == min(max(n - 1, 0), d)


def _lstsq_predict(X, y):
    Xc = X - X.mean(0)
    coef = np.linalg.lstsq(Xc, y - y.mean(), rcond=None)[0]
    return Xc @ coef + y.mean()


def test_rank_deficient_duplicate_columns(rng):
    base = rng.standard_normal((500, 4))
    X = np.c_[base, base[:, :2]]
    y = base @ np.array([1.0, -1.0, 2.0, 0.5]) + 1.0
    model = LinearRegression().fit(X, y)
    assert model.rank_ == 4 and np.isinf(model.cond_)
    # Minimum norm in standardised units: a duplicated column shares its coefficient.
    np.testing.assert_allclose(model.coef_, [0.5, -0.5, 2.0, 0.5, 0.5, -0.5], atol=1e-10)
    assert model.intercept_ == pytest.approx(1.0, abs=1e-10)


@pytest.mark.parametrize("alpha", [1e-3, 1.0, 1e3])
@pytest.mark.parametrize("solver", ["auto", "qr", "cg"])
def test_ridge_matches_scikit_learn(alpha, solver, rng):
    from sklearn.linear_model import Ridge

    X = _correlated(rng, 800, 9, 0.99) + 50.0
    y = X @ rng.standard_normal(9) + rng.standard_normal(800)
    w = rng.uniform(0.5, 2.0, 800)
    ref = Ridge(alpha=alpha, solver="cholesky").fit(X, y, sample_weight=w)
    model = LinearRegression(alpha=alpha, solver=solver).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(model.coef_, ref.coef_, rtol=1e-8, atol=1e-10)
    assert model.intercept_ == pytest.approx(ref.intercept_, rel=1e-8)


def test_partial_fit_qr_accumulates_the_factor():
    ds = load("Filip")
    model = LinearRegression(solver="qr")
    for i in range(0, len(ds.y), 20):
        model.partial_fit(ds.X[i : i + 20], ds.y[i : i + 20])
    assert min_coef_lre(ds, model.coef_, model.intercept_) >= 7


def test_partial_fit_warns_when_the_statistics_cannot_deliver():
    ds = load("Filip")
    with pytest.warns(ConvergenceWarning, match='solver="qr"'):
        model = LinearRegression().partial_fit(ds.X, ds.y)
    assert not model.converged_


def test_partial_fit_gram_is_exact_on_well_conditioned_data(rng):
    X = rng.standard_normal((900, 6)) + 100.0
    y = X @ np.arange(1.0, 7.0) - 4.0 + rng.standard_normal(900)
    model = LinearRegression()
    for i in range(0, 900, 300):
        model.partial_fit(X[i : i + 300], y[i : i + 300])
    coef_ref, b_ref = exact_lstsq(X, y)
    assert relative_error(model.coef_, coef_ref) <= 1e-11
    assert model.intercept_ == pytest.approx(b_ref, rel=1e-11)
    assert model.converged_


def test_weighted_fit_matches_the_weighted_reference(rng):
    X = _correlated(rng, 1000, 7, 0.999)
    y = X @ rng.standard_normal(7) + rng.standard_normal(1000)
    w = rng.uniform(0.0, 3.0, 1000)
    coef_ref, b_ref = exact_lstsq(X, y, sample_weight=w)
    for solver in ("auto", "qr"):
        model = LinearRegression(solver=solver).fit(X, y, sample_weight=w)
        assert relative_error(model.coef_, coef_ref) <= 1e-10
        assert model.intercept_ == pytest.approx(b_ref, rel=1e-10)


def test_chunked_and_dask_fits_take_the_same_path_as_arrays():
    from fastlinreg.io_chunks import fit_chunks

    ds = load("Filip")
    chunks = [(ds.X[i : i + 25], ds.y[i : i + 25]) for i in range(0, len(ds.y), 25)]
    model = fit_chunks(LinearRegression(), chunks, progress=False)
    assert model.solver_ == "gram+qr"
    assert min_coef_lre(ds, model.coef_, model.intercept_) >= MIN_COEF_LRE["Filip"]
    wampler = load("Wampler4")
    chunks = [(wampler.X[i : i + 5], wampler.y[i : i + 5]) for i in range(0, 21, 5)]
    refined = fit_chunks(LinearRegression(), chunks, progress=False)
    assert refined.solver_ == "gram" and refined.n_passes_ >= 2
    assert min_coef_lre(wampler, refined.coef_, refined.intercept_) >= MIN_COEF_LRE["Wampler4"]


def test_dask_fit_moves_to_qr_like_arrays():
    da = pytest.importorskip("dask.array")
    ds = load("Filip")
    model = LinearRegression().fit(da.from_array(ds.X, chunks=(20, 10)), ds.y)
    assert model.solver_ == "gram+qr"
    assert min_coef_lre(ds, model.coef_, model.intercept_) >= MIN_COEF_LRE["Filip"]


def test_one_shot_chunks_get_the_statistics_alone_and_say_so():
    from fastlinreg.io_chunks import fit_chunks

    ds = load("Filip")
    gen = ((ds.X[i : i + 25], ds.y[i : i + 25]) for i in range(0, len(ds.y), 25))
    with pytest.warns(ConvergenceWarning, match='solver="qr"'):
        model = fit_chunks(LinearRegression(), gen, progress=False)
    assert not model.converged_ and model.n_passes_ == 1
