"""Sparse X (scipy CSR/CSC): equal to the dense fit and to scikit-learn, never copied."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import assert_coef_close
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression as SkLinearRegression
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from fastlinreg import LinearRegression, _sparse_data


def _design(n, d, density, seed, dtype=np.float64, index=np.int32, fmt="csr"):
    """Random sparse X with an empty row, an empty column and a column of explicit zeros."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, d, density=density, format="csr", random_state=seed, dtype=np.float64)
    X.data = rng.normal(size=X.nnz) + 1.0
    X = sp.lil_matrix(X)
    if n > 2:
        X[1, :] = 0.0
    if d > 2:
        X[:, 0] = 0.0
    X = X.tocsr()
    X.eliminate_zeros()
    if d > 2:  # explicit zeros stored in column 2
        rows = np.arange(0, n, 3)
        X = X + sp.csr_matrix((np.zeros(rows.size), (rows, np.full(rows.size, 2))), shape=(n, d))
        X = sp.csr_matrix((X.data, X.indices, X.indptr), shape=(n, d))  # keeps the zeros
    X = X.astype(dtype)
    X.indices = X.indices.astype(index)
    X.indptr = X.indptr.astype(index)
    X = X.asformat(fmt)
    if fmt == "csc":
        X.indices = X.indices.astype(index)
        X.indptr = X.indptr.astype(index)
    coef = rng.normal(size=d)
    y = X @ coef + 0.5 + 0.1 * rng.normal(size=n)
    return X, y


def _rtol(dtype):
    return 1e-4 if dtype == np.float32 else 1e-9


CASES = [
    # density, dtype, index dtype, format
    (1e-4, np.float64, np.int32, "csr"),
    (0.01, np.float64, np.int32, "csr"),
    (0.3, np.float64, np.int32, "csr"),
    (0.01, np.float64, np.int64, "csr"),
    (0.05, np.float64, np.int32, "csc"),
    (0.05, np.float32, np.int32, "csr"),
    (0.3, np.float32, np.int32, "csc"),
]


@pytest.mark.parametrize("alpha", [0.0, 1.0])
@pytest.mark.parametrize(("density", "dtype", "index", "fmt"), CASES)
def test_equals_dense_fit_and_sklearn(density, dtype, index, fmt, alpha):
    n, d = (3000, 40) if density < 1e-3 else (600, 30)
    X, y = _design(n, d, density, seed=int(density * 1e4) + d, dtype=dtype, index=index, fmt=fmt)
    assert X.format == fmt and X.indices.dtype == index
    dense = X.toarray()
    model = LinearRegression(alpha=alpha).fit(X, y)
    assert model.solver_ == "gram" and model.coef_.dtype == dtype
    ours_dense = LinearRegression(alpha=alpha, solver="gram").fit(dense, y)
    rtol = _rtol(dtype)
    assert_coef_close(model.coef_, ours_dense.coef_, rtol)
    assert model.intercept_ == pytest.approx(ours_dense.intercept_, rel=rtol, abs=rtol)
    ref = (SkLinearRegression() if alpha == 0 else Ridge(alpha=alpha, solver="cholesky")).fit(
        dense.astype(np.float64), y
    )
    np.testing.assert_allclose(model.predict(X), ref.predict(dense), rtol=10 * rtol, atol=rtol)
    if model.rank_ == np.count_nonzero(ref.coef_):  # a unique solution: the coefficients too
        assert_coef_close(model.coef_, ref.coef_, 10 * rtol)
    assert model.score(X, y) == pytest.approx(ref.score(dense, y), rel=rtol)


@pytest.mark.parametrize("solver", ["auto", "gram", "cg", "gd"])
def test_every_solver_weights_and_multi_output(solver):
    rng = np.random.default_rng(3)
    X, _ = _design(500, 25, 0.1, seed=3)
    Y = np.c_[X @ rng.normal(size=25) + 1.0, X @ rng.normal(size=25) - 2.0]
    Y += 0.05 * rng.normal(size=Y.shape)
    w = rng.uniform(0.2, 3.0, size=500)
    for alpha in (0.0, 2.0):
        model = LinearRegression(solver=solver, alpha=alpha, tol=1e-12).fit(X, Y, sample_weight=w)
        ref = Ridge(alpha=alpha, solver="cholesky").fit(X.toarray(), Y, sample_weight=w)
        assert model.converged_ and model.coef_.shape == (2, 25)
        rtol = 1e-9 if solver in ("auto", "gram") else 1e-7
        assert_coef_close(model.coef_, ref.coef_, rtol)
        np.testing.assert_allclose(model.intercept_, ref.intercept_, rtol=rtol, atol=rtol)


def _messy_csr(dtype=np.float64):
    """CSR with unsorted indices, duplicate entries and explicit zeros, built by hand."""
    rng = np.random.default_rng(7)
    n, d = 300, 12
    indptr, indices, data = [0], [], []
    for i in range(n):
        cols = rng.choice(d, size=rng.integers(0, 6), replace=True)  # duplicates allowed
        cols = np.r_[cols, cols[:1]]  # a duplicate in most rows
        vals = rng.normal(size=cols.size)
        if i % 4 == 0 and cols.size:
            vals[0] = 0.0  # an explicit zero
        indices.extend(cols[::-1])  # unsorted
        data.extend(vals)
        indptr.append(len(indices))
    X = sp.csr_matrix(
        (np.array(data, dtype=dtype), np.array(indices, np.int32), np.array(indptr)), shape=(n, d)
    )
    return X, rng


@pytest.mark.parametrize("solver", ["gram", "cg"])
def test_unsorted_duplicates_and_explicit_zeros_count_as_scipy_reads_them(solver):
    X, rng = _messy_csr()
    assert not X.has_sorted_indices and not X.has_canonical_format
    dense = X.toarray()  # scipy sums the duplicates
    y = dense @ rng.normal(size=12) + 0.3 + 0.01 * rng.normal(size=300)
    data, indices, indptr = X.data.copy(), X.indices.copy(), X.indptr.copy()
    ids = (id(X.data), id(X.indices), id(X.indptr))
    model = LinearRegression(solver=solver, alpha=0.1).fit(X, y)
    ref = Ridge(alpha=0.1, solver="cholesky").fit(dense, y)
    assert_coef_close(model.coef_, ref.coef_, 1e-9)
    np.testing.assert_allclose(model.predict(X), ref.predict(dense), rtol=1e-9, atol=1e-9)
    # Neither sorted nor summed in place: the arrays are the caller's, unchanged.
    assert (id(X.data), id(X.indices), id(X.indptr)) == ids
    np.testing.assert_array_equal(X.data, data)
    np.testing.assert_array_equal(X.indices, indices)
    np.testing.assert_array_equal(X.indptr, indptr)
    assert not X.has_canonical_format


def test_column_moments_sum_duplicates():
    X, _ = _messy_csr()
    data = _sparse_data.SparseData(X, np.zeros((X.shape[0], 1)), np.empty(0), 1)
    moments = data.moments()
    dense = X.toarray()
    np.testing.assert_allclose(moments.mean[:12], dense.mean(axis=0), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(moments.sumsq[:12], (dense**2).sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(moments.m2[:12], dense.var(axis=0) * 300, rtol=1e-9, atol=1e-12)


def test_the_fit_reads_the_callers_csr_in_place(monkeypatch):
    X, y = _design(400, 10, 0.2, seed=1)
    seen = []
    init = _sparse_data.SparseData.__init__

    def spy(self, X_, *args, **kwargs):
        init(self, X_, *args, **kwargs)
        seen.append(self.X)

    monkeypatch.setattr(_sparse_data.SparseData, "__init__", spy)
    LinearRegression().fit(X, y)
    LinearRegression(solver="cg").fit(X, y)
    assert len(seen) == 2 and all(s is X for s in seen)


def test_tiny_shapes_n1_and_d1():
    X = sp.csr_matrix(np.array([[0.0, 2.0, 0.0]]))
    model = LinearRegression().fit(X, np.array([3.0]))
    ref = SkLinearRegression().fit(X.toarray(), [3.0])
    np.testing.assert_allclose(model.coef_, ref.coef_, atol=1e-15)
    assert model.intercept_ == pytest.approx(ref.intercept_)
    rng = np.random.default_rng(0)
    X = sp.random(200, 1, density=0.4, format="csc", random_state=0)
    y = 3.0 * X.toarray()[:, 0] - 1.0 + 0.01 * rng.normal(size=200)
    for solver in ("auto", "cg"):
        model = LinearRegression(solver=solver).fit(X, y)
        ref = SkLinearRegression().fit(X.toarray(), y)
        assert_coef_close(model.coef_, ref.coef_, 1e-9)


def test_no_intercept_and_float32_matches_sklearn():
    X, y = _design(500, 20, 0.1, seed=5, dtype=np.float32)
    model = LinearRegression(fit_intercept=False, alpha=0.5).fit(X, y)
    ref = Ridge(alpha=0.5, fit_intercept=False, solver="cholesky").fit(
        X.toarray().astype(np.float64), y
    )
    assert model.coef_.dtype == np.float32 and model.intercept_ == 0.0
    assert_coef_close(model.coef_, ref.coef_, 1e-5)


def test_partial_fit_on_sparse_batches_equals_fit_and_qr_is_refused():
    X, y = _design(900, 15, 0.1, seed=9)
    model = LinearRegression()
    for start in range(0, 900, 300):
        model.partial_fit(X[start : start + 300], y[start : start + 300])
    full = LinearRegression().fit(X, y)
    assert_coef_close(model.coef_, full.coef_, 1e-9)
    with pytest.raises(ValueError, match='solver="qr" does not take sparse X'):
        LinearRegression(solver="qr").fit(X, y)
    with pytest.raises(ValueError, match='solver="qr" does not take sparse X'):
        LinearRegression(solver="qr").partial_fit(X, y)


def test_nan_in_sparse_data_is_reported():
    X, y = _design(100, 5, 0.5, seed=2)
    X = X.copy()
    X.data[3] = np.nan
    for solver in ("gram", "cg"):
        with pytest.raises(ValueError, match="NaN"):
            LinearRegression(solver=solver).fit(X, y)


def test_sparse_array_and_coo_input():
    X, y = _design(300, 8, 0.2, seed=4)
    ref = LinearRegression().fit(X.toarray(), y)
    for variant in (sp.csr_array(X), sp.csc_array(X), X.tocoo()):
        model = LinearRegression().fit(variant, y)
        assert_coef_close(model.coef_, ref.coef_, 1e-9)
        np.testing.assert_allclose(model.predict(variant), ref.predict(X.toarray()), atol=1e-9)


def test_auto_records_its_choice_by_nonzeros_and_features():
    X, y = _design(2000, 30, 0.05, seed=6)
    assert _sparse_data.SparseData(X, y[:, None], np.empty(0), 1).solver_costs()[0] == "gram"
    assert LinearRegression().fit(X, y).solver_ == "gram"
    wide = sp.random(6000, 5000, density=2e-4, format="csr", random_state=0)
    choice, passes = _sparse_data.SparseData(
        wide, np.ones((6000, 1)), np.empty(0), 1
    ).solver_costs()
    assert choice == "cg" and passes == np.inf  # 5000 > GRAM_MAX_FEATURES: no d x d statistics


def _fair():
    datasets = pytest.importorskip("statsmodels.datasets")
    return datasets.fair.load_pandas().data


def _one_hot(columns, sparse_threshold):
    return ColumnTransformer(
        [("oh", OneHotEncoder(handle_unknown="ignore"), columns)],
        sparse_threshold=sparse_threshold,
    )


def test_one_hot_of_a_real_categorical_dataset_in_a_pipeline():
    # statsmodels' bundled "fair" data (6366 survey answers): every column but the target is
    # categorical; drop=None makes the one-hot design rank-deficient with an intercept.
    df = _fair()
    cats = ["rate_marriage", "age", "yrs_married", "children", "religious", "educ"]
    X, y = df[[*cats, "occupation"]], df["affairs"].to_numpy()
    enc = ColumnTransformer([("oh", OneHotEncoder(), cats)], sparse_threshold=1.0)
    Xt = enc.fit_transform(X)
    assert sp.issparse(Xt)
    model = LinearRegression().fit(Xt, y)
    ref = SkLinearRegression().fit(Xt.toarray(), y)
    assert model.rank_ < Xt.shape[1]  # one-hot columns of each category sum to the intercept
    np.testing.assert_allclose(model.predict(Xt), ref.predict(Xt.toarray()), rtol=1e-9, atol=1e-9)
    euclid = LinearRegression(standardize=False).fit(Xt, y)  # lstsq's minimum-norm solution
    assert_coef_close(euclid.coef_, ref.coef_, 1e-8)

    pipe = make_pipeline(
        _one_hot(cats, 1.0),
        LinearRegression(),
    )
    ref_pipe = make_pipeline(  # dense one-hot output: scikit-learn's exact lstsq
        _one_hot(cats, 0.0),
        SkLinearRegression(),
    )
    cv = KFold(4, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = cross_val_score(pipe, X, y, cv=cv)
    np.testing.assert_allclose(ours, cross_val_score(ref_pipe, X, y, cv=cv), rtol=1e-6)
    grid = GridSearchCV(
        make_pipeline(_one_hot(cats, 1.0), LinearRegression()),
        {"linearregression__alpha": [0.1, 10.0, 1000.0]},
        cv=cv,
    ).fit(X, y)
    ref_grid = GridSearchCV(
        make_pipeline(_one_hot(cats, 0.0), Ridge(solver="cholesky")),
        {"ridge__alpha": [0.1, 10.0, 1000.0]},
        cv=cv,
    ).fit(X, y)
    np.testing.assert_allclose(
        grid.cv_results_["mean_test_score"], ref_grid.cv_results_["mean_test_score"], rtol=1e-9
    )


def test_dask_array_of_sparse_chunks_is_refused_with_the_fix_named():
    da = pytest.importorskip("dask.array")
    X, y = _design(300, 5, 0.3, seed=8)
    chunked = da.from_array(X, chunks=(100, 5), asarray=False)
    with pytest.raises(TypeError, match=r"scipy sparse chunks.*X\.compute\(\)"):
        LinearRegression().fit(chunked, y)
    model = LinearRegression().fit(chunked.compute(), y)  # the fix it names
    assert_coef_close(model.coef_, LinearRegression().fit(X, y).coef_, 1e-12)
